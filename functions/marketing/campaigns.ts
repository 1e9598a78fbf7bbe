/**
 * Campaigns: create (template + audience + policy), schedule, cancel, read with stats, and the
 * recipient ledger. Sending is the `campaigns` job's business (send.ts).
 *
 * Status: draft → scheduled (on the due index gsi2 `CAMPAIGNS#ACTIVE` from `sendAt`) → sending
 * (the job materialises the audience into the ledger, then sends) → sent. A draft, scheduled or
 * sending campaign can be cancelled: it leaves the due index and the job stops claiming within a
 * page. Every transition is a conditional write on the status (and the version), so two requests
 * or a request and the job cannot both win.
 */
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { withoutKeys } from '../data/records';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { batchGetItems } from '../jobs/batch-get';
import { BadRequest, Conflict, NotFound, PreconditionFailed, type FieldError } from '../http/problem';
import { maskPhone } from '../security/masking';
import { canAccess, type Principal } from '../security/principal';
import type { InputsOf } from '../api/route-def';
import type { AudienceState } from './audience';
import type { routes } from './routes';
import { campaignAudit } from './audit';
import { maskedAddress } from './consent';
import { assertSenderAllowed } from './sender';
import { STATS_SHARDS, statsOfShards } from './counters';
import { getItem, queryPage } from './store';

export type CampaignStatus = 'draft' | 'scheduled' | 'sending' | 'paused' | 'sent' | 'cancelled';

export interface CampaignItem {
  id: string;
  name: string;
  goal?: string;
  budget?: { amount: number; currency: string };
  /** `sms`: the template's text part as an SMS to the contacts' phones (functions/marketing/sms.ts). */
  channel: 'email' | 'sms';
  templateId: string;
  /** `exclude`: addresses any of these segments or lists reach are left out (send.ts, "exclusions"). */
  audience: { segmentIds: string[]; listIds: string[]; exclude?: { segmentIds: string[]; listIds: string[] } };
  /** Email: the From of this campaign (sender.ts); default the deployment's sender. */
  sender?: { email: string; name?: string };
  /** The run period (YYYY-MM-DD), for reporting: descriptive, it gates neither sending nor attribution. */
  startsOn?: string;
  endsOn?: string;
  consentPolicy: 'opted_in' | 'not_opted_out';
  sendRatePerSecond?: number;
  status: CampaignStatus;
  sendAt?: string;
  audienceComplete: boolean;
  audienceCompletedAt?: string;
  /** Where materialising the audience stands: which part (segments, then lists) and where in it. */
  audienceCursor?: { part: number; state: AudienceState };
  /** Bumped by every audience checkpoint, so two runs cannot move the cursor back. */
  audienceStep: number;
  startedAt?: string;
  completedAt?: string;
  pausedAt?: string;
  /** Set once, when the feedback loop paused the campaign on its bounce or complaint rate (feedback.ts). */
  autoPause?: { reason: 'bounce-rate' | 'complaint-rate'; rate: number; threshold: number; sent: number; at: string };
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

export interface RecipientItem {
  campaignId: string;
  addressHash: string;
  /** The normalised address of an email campaign's recipient; empty for an SMS recipient. */
  email: string;
  /** The E.164 number of an SMS campaign's recipient (its ledger key hashes this instead). */
  phone?: string;
  contactId: string;
  customerId: string;
  status: 'pending' | 'claimed' | 'sent' | 'skipped' | 'failed';
  /** `excluded`: an excluded segment or list reaches the address; written so, never pending. */
  skipReason?: 'consent' | 'suppressed' | 'contact-gone' | 'excluded';
  leaseId?: string;
  claimedAt?: string;
  messageId?: string;
  sentAt?: string;
  lastError?: string;
  unsubscribedAt?: string;
  /** SES feedback (functions/marketing/feedback.ts): the first time each event arrived. */
  deliveredAt?: string;
  openedAt?: string;
  clickedAt?: string;
  bouncedAt?: string;
  bounceType?: string;
  softBouncedAt?: string;
  complainedAt?: string;
  rejectedAt?: string;
}

// The counter shards' layout and sums: ./counters.ts (light enough for the dashboard to import).
export { COUNTERS, type Counter, STATS_SHARDS, statsOfShards, statsShard, statsShardKeys } from './counters';

export const storedCampaign = (c: CampaignItem) => ({
  ...keys.campaign.primary(c.id),
  ...keys.campaign.list(c.id),
  ...(c.sendAt && (c.status === 'scheduled' || c.status === 'sending') ? keys.campaign.active(c.sendAt, c.id) : {}),
  kind: 'campaign',
  ...c,
});

export async function getCampaignItem(id: string): Promise<CampaignItem | undefined> {
  return getItem<CampaignItem>(keys.campaign.primary(id));
}

/** The summed counter shards (one Query), with what is still pending or unknown. */
export async function campaignStats(c: CampaignItem) {
  const page = await queryPage({ partition: keys.campaign.partition(c.id), prefix: keys.campaign.statsPrefix, limit: STATS_SHARDS, consistent: true });
  return statsOfShards(c, page.items);
}

const toCampaign = (c: CampaignItem, stats?: Awaited<ReturnType<typeof campaignStats>>) => {
  const { audienceCursor: _cursor, audienceStep: _step, audienceCompletedAt: _completed, ...rest } = c;
  return { ...rest, ...(stats ? { stats } : {}) };
};

/** The validated body of `POST /v1/campaigns` (its route row's schema). */
type CampaignBody = InputsOf<typeof routes>['createCampaign']['body'];
/** The validated body of `PATCH /v1/campaigns/{id}`. */
type CampaignPatch = InputsOf<typeof routes>['updateCampaign']['body'];

type AudienceInput = { segmentIds?: string[]; listIds?: string[]; exclude?: { segmentIds?: string[]; listIds?: string[] } };

/** 400 naming each template, segment or list (included or excluded) the body refers to that does not exist (one BatchGet). */
async function assertReferencesExist(body: { templateId?: string; audience?: AudienceInput }): Promise<void> {
  const exclude = body.audience?.exclude;
  const refs: { path: string; key: { pk: string; sk: string } }[] = [
    ...(body.templateId ? [{ path: 'templateId', key: keys.template.primary(body.templateId) }] : []),
    ...(body.audience?.segmentIds ?? []).map((id, i) => ({ path: `audience.segmentIds.${i}`, key: keys.segment.primary(id) })),
    ...(body.audience?.listIds ?? []).map((id, i) => ({ path: `audience.listIds.${i}`, key: keys.mailingList.primary(id) })),
    ...(exclude?.segmentIds ?? []).map((id, i) => ({ path: `audience.exclude.segmentIds.${i}`, key: keys.segment.primary(id) })),
    ...(exclude?.listIds ?? []).map((id, i) => ({ path: `audience.exclude.listIds.${i}`, key: keys.mailingList.primary(id) })),
  ];
  if (refs.length === 0) return;
  const found = new Set((await batchGetItems(refs.map((r) => r.key), { consistent: true })).map((i) => `${i.pk}`));
  const errors: FieldError[] = refs.filter((r) => !found.has(r.key.pk)).map((r) => ({ path: r.path, message: 'No such record' }));
  if (errors.length > 0) throw BadRequest('Some body fields are not valid', errors);
}

/** The stored audience: ids deduplicated, an empty exclusion left out. */
function storedAudience(a: AudienceInput): CampaignItem['audience'] {
  const exclude = { segmentIds: [...new Set(a.exclude?.segmentIds ?? [])], listIds: [...new Set(a.exclude?.listIds ?? [])] };
  return {
    segmentIds: [...new Set(a.segmentIds ?? [])],
    listIds: [...new Set(a.listIds ?? [])],
    ...(exclude.segmentIds.length + exclude.listIds.length > 0 ? { exclude } : {}),
  };
}

/**
 * The sender as stored: the local part as given (it may be case-sensitive), the domain lower-cased
 * (it never is; and the sending role's IAM condition on ses:FromAddress compares case-sensitively
 * against the lower-cased identities), an empty name left out.
 */
const storedSender = (s: { email: string; name?: string }) => {
  const at = s.email.lastIndexOf('@');
  return { email: `${s.email.slice(0, at)}@${s.email.slice(at + 1).toLowerCase()}`, ...(s.name ? { name: s.name } : {}) };
};

export async function createCampaign(principal: Principal, body: CampaignBody, now: Date) {
  if (body.sender && body.channel === 'sms') throw BadRequest('Some body fields are not valid', [{ path: 'sender', message: 'An SMS campaign has no email sender' }]);
  assertSenderAllowed(body.sender);
  await assertReferencesExist(body);
  const at = now.toISOString();
  const item: CampaignItem = {
    id: newId('cmp'),
    name: body.name,
    ...(body.goal ? { goal: body.goal } : {}),
    ...(body.budget ? { budget: body.budget } : {}),
    channel: body.channel,
    templateId: body.templateId,
    audience: storedAudience(body.audience),
    ...(body.sender ? { sender: storedSender(body.sender) } : {}),
    ...(body.startsOn ? { startsOn: body.startsOn } : {}),
    ...(body.endsOn ? { endsOn: body.endsOn } : {}),
    consentPolicy: body.consentPolicy ?? 'opted_in',
    ...(body.sendRatePerSecond ? { sendRatePerSecond: body.sendRatePerSecond } : {}),
    status: 'draft',
    audienceComplete: false,
    audienceStep: 0,
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  };
  await new Transaction()
    .put('campaign', storedCampaign(item), { expression: 'attribute_not_exists(pk)' })
    .put('audit', campaignAudit(undefined, item, 'created', principal, now))
    .commit();
  return toCampaign(item);
}

export async function getCampaign(id: string) {
  const item = await getCampaignItem(id);
  if (!item) throw NotFound('No such campaign');
  return toCampaign(item, await campaignStats(item));
}

export async function listCampaigns(query: { limit?: number; cursor?: string }) {
  const fingerprint = JSON.stringify(['campaigns']);
  const page = await queryPage({ index: 'gsi1', partition: keys.campaign.listPartition, limit: query.limit ?? 25, startKey: await decodeCursor(query.cursor, fingerprint), descending: true });
  return { items: page.items.map((i) => toCampaign(withoutKeys<CampaignItem>(i))), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/**
 * Whether a campaign may still be edited, and why not. Only before its first send: once the job
 * has started it (`startedAt`), part of the audience may already be in the ledger or mailed, and
 * a changed template or audience would make one campaign two. So draft and scheduled, and paused
 * only when it was paused before it started.
 */
function editConflict(c: CampaignItem): string | undefined {
  if (c.status === 'draft' || c.status === 'scheduled') return undefined;
  if (c.status === 'paused' && !c.startedAt) return undefined;
  if (c.status === 'paused') return 'The campaign is paused after it started sending; it can no longer be changed (cancel it and create a new one)';
  return `The campaign is ${c.status}; only a campaign that has not started sending can be changed`;
}

/** A PATCH field: left out keeps the current value, `null` clears it. */
const patched = <T>(sent: T | null | undefined, current: T | undefined): T | undefined => (sent === undefined ? current : sent ?? undefined);

/** Attempts without If-Match before giving up with 409 (docs/conventions.md, "Concurrency"). */
const UPDATE_ATTEMPTS = 3;

/**
 * Changes a campaign that has not started sending. The whole item is put back conditioned on the
 * version and status read, with its `campaign.updated` entry in the same transaction. A scheduled
 * campaign's one-time schedule is its entry on the due index (gsi2, `<sendAt>#<id>`), a key of
 * this same item: moving `sendAt` rewrites that key in the same write, so there is never an old
 * and a new time at once, nor none. The job's start (scheduled → sending) changes the status, so a
 * change racing it loses with 409 instead of editing a campaign already sending.
 */
export async function updateCampaign(principal: Principal, id: string, patch: CampaignPatch, expectedVersion: number | undefined, now: Date) {
  assertSenderAllowed(patch.sender);
  await assertReferencesExist(patch);
  for (let attempt = 1; ; attempt++) {
    const current = await getCampaignItem(id);
    if (!current) throw NotFound('No such campaign');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const refused = editConflict(current);
    if (refused) throw Conflict(refused);
    if (patch.sendAt !== undefined && current.status === 'draft') throw Conflict('The campaign is a draft: give its send time with POST /v1/campaigns/{id}/schedule');
    if (patch.sender && current.channel === 'sms') throw BadRequest('Some body fields are not valid', [{ path: 'sender', message: 'An SMS campaign has no email sender' }]);
    const { goal: _goal, budget: _budget, sendRatePerSecond: _rate, sender: _sender, startsOn: _starts, endsOn: _ends, ...kept } = current;
    const goal = patched(patch.goal, current.goal);
    const budget = patched(patch.budget, current.budget);
    const sendRatePerSecond = patched(patch.sendRatePerSecond, current.sendRatePerSecond);
    const sender = patched(patch.sender, current.sender);
    const startsOn = patched(patch.startsOn, current.startsOn);
    const endsOn = patched(patch.endsOn, current.endsOn);
    // One date changed alone must still fit the other one kept.
    if (startsOn && endsOn && startsOn > endsOn) throw BadRequest('Some body fields are not valid', [{ path: patch.endsOn !== undefined ? 'endsOn' : 'startsOn', message: 'endsOn is before startsOn' }]);
    const next: CampaignItem = {
      ...kept,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(goal !== undefined ? { goal } : {}),
      ...(budget !== undefined ? { budget } : {}),
      ...(sendRatePerSecond !== undefined ? { sendRatePerSecond } : {}),
      ...(sender !== undefined ? { sender: storedSender(sender) } : {}),
      ...(startsOn !== undefined ? { startsOn } : {}),
      ...(endsOn !== undefined ? { endsOn } : {}),
      ...(patch.templateId !== undefined ? { templateId: patch.templateId } : {}),
      ...(patch.audience !== undefined ? { audience: storedAudience(patch.audience) } : {}),
      ...(patch.consentPolicy !== undefined ? { consentPolicy: patch.consentPolicy } : {}),
      ...(patch.sendAt !== undefined ? { sendAt: patch.sendAt } : {}),
      version: current.version + 1,
      updatedAt: now.toISOString(),
      updatedBy: principal.userId,
    };
    try {
      await new Transaction()
        .put('campaign', storedCampaign(next), { expression: 'version = :v AND #status = :status', names: { '#status': 'status' }, values: { ':v': current.version, ':status': current.status } })
        .put('audit', campaignAudit(current, next, 'updated', principal, now))
        .commit();
      return getCampaign(id);
    } catch (err) {
      if (!(err instanceof ConditionsFailed && err.labels.includes('campaign'))) throw err;
      if (expectedVersion !== undefined) throw PreconditionFailed();
      if (attempt >= UPDATE_ATTEMPTS) throw Conflict('The campaign keeps changing; read it again and retry');
      // Changed meanwhile (or started sending): read again; the status check above decides.
    }
  }
}

/** draft → scheduled at `sendAt` (default now): the job picks it up on its next run at or after that time. */
export async function scheduleCampaign(principal: Principal, id: string, sendAt: string | undefined, now: Date) {
  const current = await getCampaignItem(id);
  if (!current) throw NotFound('No such campaign');
  if (current.status !== 'draft') throw Conflict(`The campaign is ${current.status}; only a draft can be scheduled`);
  const at = sendAt ?? now.toISOString();
  const due = keys.campaign.active(at, id);
  await transition(current, 'scheduled', principal, now, {
    expression: 'SET #status = :scheduled, sendAt = :at, gsi2pk = :gpk, gsi2sk = :gsk, version = version + :one, updatedAt = :now, updatedBy = :by',
    values: { ':scheduled': 'scheduled', ':at': at, ':gpk': due.gsi2pk, ':gsk': due.gsi2sk },
  }, { expression: '#status = :draft AND version = :v', values: { ':draft': 'draft', ':v': current.version } }, { status: 'scheduled', sendAt: at }, 'The campaign changed meanwhile; read it again');
  return getCampaign(id);
}

/**
 * A status change of the campaign item (conditional) and its audit entry, in one transaction;
 * `after` is what changes in the item (for the entry's changed fields).
 */
async function transition(
  current: CampaignItem,
  action: 'scheduled' | 'paused' | 'resumed' | 'cancelled',
  principal: Principal,
  now: Date,
  update: { expression: string; values: Record<string, unknown> },
  condition: { expression: string; values: Record<string, unknown> },
  after: Partial<CampaignItem>,
  conflict: string,
): Promise<void> {
  const tx = new Transaction()
    .update('campaign', keys.campaign.primary(current.id), {
      expression: update.expression,
      names: { '#status': 'status' },
      values: { ...update.values, ':now': now.toISOString(), ':one': 1, ':by': principal.userId },
    }, { expression: condition.expression, names: { '#status': 'status' }, values: condition.values })
    .put('audit', campaignAudit(current, { ...current, ...after, version: current.version + 1 }, action, principal, now));
  try {
    await tx.commit();
  } catch (err) {
    if (err instanceof ConditionsFailed && err.labels.includes('campaign')) throw Conflict(conflict);
    throw err;
  }
}

/** Stops a campaign that has not finished: no new claims after the job's current page. */
export async function cancelCampaign(principal: Principal, id: string, now: Date) {
  const current = await getCampaignItem(id);
  if (!current) throw NotFound('No such campaign');
  if (current.status === 'cancelled') return getCampaign(id);
  if (current.status === 'sent') throw Conflict('The campaign has been sent; there is nothing left to cancel');
  await transition(current, 'cancelled', principal, now, {
    expression: 'SET #status = :cancelled, completedAt = :now, version = version + :one, updatedAt = :now, updatedBy = :by REMOVE gsi2pk, gsi2sk',
    values: { ':cancelled': 'cancelled' },
  }, { expression: '#status IN (:draft, :scheduled, :sending, :paused)', values: { ':draft': 'draft', ':scheduled': 'scheduled', ':sending': 'sending', ':paused': 'paused' } }, { status: 'cancelled' }, 'The campaign finished meanwhile; read it again');
  return getCampaign(id);
}

/**
 * scheduled or sending → paused: off the due index, so no run picks it up, and a run that is
 * sending re-reads the status at least once a second between claims (send.ts) and stops claiming.
 * Recipients already claimed finish; nothing is handed back or sent again.
 */
export async function pauseCampaign(principal: Principal, id: string, now: Date) {
  const current = await getCampaignItem(id);
  if (!current) throw NotFound('No such campaign');
  if (current.status === 'paused') return getCampaign(id);
  if (current.status !== 'scheduled' && current.status !== 'sending') throw Conflict(`The campaign is ${current.status}; only a scheduled or sending campaign can be paused`);
  await transition(current, 'paused', principal, now, {
    expression: 'SET #status = :paused, pausedAt = :now, version = version + :one, updatedAt = :now, updatedBy = :by REMOVE gsi2pk, gsi2sk',
    values: { ':paused': 'paused' },
  }, { expression: '#status IN (:scheduled, :sending)', values: { ':scheduled': 'scheduled', ':sending': 'sending' } }, { status: 'paused' }, 'The campaign changed meanwhile; read it again');
  return getCampaign(id);
}

/**
 * paused → sending (or scheduled, when it had not started), back on the due index at its sendAt:
 * the next run continues from the ledger — recipients already sent, skipped or claimed are never
 * claimed again. An auto-paused campaign resumes the same way (a person decided); it is not
 * auto-paused a second time.
 */
export async function resumeCampaign(principal: Principal, id: string, now: Date) {
  const current = await getCampaignItem(id);
  if (!current) throw NotFound('No such campaign');
  if (current.status === 'scheduled' || current.status === 'sending') return getCampaign(id);
  if (current.status !== 'paused') throw Conflict(`The campaign is ${current.status}; only a paused campaign can be resumed`);
  const next = current.startedAt ? 'sending' : 'scheduled';
  const due = keys.campaign.active(current.sendAt ?? now.toISOString(), id);
  await transition(current, 'resumed', principal, now, {
    expression: 'SET #status = :next, sendAt = if_not_exists(sendAt, :now), gsi2pk = :gpk, gsi2sk = :gsk, version = version + :one, updatedAt = :now, updatedBy = :by REMOVE pausedAt',
    values: { ':next': next, ':gpk': due.gsi2pk, ':gsk': due.gsi2sk },
  }, { expression: '#status = :paused', values: { ':paused': 'paused' } }, { status: next, sendAt: current.sendAt ?? now.toISOString() }, 'The campaign changed meanwhile; read it again');
  return getCampaign(id);
}

/** The ledger, one Query page; addresses masked for roles without pii:read. */
export async function listRecipients(principal: Principal, id: string, query: { limit?: number; cursor?: string }) {
  if (!(await getCampaignItem(id))) throw NotFound('No such campaign');
  const fingerprint = JSON.stringify(['campaign-recipients', id]);
  const page = await queryPage({ partition: keys.campaign.partition(id), prefix: keys.campaign.recipientPrefix, limit: query.limit ?? 25, startKey: await decodeCursor(query.cursor, fingerprint) });
  const clear = canAccess(principal, 'pii:read', undefined);
  const items = page.items.map((i) => {
    const r = withoutKeys<RecipientItem>(i);
    const shown = {
      email: clear ? r.email : maskedAddress(r.email), ...(r.phone ? { phone: clear ? r.phone : String(maskPhone(r.phone)) } : {}), contactId: r.contactId, status: r.status,
      ...(r.skipReason ? { skipReason: r.skipReason } : {}), ...(r.messageId ? { messageId: r.messageId } : {}),
      ...(r.sentAt ? { sentAt: r.sentAt } : {}), ...(r.unsubscribedAt ? { unsubscribedAt: r.unsubscribedAt } : {}),
      ...(r.deliveredAt ? { deliveredAt: r.deliveredAt } : {}), ...(r.openedAt ? { openedAt: r.openedAt } : {}), ...(r.clickedAt ? { clickedAt: r.clickedAt } : {}),
      ...(r.bouncedAt ? { bouncedAt: r.bouncedAt } : {}), ...(r.complainedAt ? { complainedAt: r.complainedAt } : {}),
    };
    return clear ? shown : { ...shown, masked: r.phone ? ['email', 'phone'] : ['email'] };
  });
  return { items, nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}
