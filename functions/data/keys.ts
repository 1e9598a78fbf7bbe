/**
 * Every partition, sort and index key of every entity is built here and nowhere else.
 * docs/access-patterns.md lists each access pattern with the key condition, index and cost
 * these builders produce. Sort keys that hold numbers are zero-padded or ISO timestamps, so
 * lexical order is numeric order.
 */
import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** Prefixed ULIDs: `cus_01J…`. Sortable by creation time, unguessable enough for ids. */
export function newId(prefix: 'cus' | 'con' | 'aud' | 'req'): string {
  return `${prefix}_${nextUlid()}`;
}

/**
 * Search/sort form of a name: Unicode-decomposed, accents removed, lower-cased, spaces collapsed.
 * "Ångström Café" → "angstrom cafe"; Chinese, Japanese and Korean text passes through unchanged
 * (prefix search works on characters: "王" finds "王小明").
 */
export function searchKey(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/ß/g, 'ss')
    .replace(/[Øø]/g, 'o')
    .replace(/[Łł]/g, 'l')
    .replace(/[Đđ]/g, 'd')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .slice(0, 100);
}

export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

/** Phones compare on their digits; a leading 00 counts as +. "+49 (30) 123-45" → "+493012345". */
export function normalizePhone(phone: string): string {
  const trimmed = phone.trim();
  const plus = trimmed.startsWith('+') || trimmed.startsWith('00');
  const digits = trimmed.replace(/\D/g, '').replace(/^00/, '');
  return (plus ? '+' : '') + digits;
}

const nameSort = (name: string, id: string) => `${searchKey(name)}#${id}`;

export const keys = {
  customer: {
    /** The customer item: GetItem by id. */
    primary: (id: string) => ({ pk: `CUS#${id}`, sk: '#PROFILE' }),
    /**
     * List indexes of a live customer. Archived customers leave the owner/tier/stage indexes and
     * move to the archived partition of gsi1 (sparse indexes: an archived customer costs lists nothing).
     */
    indexes: (c: { id: string; name: string; ownerId: string; tier?: string; lifecycleStage?: string; archivedAt?: string }) => {
      const sort = nameSort(c.name, c.id);
      if (c.archivedAt) return { gsi1pk: 'CUSTOMERS#ARCHIVED', gsi1sk: sort };
      return {
        gsi1pk: 'CUSTOMERS',
        gsi1sk: sort,
        gsi2pk: `CUSTOMERS#OWNER#${c.ownerId}`,
        gsi2sk: sort,
        ...(c.tier ? { gsi3pk: `CUSTOMERS#TIER#${c.tier}`, gsi3sk: sort } : {}),
        ...(c.lifecycleStage ? { gsi4pk: `CUSTOMERS#STAGE#${c.lifecycleStage}`, gsi4sk: sort } : {}),
      };
    },
    /** Partition values the list queries use. */
    allPartition: (archived: boolean) => (archived ? 'CUSTOMERS#ARCHIVED' : 'CUSTOMERS'),
    ownerPartition: (ownerId: string) => `CUSTOMERS#OWNER#${ownerId}`,
    tierPartition: (tier: string) => `CUSTOMERS#TIER#${tier}`,
    stagePartition: (stage: string) => `CUSTOMERS#STAGE#${stage}`,
    tagPartition: (tag: string) => `CUSTOMERS#TAG#${tag}`,
    /** Sort-key prefix for a name-prefix search within any of those partitions. */
    namePrefix: (q: string) => searchKey(q),
    /**
     * Tag index items: one copy of the customer per tag (tags are multi-valued, an index key is
     * not), in the customer's own partition so they are found and replaced together.
     */
    tagKey: (customerId: string, tag: string) => ({ pk: `CUS#${customerId}`, sk: `TAG#${tag}` }),
    tagItem: (c: { id: string; name: string }, tag: string) => ({
      pk: `CUS#${c.id}`,
      sk: `TAG#${tag}`,
      gsi1pk: `CUSTOMERS#TAG#${tag}`,
      gsi1sk: nameSort(c.name, c.id),
    }),
  },
  contact: {
    /** Its own partition, so GET /v1/contacts/{id} is one strongly consistent GetItem. */
    primary: (id: string) => ({ pk: `CON#${id}`, sk: '#PROFILE' }),
    /** A customer's contacts, by last name, on gsi1. */
    indexes: (c: { id: string; customerId: string; lastName: string; firstName?: string }) => ({
      gsi1pk: `CUS#${c.customerId}#CONTACTS`,
      gsi1sk: `${searchKey(`${c.lastName} ${c.firstName ?? ''}`)}#${c.id}`,
    }),
    byCustomerPartition: (customerId: string) => `CUS#${customerId}#CONTACTS`,
  },
  /** Uniqueness guards: one item per normalised email/phone of a live customer. */
  unique: {
    email: (email: string) => ({ pk: `UNQ#EMAIL#${normalizeEmail(email)}`, sk: 'UNQ' }),
    phone: (phone: string) => ({ pk: `UNQ#PHONE#${normalizePhone(phone)}`, sk: 'UNQ' }),
  },
  /** Audit entries (and outbox) live in the customer's partition, newest last by sort key. */
  audit: {
    item: (customerId: string, at: string, id: string) => ({ pk: `CUS#${customerId}`, sk: `AUD#${at}#${id}` }),
    partition: (customerId: string) => `CUS#${customerId}`,
    prefix: 'AUD#',
  },
  idempotency: (userId: string, key: string) => ({ pk: `IDEM#${userId}#${key}`, sk: 'IDEM' }),
  system: {
    heartbeat: () => ({ pk: 'SYS#HEARTBEAT', sk: 'SYS#HEARTBEAT' }),
    seed: () => ({ pk: 'SYS#SEED', sk: 'SYS#SEED' }),
  },
} as const;
