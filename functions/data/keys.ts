/**
 * Every partition, sort and index key of every entity is built here and nowhere else.
 * docs/access-patterns.md lists each access pattern with the key condition, index and cost
 * these builders produce. Sort keys that hold numbers are zero-padded or ISO timestamps, so
 * lexical order is numeric order.
 */
import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** Prefixed ULIDs: `cus_01J…`. Sortable by creation time, unguessable enough for ids. */
export function newId(prefix: 'cus' | 'con' | 'aud' | 'req' | 'tsk' | 'ntf' | 'act' | 'ast' | 'led' | 'deal' | 'pip' | 'stg' | 'prd' | 'quo' | 'ord' | 'whk' | 'dlv' | 'key' | 'tkt' | 'msg' | 'que' | 'exp' | 'ctr' | 'kba' | 'tpl' | 'seg' | 'lst' | 'cmp' | 'cns' | 'cfd' | 'imp' | 'att'): string {
  return `${prefix}_${nextUlid()}`;
}

/**
 * Search/sort form of a name: Unicode-decomposed, accents removed, lower-cased, spaces collapsed.
 * "Ångström Café" → "angstrom cafe"; Chinese, Japanese and Korean text passes through unchanged
 * (prefix search works on characters: "王" finds "王小明"). At most 100 UTF-16 code units, cut
 * at a character (grapheme) boundary.
 */
export function searchKey(text: string): string {
  const key = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/ß/g, 'ss')
    .replace(/[Øø]/g, 'o')
    .replace(/[Łł]/g, 'l')
    .replace(/[Đđ]/g, 'd')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return cutAtGrapheme(key, SEARCH_KEY_UNITS).trimEnd();
}

/** Longest search key, in UTF-16 code units (an index sort key stays small). */
const SEARCH_KEY_UNITS = 100;

/**
 * Cuts `value` to at most `maxUnits` UTF-16 code units without splitting a grapheme (a letter and
 * its marks, a surrogate pair such as a CJK extension character): a cut inside a pair would store
 * an unpaired surrogate in the key, which DynamoDB refuses as invalid UTF-8.
 */
export function cutAtGrapheme(value: string, maxUnits: number): string {
  if (value.length <= maxUnits) return value;
  let end = 0;
  for (const { segment } of graphemeSegmenter().segment(value)) {
    if (end + segment.length > maxUnits) break;
    end += segment.length;
  }
  return value.slice(0, end);
}

let segmenter: Intl.Segmenter | undefined;
const graphemeSegmenter = () => (segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' }));

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
    /** The customer item. */
    primary: (id: string) => ({ pk: `CUS#${id}`, sk: '#PROFILE' }),
    /**
     * Summary items kept by other features next to the profile (`#ACTIVITY`, `#PURCHASES`): their
     * sort keys start with `#`, like the profile's, so one Query reads a customer with all of them.
     */
    summaryPrefix: '#',
    /** Purchase summary: lifetime value per currency and last purchase, updated with each order. */
    purchases: (id: string) => ({ pk: `CUS#${id}`, sk: '#PURCHASES' }),
    /**
     * Contacts summary: the ids of the customer's contacts and their revision (`contactsRev`), kept
     * off the profile so the profile (copied into four indexes and checked by other features'
     * writes) stays small. Read with the profile like the other summaries.
     */
    contacts: (id: string) => ({ pk: `CUS#${id}`, sk: '#CONTACTS' }),
    /**
     * List indexes of a live customer. Archived customers leave the tier/stage indexes and move to
     * the archived partitions: all archived on gsi1, the owner's archived on gsi2 (so a rep's
     * `archived=true` list reads their own partition, not everyone's archive filtered by owner).
     * Sparse either way: an archived customer costs the live lists nothing.
     */
    indexes: (c: { id: string; name: string; ownerId: string; tier?: string; lifecycleStage?: string; archivedAt?: string }) => {
      const sort = nameSort(c.name, c.id);
      if (c.archivedAt) return { gsi1pk: 'CUSTOMERS#ARCHIVED', gsi1sk: sort, gsi2pk: `CUSTOMERS#ARCHIVED#OWNER#${c.ownerId}`, gsi2sk: sort };
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
    archivedOwnerPartition: (ownerId: string) => `CUSTOMERS#ARCHIVED#OWNER#${ownerId}`,
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
    /**
     * A customer's contacts, by last name, on gsi1; contacts with an email also on gsi2
     * `CONTACTS#EMAIL#<normalised email>` (sparse: inbound mail finds the sender's contact with one Query).
     */
    indexes: (c: { id: string; customerId: string; lastName: string; firstName?: string; email?: string }) => ({
      gsi1pk: `CUS#${c.customerId}#CONTACTS`,
      gsi1sk: `${searchKey(`${c.lastName} ${c.firstName ?? ''}`)}#${c.id}`,
      ...(c.email ? { gsi2pk: `CONTACTS#EMAIL#${normalizeEmail(c.email)}`, gsi2sk: c.id } : {}),
    }),
    byCustomerPartition: (customerId: string) => `CUS#${customerId}#CONTACTS`,
    byEmailPartition: (email: string) => `CONTACTS#EMAIL#${normalizeEmail(email)}`,
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
  /**
   * Tasks (C3). The task (`#TASK`) and its reminders (`#REM#nnnn`) share the partition `TSK#<id>`,
   * so GET reads both with one Query on the `#` prefix (audit entries `AUD#…` stay out of it).
   * List indexes: gsi1 = assignee × status, gsi2 = customer × status, both sorted by
   * `<dueAt>#<id>` (`~` for no due date: sorts after every ISO instant, i.e. last).
   */
  task: {
    primary: (id: string) => ({ pk: `TSK#${id}`, sk: '#TASK' }),
    partition: (id: string) => `TSK#${id}`,
    /** Sort-key prefix shared by the task item and its reminder items. */
    recordPrefix: '#',
    dueSort: (dueAt: string | undefined, id: string) => `${dueAt ?? '~'}#${id}`,
    indexes: (t: { id: string; assigneeId: string; status: string; dueAt?: string; customerId?: string }) => ({
      gsi1pk: `TASKS#ASG#${t.assigneeId}#${t.status}`,
      gsi1sk: `${t.dueAt ?? '~'}#${t.id}`,
      ...(t.customerId ? { gsi2pk: `TASKS#CUS#${t.customerId}#${t.status}`, gsi2sk: `${t.dueAt ?? '~'}#${t.id}` } : {}),
    }),
    assigneePartition: (assigneeId: string, status: string) => `TASKS#ASG#${assigneeId}#${status}`,
    customerPartition: (customerId: string, status: string) => `TASKS#CUS#${customerId}#${status}`,
    /** A task's audit entries (and outbox) live in its own partition. */
    audit: (taskId: string, at: string, id: string) => ({ pk: `TSK#${taskId}`, sk: `AUD#${at}#${id}` }),
    /** Rule-created tasks: one guard item per cause, so a rule can never create a task twice. */
    ruleGuard: (sourceKey: string) => ({ pk: `RULE#${sourceKey}`, sk: 'RULE' }),
  },
  /**
   * Reminders: one item per reminder in its task's partition. While pending it sits in the sparse
   * gsi1 partition `REMINDERS#PENDING` sorted by `<nextAt>#<taskId>#<nnnn>`; the reminder job reads
   * `<= now` from there, so a run costs what is due, not what exists.
   */
  reminder: {
    primary: (taskId: string, n: number) => ({ pk: `TSK#${taskId}`, sk: `#REM#${String(n).padStart(4, '0')}` }),
    pending: (nextAt: string, taskId: string, n: number) => ({
      gsi1pk: 'REMINDERS#PENDING',
      gsi1sk: `${nextAt}#${taskId}#${String(n).padStart(4, '0')}`,
    }),
    pendingPartition: 'REMINDERS#PENDING',
  },
  /** In-app notifications, per user, newest first by id (ULID); unread ones also on sparse gsi1. */
  notification: {
    primary: (userId: string, id: string) => ({ pk: `NTF#${userId}`, sk: id }),
    partition: (userId: string) => `NTF#${userId}`,
    unread: (userId: string, id: string) => ({ gsi1pk: `NTF#${userId}#UNREAD`, gsi1sk: id }),
    unreadPartition: (userId: string) => `NTF#${userId}#UNREAD`,
  },
  /** Minimal user profile (email, role) copied from the token; users themselves live in Cognito. */
  user: {
    profile: (userId: string) => ({ pk: `USER#${userId}`, sk: '#PROFILE' }),
  },
  /**
   * Communication records (C2): own partition, so GET /v1/activities/{id} is one GetItem. On the
   * customer's timeline via gsi1 (all kinds) and gsi2 (one type), sorted by `<occurredAt>#<id>`.
   */
  activity: {
    primary: (id: string) => ({ pk: `ACT#${id}`, sk: '#PROFILE' }),
    timeline: (a: { id: string; customerId: string; type: string; occurredAt: string }) => ({
      gsi1pk: `CUS#${a.customerId}#TL`,
      gsi1sk: `${a.occurredAt}#${a.id}`,
      gsi2pk: `CUS#${a.customerId}#TL#${a.type}`,
      gsi2sk: `${a.occurredAt}#${a.id}`,
    }),
  },
  /**
   * A customer's timeline: activities and key record events (audit entries written with
   * `timeline: true`; other audit entries carry no index key, so the index stays sparse).
   * Key events of the customer itself also go to a monthly change feed on gsi3, which the dormancy
   * job reads to learn each customer's tier, archive state and creation time.
   */
  timeline: {
    partition: (customerId: string, type?: string) => (type ? `CUS#${customerId}#TL#${type}` : `CUS#${customerId}#TL`),
    recordEvent: (customerId: string, entityType: string, at: string, id: string) => ({
      gsi1pk: `CUS#${customerId}#TL`,
      gsi1sk: `${at}#${id}`,
      gsi2pk: `CUS#${customerId}#TL#record`,
      gsi2sk: `${at}#${id}`,
      ...(entityType === 'customer' ? { gsi3pk: `CUSTOMERS#KEYEVENTS#${at.slice(0, 7)}`, gsi3sk: `${at}#${id}` } : {}),
    }),
    /** `2026-11` → the feed partition of that month. */
    keyEventsPartition: (month: string) => `CUSTOMERS#KEYEVENTS#${month}`,
  },
  /**
   * Per-customer activity tracker (lastActivityAt, dormancy clock), a separate item next to the
   * profile so the customers feature's conditional Puts of `#PROFILE` never clobber it. Sparse
   * dormancy index on gsi3: `DORMANCY#TIER#<tier>` sorted by `<touchedAt>#<customerId>`.
   */
  customerActivity: {
    primary: (customerId: string) => ({ pk: `CUS#${customerId}`, sk: '#ACTIVITY' }),
    dormancyPartition: (tier: string) => `DORMANCY#TIER#${tier}`,
    dormancySort: (touchedAt: string, customerId: string) => `${touchedAt}#${customerId}`,
  },
  /**
   * Customer assets: own partition (GetItem by id); a customer's assets on gsi1 by purchase date;
   * sparse due indexes sorted by date: next service anniversary on gsi2, warranty end on gsi3.
   */
  asset: {
    primary: (id: string) => ({ pk: `AST#${id}`, sk: '#PROFILE' }),
    byCustomer: (customerId: string, purchaseDate: string, id: string) => ({ gsi1pk: `CUS#${customerId}#ASSETS`, gsi1sk: `${purchaseDate}#${id}` }),
    byCustomerPartition: (customerId: string) => `CUS#${customerId}#ASSETS`,
    serviceDue: (nextServiceOn: string, id: string) => ({ gsi2pk: 'ASSETS#SERVICE', gsi2sk: `${nextServiceOn}#${id}` }),
    servicePartition: 'ASSETS#SERVICE',
    warrantyDue: (warrantyEndsOn: string, id: string) => ({ gsi3pk: 'ASSETS#WARRANTY', gsi3sk: `${warrantyEndsOn}#${id}` }),
    warrantyPartition: 'ASSETS#WARRANTY',
    /** Upper bound of a `<date>#<id>` sort key for every id on that date. */
    throughDate: (date: string) => `${date}#~`,
  },
  settings: {
    serviceRules: () => ({ pk: 'SETTINGS#SERVICE_RULES', sk: '#CURRENT' }),
    /** Audit entries of settings changes live next to the settings item. */
    serviceRulesAudit: (at: string, id: string) => ({ pk: 'SETTINGS#SERVICE_RULES', sk: `AUD#${at}#${id}` }),
  },
  /**
   * Sales (C4). Pipelines: own partition `PIP#<id>` (stages embedded, ordered), listed on gsi1
   * `PIPELINES` by name. Deals: own partition `DEAL#<id>` with the deal (`#DEAL`) and its stage
   * history (`#HIST#nnnn`), so GET is one GetItem and history one Query. Deal indexes:
   * gsi1 owner by expected close (`<YYYY-MM-DD|~>#<id>`), gsi2 board = open deals of a pipeline by
   * `<stageId>#<close>#<id>`, gsi3 closed deals of an owner per status by `<closedAt>#<id>`,
   * gsi4 all deals by expected close.
   */
  pipeline: {
    primary: (id: string) => ({ pk: `PIP#${id}`, sk: '#PIPELINE' }),
    list: (name: string, id: string) => ({ gsi1pk: 'PIPELINES', gsi1sk: nameSort(name, id) }),
    listPartition: 'PIPELINES',
    audit: (id: string, at: string, auditId: string) => ({ pk: `PIP#${id}`, sk: `AUD#${at}#${auditId}` }),
  },
  deal: {
    primary: (id: string) => ({ pk: `DEAL#${id}`, sk: '#DEAL' }),
    partition: (id: string) => `DEAL#${id}`,
    history: (id: string, n: number) => ({ pk: `DEAL#${id}`, sk: `#HIST#${String(n).padStart(4, '0')}` }),
    historyPrefix: '#HIST#',
    closeSort: (expectedCloseDate: string | undefined, id: string) => `${expectedCloseDate ?? '~'}#${id}`,
    indexes: (d: { id: string; ownerId: string; status: string; pipelineId: string; stageId: string; expectedCloseDate?: string; closedAt?: string }) => {
      const close = `${d.expectedCloseDate ?? '~'}#${d.id}`;
      return {
        gsi1pk: `DEALS#OWNER#${d.ownerId}`,
        gsi1sk: close,
        ...(d.status === 'open' ? { gsi2pk: `DEALS#BOARD#${d.pipelineId}`, gsi2sk: `${d.stageId}#${close}` } : {}),
        ...(d.status !== 'open' && d.closedAt ? { gsi3pk: `DEALS#CLOSED#${d.ownerId}#${d.status}`, gsi3sk: `${d.closedAt}#${d.id}` } : {}),
        gsi4pk: 'DEALS',
        gsi4sk: close,
      };
    },
    ownerPartition: (ownerId: string) => `DEALS#OWNER#${ownerId}`,
    boardPartition: (pipelineId: string) => `DEALS#BOARD#${pipelineId}`,
    closedPartition: (ownerId: string, status: 'won' | 'lost') => `DEALS#CLOSED#${ownerId}#${status}`,
    allPartition: 'DEALS',
  },
  /**
   * Incrementally maintained sales aggregates (ADD deltas in the deal's own transaction).
   * Forecast: `FCST#<yyyy>` / `<yyyy-mm>#<ownerId>#<currency>`; report counters:
   * `SALESRPT#<yyyy>` / `<yyyy-mm>#<ownerId>#<pipelineId>`. A period is one Query on the year.
   */
  forecast: {
    item: (month: string, ownerId: string, currency: string) => ({ pk: `FCST#${month.slice(0, 4)}`, sk: `${month}#${ownerId}#${currency}` }),
    partition: (year: string) => `FCST#${year}`,
  },
  salesReport: {
    item: (month: string, ownerId: string, pipelineId: string) => ({ pk: `SALESRPT#${month.slice(0, 4)}`, sk: `${month}#${ownerId}#${pipelineId}` }),
    partition: (year: string) => `SALESRPT#${year}`,
  },
  /** Quotas: `QUOTA#<userId>` / `<period>` (GetItem); a period's quotas on gsi1 `QUOTAS#<period>`. */
  quota: {
    primary: (userId: string, period: string) => ({ pk: `QUOTA#${userId}`, sk: period }),
    byPeriod: (period: string, userId: string) => ({ gsi1pk: `QUOTAS#${period}`, gsi1sk: userId }),
    periodPartition: (period: string) => `QUOTAS#${period}`,
    audit: (userId: string, at: string, auditId: string) => ({ pk: `QUOTA#${userId}`, sk: `AUD#${at}#${auditId}` }),
  },
  /**
   * Leads (C4): own partition `LEAD#<id>` (GetItem by id; audit entries `AUD#…` beside it). Lists:
   * gsi1 all leads, gsi2 per owner, gsi3 per status, gsi4 per source, each sorted by
   * `<searchKey(last first)>#<id>` so `q` is a name-prefix `begins_with` on any of them.
   */
  lead: {
    primary: (id: string) => ({ pk: `LEAD#${id}`, sk: '#PROFILE' }),
    nameSort: (l: { id: string; lastName: string; firstName?: string }) => nameSort(`${l.lastName} ${l.firstName ?? ''}`, l.id),
    indexes: (l: { id: string; lastName: string; firstName?: string; ownerId: string; status: string; source?: string }) => {
      const sort = nameSort(`${l.lastName} ${l.firstName ?? ''}`, l.id);
      return {
        gsi1pk: 'LEADS',
        gsi1sk: sort,
        gsi2pk: `LEADS#OWNER#${l.ownerId}`,
        gsi2sk: sort,
        gsi3pk: `LEADS#STATUS#${l.status}`,
        gsi3sk: sort,
        ...(l.source ? { gsi4pk: `LEADS#SOURCE#${l.source}`, gsi4sk: sort } : {}),
      };
    },
    allPartition: 'LEADS',
    ownerPartition: (ownerId: string) => `LEADS#OWNER#${ownerId}`,
    statusPartition: (status: string) => `LEADS#STATUS#${status}`,
    sourcePartition: (source: string) => `LEADS#SOURCE#${source}`,
    audit: (leadId: string, at: string, id: string) => ({ pk: `LEAD#${leadId}`, sk: `AUD#${at}#${id}` }),
    /** Uniqueness guards of open leads (held while new/working/qualified); hold `leadId`. */
    uniqueEmail: (email: string) => ({ pk: `LUNQ#EMAIL#${normalizeEmail(email)}`, sk: 'UNQ' }),
    uniquePhone: (phone: string) => ({ pk: `LUNQ#PHONE#${normalizePhone(phone)}`, sk: 'UNQ' }),
  },
  /**
   * Territory rules (one item, versioned) and one round-robin counter per team rule, advanced with
   * an atomic `ADD` so concurrent assignments never pick the same slot.
   */
  territories: {
    current: () => ({ pk: 'SETTINGS#TERRITORIES', sk: '#CURRENT' }),
    audit: (at: string, id: string) => ({ pk: 'SETTINGS#TERRITORIES', sk: `AUD#${at}#${id}` }),
    roundRobin: (ruleId: string) => ({ pk: 'SETTINGS#TERRITORIES', sk: `RR#${ruleId}` }),
  },
  /**
   * Products (C4): own partition `PRD#<id>` (GetItem; audit entries beside it). SKU uniqueness
   * guard `UNQ#SKU#<SKU>`. Lists by name: gsi1 all products, gsi2 per active flag.
   */
  product: {
    primary: (id: string) => ({ pk: `PRD#${id}`, sk: '#PRODUCT' }),
    sku: (sku: string) => ({ pk: `UNQ#SKU#${sku.trim().toUpperCase()}`, sk: 'UNQ' }),
    indexes: (p: { id: string; name: string; active: boolean }) => ({
      gsi1pk: 'PRODUCTS',
      gsi1sk: nameSort(p.name, p.id),
      gsi2pk: `PRODUCTS#${p.active ? 'ACTIVE' : 'INACTIVE'}`,
      gsi2sk: nameSort(p.name, p.id),
    }),
    allPartition: 'PRODUCTS',
    activePartition: (active: boolean) => `PRODUCTS#${active ? 'ACTIVE' : 'INACTIVE'}`,
    namePrefix: (q: string) => searchKey(q),
    audit: (id: string, at: string, auditId: string) => ({ pk: `PRD#${id}`, sk: `AUD#${at}#${auditId}` }),
  },
  /**
   * Quotes: every version is its own item `QUO#<id>` / `#QUOTE` (GetItem); a deal's quotes on gsi1
   * `DEAL#<dealId>#QUOTES` by id (ULID = creation order). Audit entries beside the quote.
   */
  quote: {
    primary: (id: string) => ({ pk: `QUO#${id}`, sk: '#QUOTE' }),
    byDeal: (dealId: string, id: string) => ({ gsi1pk: `DEAL#${dealId}#QUOTES`, gsi1sk: id }),
    dealPartition: (dealId: string) => `DEAL#${dealId}#QUOTES`,
    audit: (id: string, at: string, auditId: string) => ({ pk: `QUO#${id}`, sk: `AUD#${at}#${auditId}` }),
  },
  /** Orders: `ORD#<id>` / `#ORDER` (GetItem); a customer's orders on gsi1 by `<orderedAt>#<id>`. */
  order: {
    primary: (id: string) => ({ pk: `ORD#${id}`, sk: '#ORDER' }),
    byCustomer: (customerId: string, orderedAt: string, id: string) => ({ gsi1pk: `CUS#${customerId}#ORDERS`, gsi1sk: `${orderedAt}#${id}` }),
    customerPartition: (customerId: string) => `CUS#${customerId}#ORDERS`,
  },
  /**
   * Commission plans: `COMMPLAN#<id>` / `#PLAN`, listed on gsi1 `COMMPLANS` by id. One assignment
   * item per user (`COMMPLAN#USER#<userId>`) so a user is on at most one plan (GetItem).
   */
  commissionPlan: {
    primary: (id: string) => ({ pk: `COMMPLAN#${id}`, sk: '#PLAN' }),
    list: (id: string) => ({ gsi1pk: 'COMMPLANS', gsi1sk: id }),
    listPartition: 'COMMPLANS',
    assignment: (userId: string) => ({ pk: `COMMPLAN#USER#${userId}`, sk: 'ASSIGNMENT' }),
    audit: (id: string, at: string, auditId: string) => ({ pk: `COMMPLAN#${id}`, sk: `AUD#${at}#${auditId}` }),
  },
  /**
   * Outbound webhooks (C9): the subscription `WH#<id>` / `#WEBHOOK` (GetItem), listed on gsi1
   * `WEBHOOKS` by id; active ones also on the sparse gsi2 `WEBHOOKS#ACTIVE`, which the deliverer
   * reads once per event batch. Deliveries live in the webhook's partition, `DLV#<deliveryId>`
   * (the id carries the event's ULID, so the log reads newest first by sort key); a pending
   * delivery sits on the sparse gsi1 `WEBHOOKS#DUE` by `<nextAttemptAt>#<webhookId>#<deliveryId>`,
   * so the retry job reads what is due, not what exists.
   */
  webhook: {
    primary: (id: string) => ({ pk: `WH#${id}`, sk: '#WEBHOOK' }),
    partition: (id: string) => `WH#${id}`,
    list: (id: string) => ({ gsi1pk: 'WEBHOOKS', gsi1sk: id }),
    listPartition: 'WEBHOOKS',
    active: (id: string) => ({ gsi2pk: 'WEBHOOKS#ACTIVE', gsi2sk: id }),
    activePartition: 'WEBHOOKS#ACTIVE',
    delivery: (webhookId: string, deliveryId: string) => ({ pk: `WH#${webhookId}`, sk: `DLV#${deliveryId}` }),
    deliveryPrefix: 'DLV#',
    due: (nextAttemptAt: string, webhookId: string, deliveryId: string) => ({ gsi1pk: 'WEBHOOKS#DUE', gsi1sk: `${nextAttemptAt}#${webhookId}#${deliveryId}` }),
    duePartition: 'WEBHOOKS#DUE',
    /** The webhook's audit entries (and outbox): created, updated, rotated, disabled, deleted. */
    audit: (webhookId: string, at: string, auditId: string) => ({ pk: `WH#${webhookId}`, sk: `AUD#${at}#${auditId}` }),
  },
  /**
   * API keys (C9): `APIKEY#<keyId>` / `#KEY` (GetItem by the id the key carries), listed on gsi1
   * `APIKEYS`. Beside it: the key's audit entries `AUD#…` and its rate-limit counters, one small
   * item per minute `RATE#<window start>` (no index keys; expire by TTL), ADDed by the authorizer.
   */
  apiKey: {
    primary: (keyId: string) => ({ pk: `APIKEY#${keyId}`, sk: '#KEY' }),
    list: (keyId: string) => ({ gsi1pk: 'APIKEYS', gsi1sk: keyId }),
    listPartition: 'APIKEYS',
    rateWindow: (keyId: string, windowStart: string) => ({ pk: `APIKEY#${keyId}`, sk: `RATE#${windowStart}` }),
    audit: (keyId: string, at: string, auditId: string) => ({ pk: `APIKEY#${keyId}`, sk: `AUD#${at}#${auditId}` }),
  },
  /**
   * Dashboard counters (functions/dashboard/counters.ts), ADDed in the transaction of the write
   * they count, one item per owner so a sales rep's figures are one GetItem and everyone's one
   * Query: open pipeline by stage `DASH#PIPELINE` / `<ownerId>`; live customers by tier and stage
   * `DASH#CUSTOMERS` / `<ownerId>`; lead and deal flows per month `DASH#LEADS#<yyyy>` and
   * `DASH#DEALS#<yyyy>` / `<yyyy-mm>#<ownerId>` (a period is one Query on its year).
   */
  dashboard: {
    pipeline: (ownerId: string) => ({ pk: 'DASH#PIPELINE', sk: ownerId }),
    pipelinePartition: 'DASH#PIPELINE',
    customers: (ownerId: string) => ({ pk: 'DASH#CUSTOMERS', sk: ownerId }),
    customersPartition: 'DASH#CUSTOMERS',
    leads: (month: string, ownerId: string) => ({ pk: `DASH#LEADS#${month.slice(0, 4)}`, sk: `${month}#${ownerId}` }),
    leadsPartition: (year: string) => `DASH#LEADS#${year}`,
    deals: (month: string, ownerId: string) => ({ pk: `DASH#DEALS#${month.slice(0, 4)}`, sk: `${month}#${ownerId}` }),
    dealsPartition: (year: string) => `DASH#DEALS#${year}`,
  },
  /**
   * On-demand exports (functions/exports): the job item `EXP#<id>` / `#EXPORT` (GetItem; its
   * progress and resume point live on it); a user's exports on gsi1 `EXPORTS#USER#<userId>` by id.
   */
  exportJob: {
    primary: (id: string) => ({ pk: `EXP#${id}`, sk: '#EXPORT' }),
    byCreator: (userId: string, id: string) => ({ gsi1pk: `EXPORTS#USER#${userId}`, gsi1sk: id }),
    creatorPartition: (userId: string) => `EXPORTS#USER#${userId}`,
    /** The export's audit entries (and outbox): started, completed, failed — who exported what. */
    audit: (id: string, at: string, auditId: string) => ({ pk: `EXP#${id}`, sk: `AUD#${at}#${auditId}` }),
  },
  /**
   * CSV imports (functions/imports): the job item `IMP#<id>` / `#IMPORT` (GetItem; mapping,
   * checkpoint and counts live on it); a user's imports on gsi1 `IMPORTS#USER#<userId>` by id,
   * everyone's on gsi2 `IMPORTS` by id.
   */
  importJob: {
    primary: (id: string) => ({ pk: `IMP#${id}`, sk: '#IMPORT' }),
    byCreator: (userId: string, id: string) => ({ gsi1pk: `IMPORTS#USER#${userId}`, gsi1sk: id }),
    creatorPartition: (userId: string) => `IMPORTS#USER#${userId}`,
    /** Every import on gsi2 `IMPORTS` by id (an admin's list; imports are few, the partition stays small). */
    all: (id: string) => ({ gsi2pk: 'IMPORTS', gsi2sk: id }),
    allPartition: 'IMPORTS',
  },
  /**
   * Service desk (C5). A ticket's partition `TKT#<id>` holds the ticket (`#TICKET`, GetItem by id),
   * its deadline item (`#SLA`) and its messages (`MSG#<msgId>`, ULID: time order). Ticket list
   * indexes, each sorted by `<statusRank>#<priorityRank>#<id>` (so status, and status + priority,
   * are key prefixes): gsi1 per assignee, gsi2 per queue, gsi3 per customer, gsi4 all tickets.
   * The deadline item is small and sparse: gsi1 `SLA#DUE` by the next escalation time (the SLA
   * job's due index) and gsi2 `TICKETS#DEADLINE` by the next deadline ("breaching soon").
   */
  ticket: {
    primary: (id: string) => ({ pk: `TKT#${id}`, sk: '#TICKET' }),
    partition: (id: string) => `TKT#${id}`,
    listSort: (statusRank: number, priorityRank: number, id: string) => `${statusRank}#${priorityRank}#${id}`,
    indexes: (t: { id: string; statusRank: number; priorityRank: number; customerId: string; assigneeId?: string; queueId?: string }) => {
      const sort = `${t.statusRank}#${t.priorityRank}#${t.id}`;
      return {
        ...(t.assigneeId ? { gsi1pk: `TICKETS#ASG#${t.assigneeId}`, gsi1sk: sort } : {}),
        ...(t.queueId ? { gsi2pk: `TICKETS#QUEUE#${t.queueId}`, gsi2sk: sort } : {}),
        gsi3pk: `TICKETS#CUS#${t.customerId}`,
        gsi3sk: sort,
        gsi4pk: 'TICKETS',
        gsi4sk: sort,
      };
    },
    assigneePartition: (assigneeId: string) => `TICKETS#ASG#${assigneeId}`,
    queuePartition: (queueId: string) => `TICKETS#QUEUE#${queueId}`,
    customerPartition: (customerId: string) => `TICKETS#CUS#${customerId}`,
    allPartition: 'TICKETS',
    /** The deadline item: index keys only while a clock runs (sparse). */
    deadline: (id: string) => ({ pk: `TKT#${id}`, sk: '#SLA' }),
    due: (nextCheckAt: string, id: string) => ({ gsi1pk: 'SLA#DUE', gsi1sk: `${nextCheckAt}#${id}` }),
    duePartition: 'SLA#DUE',
    nextDeadline: (nextDeadline: string, id: string) => ({ gsi2pk: 'TICKETS#DEADLINE', gsi2sk: `${nextDeadline}#${id}` }),
    deadlinePartition: 'TICKETS#DEADLINE',
    message: (ticketId: string, messageId: string) => ({ pk: `TKT#${ticketId}`, sk: `MSG#${messageId}` }),
    messagePrefix: 'MSG#',
    /** A public reply whose email is not confirmed sent (sparse, until resent once): the `ticket-emails` job's due index. */
    unsentEmail: (createdAt: string, ticketId: string, messageId: string) => ({ gsi1pk: 'TICKETS#EMAIL#UNSENT', gsi1sk: `${createdAt}#${ticketId}#${messageId}` }),
    unsentEmailPartition: 'TICKETS#EMAIL#UNSENT',
    /** The satisfaction survey of the ticket (one per ticket, written with its first resolution; functions/service-desk/csat.ts). */
    survey: (ticketId: string) => ({ pk: `TKT#${ticketId}`, sk: '#CSAT' }),
    /** A file attached to one of the ticket's messages (functions/service-desk/attachments.ts). */
    attachment: (ticketId: string, attachmentId: string) => ({ pk: `TKT#${ticketId}`, sk: `ATT#${attachmentId}` }),
  },
  /**
   * Inbound email (functions/tickets/inbound.ts): one record per received object, `INMAIL#<object
   * key>` / `INMAIL`, written in the transaction of what the mail did (ticket opened, message
   * appended) or alone when it was ignored or quarantined: the same object twice does nothing twice.
   * The placeholder customer of unknown senders is named by one settings item.
   */
  inboundMail: {
    record: (objectKey: string) => ({ pk: `INMAIL#${objectKey}`, sk: 'INMAIL' }),
    settings: () => ({ pk: 'SETTINGS#INBOUND_MAIL', sk: '#CURRENT' }),
  },
  /** Queues (service teams): `QUEUE#<id>` / `#QUEUE`, listed on gsi1 `QUEUES` by name; one round-robin counter each. */
  queue: {
    primary: (id: string) => ({ pk: `QUEUE#${id}`, sk: '#QUEUE' }),
    list: (name: string, id: string) => ({ gsi1pk: 'QUEUES', gsi1sk: nameSort(name, id) }),
    listPartition: 'QUEUES',
    roundRobin: (id: string) => ({ pk: `QUEUE#${id}`, sk: 'RR' }),
    audit: (id: string, at: string, auditId: string) => ({ pk: `QUEUE#${id}`, sk: `AUD#${at}#${auditId}` }),
  },
  /** Service-desk settings (SLA policies, business calendar, routing rules, reopen window): one versioned item. */
  serviceDesk: {
    current: () => ({ pk: 'SETTINGS#SERVICE_DESK', sk: '#CURRENT' }),
    audit: (at: string, id: string) => ({ pk: 'SETTINGS#SERVICE_DESK', sk: `AUD#${at}#${id}` }),
  },
  /** Service report counters (ADD): `SVCRPT#<yyyy>` / `<yyyy-mm>#<queueId or ->#<priority>`. */
  serviceReport: {
    item: (month: string, queueId: string | undefined, priority: string) => ({ pk: `SVCRPT#${month.slice(0, 4)}`, sk: `${month}#${queueId ?? '-'}#${priority}` }),
    partition: (year: string) => `SVCRPT#${year}`,
    /** Response and resolution times (histograms), SLA compliance and breaches by level: `<yyyy-mm>#SLA#<queueId or ->#<priority>`. */
    times: (month: string, queueId: string | undefined, priority: string) => ({ pk: `SVCRPT#${month.slice(0, 4)}`, sk: `${month}#SLA#${queueId ?? '-'}#${priority}` }),
    /** Satisfaction per agent, queue or category: `<yyyy-mm>#CSAT#<dimension>#<value or ->`. */
    csat: (month: string, dimension: 'agent' | 'queue' | 'category', value: string | undefined) => ({ pk: `SVCRPT#${month.slice(0, 4)}`, sk: `${month}#CSAT#${dimension}#${value ?? '-'}` }),
    /** The open backlog now (not per period): `SVCRPT#BACKLOG` / `<queueId or ->#<priority>`, one count per active status. */
    backlog: (queueId: string | undefined, priority: string) => ({ pk: 'SVCRPT#BACKLOG', sk: `${queueId ?? '-'}#${priority}` }),
    backlogPartition: 'SVCRPT#BACKLOG',
  },
  /**
   * Service contracts (C5): own partition `CTR#<id>` (GetItem; audit entries `AUD#…` beside it).
   * Number guard `UNQ#CONTRACT#<NUMBER>`. gsi1: a customer's contracts by `<startDate>#<id>`;
   * gsi2: sparse due index of active contracts by `<dueOn>#<id>` (renewal reminder day, then the
   * day after the end, when the contract expires); gsi3: all contracts and gsi4: per stored
   * status, both by `<endDate>#<id>`.
   */
  contract: {
    primary: (id: string) => ({ pk: `CTR#${id}`, sk: '#CONTRACT' }),
    number: (number: string) => ({ pk: `UNQ#CONTRACT#${number.trim().toUpperCase()}`, sk: 'UNQ' }),
    indexes: (c: { id: string; customerId: string; startDate: string; endDate: string; status: string }, dueOn: string | undefined) => ({
      gsi1pk: `CUS#${c.customerId}#CONTRACTS`,
      gsi1sk: `${c.startDate}#${c.id}`,
      ...(dueOn ? { gsi2pk: 'CONTRACTS#DUE', gsi2sk: `${dueOn}#${c.id}` } : {}),
      gsi3pk: 'CONTRACTS',
      gsi3sk: `${c.endDate}#${c.id}`,
      gsi4pk: `CONTRACTS#STATUS#${c.status}`,
      gsi4sk: `${c.endDate}#${c.id}`,
    }),
    customerPartition: (customerId: string) => `CUS#${customerId}#CONTRACTS`,
    duePartition: 'CONTRACTS#DUE',
    allPartition: 'CONTRACTS',
    statusPartition: (status: string) => `CONTRACTS#STATUS#${status}`,
    /** Upper bound of a `<date>#<id>` sort key for every id on that date. */
    throughDate: (date: string) => `${date}#~`,
    audit: (id: string, at: string, auditId: string) => ({ pk: `CTR#${id}`, sk: `AUD#${at}#${auditId}` }),
  },
  /**
   * Knowledge-base articles (C5): the article (`#ARTICLE`), its body (`#ARTICLE#BODY`, kept apart
   * so no index copies it) and its versions (`#VER#nnnnnn`) share `KBA#<id>`: the article with its
   * body is one Query, the versions another. Lists by title (`<searchKey(title)>#<id>`, so `q`
   * is a `begins_with`): gsi1 per status, gsi2 per status and category, gsi3 all, gsi4 all of a
   * category. The portal (published only) reads the `PUBLISHED` partitions.
   */
  article: {
    primary: (id: string) => ({ pk: `KBA#${id}`, sk: '#ARTICLE' }),
    /** The body, apart from the indexed article item: the four index copies carry no body. */
    body: (id: string) => ({ pk: `KBA#${id}`, sk: '#ARTICLE#BODY' }),
    /** Sort-key prefix of the article and its body (one Query reads both; versions stay out). */
    recordPrefix: '#ARTICLE',
    partition: (id: string) => `KBA#${id}`,
    version: (id: string, n: number) => ({ pk: `KBA#${id}`, sk: `#VER#${String(n).padStart(6, '0')}` }),
    versionPrefix: '#VER#',
    indexes: (a: { id: string; title: string; category: string; status: string }) => {
      const sort = nameSort(a.title, a.id);
      const status = a.status.toUpperCase();
      return {
        gsi1pk: `KB#${status}`,
        gsi1sk: sort,
        gsi2pk: `KB#${status}#CAT#${a.category}`,
        gsi2sk: sort,
        gsi3pk: 'KB#ALL',
        gsi3sk: sort,
        gsi4pk: `KB#ALL#CAT#${a.category}`,
        gsi4sk: sort,
      };
    },
    /** The list partition for an optional status and category, and the index holding it. */
    listPartition: (status: string | undefined, category: string | undefined) => {
      const base = status ? `KB#${status.toUpperCase()}` : 'KB#ALL';
      const value = category ? `${base}#CAT#${category}` : base;
      const index = status ? (category ? 'gsi2' : 'gsi1') : category ? 'gsi4' : 'gsi3';
      return { index: index as 'gsi1' | 'gsi2' | 'gsi3' | 'gsi4', value };
    },
    titlePrefix: (q: string) => searchKey(q),
    audit: (id: string, at: string, auditId: string) => ({ pk: `KBA#${id}`, sk: `AUD#${at}#${auditId}` }),
  },
  /**
   * Marketing (C6, functions/marketing). Consent: one item per contact and channel in the contact's
   * own consent partition `CONSENT#<contactId>` (`#email`, `#sms`), its change history beside it
   * (`HIST#<at>#<id>`): reading a contact's consent is one Query, its history another.
   * Suppression: one item per normalised address `SUPP#<address>` (GetItem / BatchGet at send
   * time), listed on gsi1 `SUPPRESSIONS` newest first by `<at>#<address>`.
   */
  consent: {
    primary: (contactId: string, channel: string) => ({ pk: `CONSENT#${contactId}`, sk: `#${channel}` }),
    partition: (contactId: string) => `CONSENT#${contactId}`,
    currentPrefix: '#',
    history: (contactId: string, at: string, id: string) => ({ pk: `CONSENT#${contactId}`, sk: `HIST#${at}#${id}` }),
    historyPrefix: 'HIST#',
  },
  suppression: {
    primary: (address: string) => ({ pk: `SUPP#${normalizeEmail(address)}`, sk: 'SUPP' }),
    list: (at: string, address: string) => ({ gsi1pk: 'SUPPRESSIONS', gsi1sk: `${at}#${normalizeEmail(address)}` }),
    listPartition: 'SUPPRESSIONS',
  },
  /** Email templates `TPL#<id>` / `#TEMPLATE`, listed on gsi1 `TEMPLATES` by id (creation order). */
  template: {
    primary: (id: string) => ({ pk: `TPL#${id}`, sk: '#TEMPLATE' }),
    list: (id: string) => ({ gsi1pk: 'TEMPLATES', gsi1sk: id }),
    listPartition: 'TEMPLATES',
  },
  /** Segments (saved rules) `SEG#<id>` / `#SEGMENT`, listed on gsi1 `SEGMENTS` by id. */
  segment: {
    primary: (id: string) => ({ pk: `SEG#${id}`, sk: '#SEGMENT' }),
    list: (id: string) => ({ gsi1pk: 'SEGMENTS', gsi1sk: id }),
    listPartition: 'SEGMENTS',
  },
  /** Static lists `MLIST#<id>` / `#LIST` (listed on gsi1 `MLISTS`), members beside it as `MEM#<contactId>`. */
  mailingList: {
    primary: (id: string) => ({ pk: `MLIST#${id}`, sk: '#LIST' }),
    list: (id: string) => ({ gsi1pk: 'MLISTS', gsi1sk: id }),
    listPartition: 'MLISTS',
    member: (listId: string, contactId: string) => ({ pk: `MLIST#${listId}`, sk: `MEM#${contactId}` }),
    partition: (listId: string) => `MLIST#${listId}`,
    memberPrefix: 'MEM#',
  },
  /**
   * Campaigns `CMP#<id>` / `#CAMPAIGN` (listed on gsi1 `CAMPAIGNS` by id; while scheduled or
   * sending also on the sparse gsi2 `CAMPAIGNS#ACTIVE` by `<sendAt>#<id>`, the send job's due
   * index). In the campaign's partition: counter shards `#STATS#nn` (one Query sums them) and one
   * recipient per normalised address `RCP#<addressHash>` — the ledger that makes a second send
   * impossible; a recipient waiting to be sent sits on the sparse gsi1 `CMP#<id>#PENDING`.
   */
  campaign: {
    primary: (id: string) => ({ pk: `CMP#${id}`, sk: '#CAMPAIGN' }),
    partition: (id: string) => `CMP#${id}`,
    list: (id: string) => ({ gsi1pk: 'CAMPAIGNS', gsi1sk: id }),
    listPartition: 'CAMPAIGNS',
    active: (sendAt: string, id: string) => ({ gsi2pk: 'CAMPAIGNS#ACTIVE', gsi2sk: `${sendAt}#${id}` }),
    activePartition: 'CAMPAIGNS#ACTIVE',
    stats: (id: string, shard: number) => ({ pk: `CMP#${id}`, sk: `#STATS#${String(shard).padStart(2, '0')}` }),
    statsPrefix: '#STATS#',
    recipient: (id: string, addressHash: string) => ({ pk: `CMP#${id}`, sk: `RCP#${addressHash}` }),
    recipientPrefix: 'RCP#',
    pending: (id: string, addressHash: string) => ({ gsi1pk: `CMP#${id}#PENDING`, gsi1sk: addressHash }),
    pendingPartition: (id: string) => `CMP#${id}#PENDING`,
  },
  /**
   * Campaign attribution counters (functions/marketing/attribution.ts), ADDed in the same
   * transaction as the lead or deal change that moves them: `CMPATTR#<campaignId>` / `#COUNTS`
   * (`leads`, `deals`) and `#WON#<currency>` (`wonDeals`, `wonRevenue` in minor units). A partition
   * of its own so the leads and deals functions may write these counters and nothing else of a
   * campaign; one Query reads them all.
   */
  campaignAttribution: {
    counts: (campaignId: string) => ({ pk: `CMPATTR#${campaignId}`, sk: '#COUNTS' }),
    won: (campaignId: string, currency: string) => ({ pk: `CMPATTR#${campaignId}`, sk: `#WON#${currency}` }),
    partition: (campaignId: string) => `CMPATTR#${campaignId}`,
  },
  /**
   * Custom fields (functions/customfields): the definitions of one entity in one versioned item
   * `#ENTITY#<entity>` (a write reads its entity's with one GetItem, cached briefly per container;
   * all entities are one Query of the partition); one uniqueness guard per
   * value of a `unique` field, `CFUNQ#<entity>#<key>#<normalised value>` (holds `recordId`), put in
   * the record's own transaction.
   */
  customFields: {
    definitions: (entity: string) => ({ pk: 'SETTINGS#CUSTOM_FIELDS', sk: `#ENTITY#${entity}` }),
    partition: 'SETTINGS#CUSTOM_FIELDS',
    definitionsPrefix: '#ENTITY#',
    audit: (at: string, id: string) => ({ pk: 'SETTINGS#CUSTOM_FIELDS', sk: `AUD#${at}#${id}` }),
    unique: (entity: string, key: string, value: string) => ({ pk: `CFUNQ#${entity}#${key}#${value}`, sk: 'UNQ' }),
  },
  /**
   * Customer merges (functions/merge): one job item per duplicate, `MERGE#<duplicateId>` / `#MERGE`,
   * holding the survivor, the step reached and what has moved (the resume point of a retry).
   */
  merge: {
    job: (duplicateId: string) => ({ pk: `MERGE#${duplicateId}`, sk: '#MERGE' }),
  },
  /** Marketing settings (auto-pause thresholds, who hears of an auto-pause): one item, replaced with a version condition. */
  marketingSettings: () => ({ pk: 'SETTINGS#MARKETING', sk: '#CURRENT' }),
  /**
   * Fixed-window request counters of public endpoints (functions/marketing/rate-limit.ts):
   * `RATE#<limit>#<hashed subject>` / `<window start>`, expired by TTL (`expiresAt`). The subject
   * (an IP address, an email address) is hashed: no personal data in keys.
   */
  rateLimit: {
    window: (limit: string, subjectHash: string, windowStart: string) => ({ pk: `RATE#${limit}#${subjectHash}`, sk: windowStart }),
  },
  /**
   * Who a phone number is, for inbound SMS (a STOP reply): `SMSTO#<hash of the E.164 number>` /
   * `SMSTO` holds the contact an SMS campaign last put that number in its ledger for
   * (functions/marketing/sms.ts). Written with the recipient; read by the inbound handler.
   */
  smsAddress: (phoneHash: string) => ({ pk: `SMSTO#${phoneHash}`, sk: 'SMSTO' }),
  /** Checkpoints of scheduled jobs (e.g. how far the dormancy job has read the change feed). */
  jobState: (job: string) => ({ pk: `JOB#${job}`, sk: 'STATE' }),
  system: {
    heartbeat: () => ({ pk: 'SYS#HEARTBEAT', sk: 'SYS#HEARTBEAT' }),
    seed: () => ({ pk: 'SYS#SEED', sk: 'SYS#SEED' }),
  },
} as const;

/**
 * The partition-key families of the table, in IAM `StringLike` form: `*` stands for the rest of
 * the key, a value without `*` is one exact partition. Every `pk` built above falls in one of them
 * (test/unit/feature-grants.test.ts). FEATURES (functions/api/features.ts) names the families each function
 * writes, and its role may write nothing else (lib/grants.ts: `dynamodb:LeadingKeys`). A family
 * is a whole partition: audit/outbox items share their entity's partition, so whoever writes an
 * entity can also write its audit entries.
 */
export const PARTITIONS = {
  customer: 'CUS#*',
  contact: 'CON#*',
  customerEmail: 'UNQ#EMAIL#*',
  customerPhone: 'UNQ#PHONE#*',
  idempotency: 'IDEM#*',
  task: 'TSK#*',
  ruleGuard: 'RULE#*',
  notification: 'NTF#*',
  userProfile: 'USER#*',
  activity: 'ACT#*',
  asset: 'AST#*',
  serviceRules: 'SETTINGS#SERVICE_RULES',
  territories: 'SETTINGS#TERRITORIES',
  pipeline: 'PIP#*',
  /** The default pipeline alone, created on first use by whoever needs it first. */
  defaultPipeline: 'PIP#pip_00000000000000000000000000',
  deal: 'DEAL#*',
  forecast: 'FCST#*',
  salesReport: 'SALESRPT#*',
  quota: 'QUOTA#*',
  lead: 'LEAD#*',
  leadEmail: 'LUNQ#EMAIL#*',
  leadPhone: 'LUNQ#PHONE#*',
  product: 'PRD#*',
  productSku: 'UNQ#SKU#*',
  quote: 'QUO#*',
  order: 'ORD#*',
  /** Plans and the per-user plan assignments (`COMMPLAN#USER#…`). */
  commissionPlan: 'COMMPLAN#*',
  contract: 'CTR#*',
  contractNumber: 'UNQ#CONTRACT#*',
  article: 'KBA#*',
  jobState: 'JOB#*',
  exportJob: 'EXP#*',
  importJob: 'IMP#*',
  dashboard: 'DASH#*',
  ticket: 'TKT#*',
  queue: 'QUEUE#*',
  serviceDesk: 'SETTINGS#SERVICE_DESK',
  serviceReport: 'SVCRPT#*',
  /** Inbound email records (idempotency and outcome per received object) and its settings item. */
  inboundMail: 'INMAIL#*',
  inboundMailSettings: 'SETTINGS#INBOUND_MAIL',
  /** Webhooks and their deliveries. */
  webhook: 'WH#*',
  apiKey: 'APIKEY#*',
  /** Marketing (functions/marketing). */
  consent: 'CONSENT#*',
  suppression: 'SUPP#*',
  template: 'TPL#*',
  segment: 'SEG#*',
  mailingList: 'MLIST#*',
  campaign: 'CMP#*',
  /** Campaign attribution counters, written by the leads and deals functions. */
  campaignAttribution: 'CMPATTR#*',
  /** Rate-limit counters of public endpoints (sign-up). */
  rateLimit: 'RATE#*',
  /** Phone number → contact, for inbound SMS (STOP). */
  smsAddress: 'SMSTO#*',
  /** Custom-field definitions and their audit entries. */
  customFieldDefinitions: 'SETTINGS#CUSTOM_FIELDS',
  /** Uniqueness guards of custom-field values. */
  customFieldUnique: 'CFUNQ#*',
  /** Customer merge jobs (progress and resume point). */
  mergeJob: 'MERGE#*',
  marketingSettings: 'SETTINGS#MARKETING',
  heartbeat: 'SYS#HEARTBEAT',
  seed: 'SYS#SEED',
} as const;

export type PartitionFamily = keyof typeof PARTITIONS;
