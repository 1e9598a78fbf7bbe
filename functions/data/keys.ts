/**
 * Every partition, sort and index key of every entity is built here and nowhere else.
 * docs/access-patterns.md lists each access pattern with the key condition, index and cost
 * these builders produce. Sort keys that hold numbers are zero-padded or ISO timestamps, so
 * lexical order is numeric order.
 */
import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** Prefixed ULIDs: `cus_01J…`. Sortable by creation time, unguessable enough for ids. */
export function newId(prefix: 'cus' | 'con' | 'aud' | 'req' | 'tsk' | 'ntf' | 'act' | 'ast' | 'led' | 'deal' | 'pip' | 'stg' | 'prd' | 'quo' | 'ord'): string {
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
  jobState: 'JOB#*',
  heartbeat: 'SYS#HEARTBEAT',
  seed: 'SYS#SEED',
} as const;

export type PartitionFamily = keyof typeof PARTITIONS;
