/**
 * The per-event visibility decision (functions/security/record-events.ts) without a database: which
 * owners must be read, how a quote reaches its deal's owner, and that unknown kinds and events of
 * vanished records fail closed. The integration test (test/integration/event-visibility.test.ts)
 * walks every kind × role through the real routes.
 */
import { describe, expect, it } from 'vitest';
import { keys } from '../../functions/data/keys';
import type { Principal } from '../../functions/security/principal';
import { canSeeRecordEvent, ownerLookups, readRecordOwners, visibleRecordEvents } from '../../functions/security/record-events';

const rep = (userId: string): Principal => ({ userId, role: 'sales', groups: ['sales'] });
const as = (role: Principal['role']): Principal => ({ userId: `${role}-1`, role, groups: [role] });

/** A fake table of stored items by key, counting batch reads. */
function table(items: Record<string, unknown>[]) {
  const reads: number[] = [];
  const readItems = async (wanted: Record<string, string>[]) => {
    reads.push(wanted.length);
    return items.filter((i) => wanted.some((k) => k.pk === i.pk && k.sk === i.sk));
  };
  return { reads, readItems };
}

describe('record-event visibility', () => {
  it('judges customer-owned kinds by the customer\'s owner, without reading anything', async () => {
    const { reads, readItems } = table([]);
    const events = ['customer', 'contact', 'activity', 'asset', 'order'].map((entityType) => ({ entityType, entityId: `${entityType}-1` }));
    expect(await visibleRecordEvents(rep('a'), 'a', events, readItems)).toEqual(events);
    expect(await visibleRecordEvents(rep('b'), 'a', events, readItems)).toEqual([]);
    // service reads customers, contacts, activities, assets and orders everywhere
    expect(await visibleRecordEvents(as('service'), 'a', events, readItems)).toEqual(events);
    expect(reads).toEqual([]);
  });

  it('reads the current owners of deals only for own-scope callers, once per page', async () => {
    const { reads, readItems } = table([
      { ...keys.deal.primary('d1'), ownerId: 'a' },
      { ...keys.deal.primary('d2'), ownerId: 'b' },
    ]);
    const events = [
      { entityType: 'deal', entityId: 'd1' }, { entityType: 'deal', entityId: 'd2' }, { entityType: 'deal', entityId: 'd1' },
    ];
    expect(ownerLookups(as('manager'), events)).toEqual([]);
    expect(ownerLookups(as('service'), events)).toEqual([]);
    expect(await visibleRecordEvents(as('service'), 'a', events, readItems)).toEqual([]); // no deals:read
    expect(await visibleRecordEvents(as('analyst'), 'a', events, readItems)).toEqual(events);
    expect(reads).toEqual([]);
    expect(await visibleRecordEvents(rep('a'), 'a', events, readItems)).toEqual([events[0], events[2]]);
    expect(reads).toEqual([2]); // one batch, distinct keys
  });

  it('follows a quote to its deal\'s owner (two hops) and a task to its assignee and creator', async () => {
    const { reads, readItems } = table([
      { ...keys.quote.primary('q1'), dealId: 'd1' },
      { ...keys.deal.primary('d1'), ownerId: 'a' },
      { ...keys.task.primary('t1'), assigneeId: 'b', createdBy: 'a' },
    ]);
    const owners = await readRecordOwners([{ entityType: 'quote', entityId: 'q1' }, { entityType: 'task', entityId: 't1' }], readItems);
    expect(owners.get('quote#q1')).toEqual(['a']);
    expect(owners.get('task#t1')).toEqual(['b', 'a']);
    expect(reads).toEqual([2, 1]);
  });

  it('fails closed: unknown kinds for everyone, vanished records unless the event names the caller as owner', () => {
    const none = new Map<string, string[]>();
    expect(canSeeRecordEvent(as('admin'), { entityType: 'invoice', entityId: 'x' }, 'a', none)).toBe(false);
    const gone = { entityType: 'deal', entityId: 'd9' };
    expect(canSeeRecordEvent(rep('a'), gone, 'a', none)).toBe(false);
    expect(canSeeRecordEvent(rep('a'), { ...gone, changes: [{ field: 'ownerId', from: 'a' }] }, 'a', none)).toBe(true);
    expect(canSeeRecordEvent(rep('b'), { ...gone, changes: [{ field: 'ownerId', from: 'a' }] }, 'a', none)).toBe(false);
    expect(canSeeRecordEvent(as('admin'), gone, 'a', none)).toBe(true);
    // A record that exists is judged by its current owner, not by what an old event names.
    const moved = new Map([['deal#d9', ['b']]]);
    expect(canSeeRecordEvent(rep('a'), { ...gone, changes: [{ field: 'ownerId', to: 'a' }] }, 'a', moved)).toBe(false);
  });
});
