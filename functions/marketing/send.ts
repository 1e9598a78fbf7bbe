/**
 * The campaign send job (schedule row `campaigns`, every minute; docs/marketing.md).
 *
 * 1. Due campaigns: one Query on the sparse gsi2 `CAMPAIGNS#ACTIVE` up to now (scheduled or
 *    sending campaigns only). A scheduled one moves to `sending` (conditional on its status).
 * 2. Materialise the audience into the ledger, page by page: for every member of every segment and
 *    list, one recipient item per normalised address (`RCP#<addressHash>`), put with
 *    `attribute_not_exists` in one transaction with its counter — so an address in two segments,
 *    or a page read twice by two runs, is one recipient and counted once. After each page the
 *    campaign's audience cursor moves on, conditioned on the step it read: the checkpoint the next
 *    run resumes from.
 *    Exclusions: before materialising, each run reads the campaign's excluded segments and lists
 *    whole, once, into a set of address hashes (at most MAX_EXCLUDED_ADDRESSES); an address in it
 *    is written to the ledger as `skipped`/`excluded` (never pending) with the `excluded` counter,
 *    by the same `attribute_not_exists` put — so a page read twice still counts it once.
 * 3. Send: read the pending recipients (sparse gsi1 `CMP#<id>#PENDING`) a page at a time; claim
 *    each with a conditional update (`status = pending` → `claimed`, off the pending index) — of
 *    two concurrent runs exactly one wins each recipient; then check, fresh and consistent, the
 *    contact's email consent and the address's suppression; then send ONE email through SES at the
 *    campaign's rate (and never above the account's: the container's limiter), with the
 *    List-Unsubscribe headers and footer; then mark the recipient sent (or skipped, or failed) with
 *    its counter in one transaction, conditioned on the claim.
 *
 * Never twice: a recipient leaves `pending` only through its claim, and a claimed recipient goes
 * back to `pending` only when it is certain that nothing was sent (no send slot before the
 * budget, or SES refused the call as too fast). A crash between the claim and the final mark
 * leaves it `claimed` — "unknown" in the stats — and it is never sent again: at most once, by
 * construction, with the count of unknowns reported when the campaign completes.
 */
import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../data/client';
import { keys, normalizeEmail, normalizePhone } from '../data/keys';
import { withoutKeys } from '../data/records';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { Budget } from '../jobs/budget';
import { mapLimit } from '../jobs/concurrency';
import { sendEmail, sesClient } from '../notifications/email';
import { isRateThrottle, NoSendSlot, SendRateLimiter, sendRateLimiter } from '../notifications/send-rate';
import { readListPage, readSegmentPage, type AudiencePage, type Member } from './audience';
import { type CampaignItem, type Counter, type RecipientItem, getCampaignItem, statsShard } from './campaigns';
import { consentOf, suppressedAmong } from './consent';
import { TAG_CAMPAIGN, TAG_RECIPIENT } from './feedback';
import { unsubscribeFooter, unsubscribeHeaders } from './footer';
import { phoneHash, sendSms, smsRateLimiter, STOP_FOOTER } from './sms';
import { getSegment } from './segments';
import { fromHeader } from './sender';
import { getContacts, getCustomers, isConditionFailure, queryPage, table } from './store';
import { getTemplate, templateData, type TemplateItem } from './templates';
import { renderTemplate } from './template-engine';
import { addressHash, unsubscribeMailto, unsubscribeToken, unsubscribeUrl } from './token';

const DUE_PAGE = 25;
const AUDIENCE_PAGE = 100;
const SEND_PAGE = 100;
const SEND_CONCURRENCY = 10;
const RECIPIENT_WRITES_IN_FLIGHT = 10;
/** A sending run re-reads the campaign's status at least this often between claims: pause and cancel take effect within it. */
const STATUS_CHECK_MS = 1_000;

/** The SES configuration set of campaign email (event publishing and open/click tracking); none locally. */
const configurationSet = () => process.env.CAMPAIGN_CONFIGURATION_SET || undefined;

export interface CampaignRunResult {
  campaigns: number;
  recipientsAdded: number;
  /** Addresses left out by an exclusion (written as excluded in this run). */
  excluded: number;
  /** Campaigns whose exclusions reach more than MAX_EXCLUDED_ADDRESSES: not materialised (docs/marketing.md). */
  exclusionsTooLarge: number;
  claimed: number;
  sent: number;
  skippedConsent: number;
  skippedSuppressed: number;
  failed: number;
  /** Claimed, then handed back unsent (no send slot before the budget, or SES said "too fast"). */
  released: number;
  /** Claimed and sent (or skipped), but the final mark could not be written: counted "unknown". */
  unconfirmed: number;
  completed: number;
  more: boolean;
}

export interface CampaignRunOptions {
  budget?: Budget;
}

export async function runCampaigns(now: Date, options: CampaignRunOptions = {}): Promise<CampaignRunResult> {
  const budget = options.budget ?? Budget.fromContext(undefined);
  const result: CampaignRunResult = { campaigns: 0, recipientsAdded: 0, excluded: 0, exclusionsTooLarge: 0, claimed: 0, sent: 0, skippedConsent: 0, skippedSuppressed: 0, failed: 0, released: 0, unconfirmed: 0, completed: 0, more: false };
  const due = await queryPage({ index: 'gsi2', partition: keys.campaign.activePartition, upTo: `${now.toISOString()}#~`, limit: DUE_PAGE });
  let first = true;
  for (const entry of due.items) {
    // Every run makes progress: the first campaign goes ahead whatever the budget.
    if (!first && budget.expired()) { result.more = true; break; }
    first = false;
    result.campaigns += 1;
    await runCampaign(String(entry.id), now, budget, result);
  }
  result.more ||= due.lastKey !== undefined;
  return result;
}

async function runCampaign(id: string, now: Date, budget: Budget, result: CampaignRunResult): Promise<void> {
  let campaign = await getCampaignItem(id);
  if (campaign?.status === 'scheduled') campaign = await startSending(campaign, now);
  if (!campaign || campaign.status !== 'sending') return;
  if (!campaign.audienceComplete) {
    campaign = await materialise(campaign, now, budget, result);
    if (!campaign || !campaign.audienceComplete) { result.more = true; return; }
  }
  await sendPending(campaign, now, budget, result);
}

async function startSending(c: CampaignItem, now: Date): Promise<CampaignItem | undefined> {
  try {
    await ddb().send(new UpdateCommand({
      TableName: table(),
      Key: keys.campaign.primary(c.id),
      UpdateExpression: 'SET #status = :sending, startedAt = :now',
      ConditionExpression: '#status = :scheduled',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':sending': 'sending', ':scheduled': 'scheduled', ':now': now.toISOString() },
    }));
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
  return getCampaignItem(c.id);
}

// ---- 2. materialise ------------------------------------------------------------------------

type Part = { kind: 'segment' | 'list'; id: string };
const partsOf = (c: CampaignItem): Part[] => [...c.audience.segmentIds.map((id) => ({ kind: 'segment' as const, id })), ...c.audience.listIds.map((id) => ({ kind: 'list' as const, id }))];

/**
 * The most addresses a campaign's exclusions may reach: their hashes are held in memory for the
 * run (about 100 bytes each, so ~10 MB), and reading them costs one audience read per run.
 */
export const MAX_EXCLUDED_ADDRESSES = 100_000;

class ExclusionsTooLarge extends Error {
  override name = 'ExclusionsTooLarge';
}

/** The ledger hash of a member's address on this channel; undefined when it has none. */
function memberHash(m: Member, channel: CampaignItem['channel']): string | undefined {
  const address = channel === 'sms' ? normalizePhone(m.phone ?? '') : normalizeEmail(m.email);
  if (!address) return undefined;
  return channel === 'sms' ? phoneHash(address) : addressHash(address);
}

/**
 * Every address the excluded segments and lists reach, as ledger hashes: each read whole, a page
 * at a time (the same reads as an included part). Undefined without exclusions. A segment that no
 * longer exists excludes nothing, as an included one adds nothing.
 */
async function excludedHashes(c: CampaignItem): Promise<Set<string> | undefined> {
  const exclude = c.audience.exclude;
  if (!exclude || exclude.segmentIds.length + exclude.listIds.length === 0) return undefined;
  const hashes = new Set<string>();
  const take = (page: AudiencePage) => {
    for (const m of page.members) {
      const hash = memberHash(m, c.channel);
      if (hash) hashes.add(hash);
    }
    if (hashes.size > MAX_EXCLUDED_ADDRESSES) throw new ExclusionsTooLarge(`Campaign ${c.id}: its exclusions reach more than ${MAX_EXCLUDED_ADDRESSES} addresses`);
  };
  for (const id of exclude.segmentIds) {
    const segment = await getSegment(id).catch(() => undefined);
    if (!segment) continue;
    let state: AudiencePage['next'] = { source: 0 };
    while (state) {
      const page = await readSegmentPage(segment.rules, state, AUDIENCE_PAGE, c.channel);
      take(page);
      state = page.next;
    }
  }
  for (const id of exclude.listIds) {
    let state: AudiencePage['next'] = { source: 0 };
    while (state) {
      const page = await readListPage(id, state, AUDIENCE_PAGE, c.channel);
      take(page);
      state = page.next;
    }
  }
  return hashes;
}

async function materialise(campaign: CampaignItem, now: Date, budget: Budget, result: CampaignRunResult): Promise<CampaignItem | undefined> {
  const parts = partsOf(campaign);
  let excluded: Set<string> | undefined;
  try {
    excluded = await excludedHashes(campaign);
  } catch (err) {
    // Left as it is (sending, audience not materialised): the campaign's owner narrows the
    // exclusion or cancels; the other due campaigns of the run go on.
    if (!(err instanceof ExclusionsTooLarge)) throw err;
    result.exclusionsTooLarge += 1;
    return undefined;
  }
  let c: CampaignItem | undefined = campaign;
  while (c && c.status === 'sending' && !c.audienceComplete) {
    const cursor = c.audienceCursor ?? { part: 0, state: { source: 0 } };
    const part = parts[cursor.part];
    let page: AudiencePage = { members: [], customersRead: 0 };
    if (part?.kind === 'segment') {
      const segment = await getSegment(part.id).catch(() => undefined);
      if (segment) page = await readSegmentPage(segment.rules, cursor.state, AUDIENCE_PAGE, c.channel);
    } else if (part?.kind === 'list') {
      page = await readListPage(part.id, cursor.state, AUDIENCE_PAGE, c.channel);
    }
    const added = await addRecipients(c.id, page.members, c.channel, excluded);
    result.recipientsAdded += added.recipients;
    result.excluded += added.excluded;
    const next = page.next ? { part: cursor.part, state: page.next } : cursor.part + 1 < parts.length ? { part: cursor.part + 1, state: { source: 0 } } : undefined;
    await checkpoint(c, next, now);
    c = await getCampaignItem(c.id);
    if (c && !c.audienceComplete && budget.expired()) break;
  }
  return c;
}

/**
 * One recipient per address (the normalised email address, or for SMS the E.164 number), with its
 * counter; an address already in the ledger is left alone. An SMS recipient also records whose
 * number it is (`SMSTO#<hash>`), so a STOP reply finds the contact (sms-inbound.ts). An address in
 * `excluded` is written as skipped (`excluded`), off the pending index, with the `excluded` counter.
 */
async function addRecipients(campaignId: string, members: Member[], channel: CampaignItem['channel'] = 'email', excluded?: Set<string>): Promise<{ recipients: number; excluded: number }> {
  const sms = channel === 'sms';
  const byAddress = new Map<string, Member>();
  for (const m of members) {
    const address = sms ? normalizePhone(m.phone ?? '') : normalizeEmail(m.email);
    if (address && !byAddress.has(address)) byAddress.set(address, m);
  }
  const added = await mapLimit([...byAddress], RECIPIENT_WRITES_IN_FLIGHT, async ([address, m]) => {
    const hash = sms ? phoneHash(address) : addressHash(address);
    const base = { campaignId, addressHash: hash, email: sms ? '' : address, ...(sms ? { phone: address } : {}), contactId: m.contactId, customerId: m.customerId };
    const tx = new Transaction();
    if (excluded?.has(hash)) {
      const recipient: RecipientItem = { ...base, status: 'skipped', skipReason: 'excluded' };
      tx.put('recipient', { ...keys.campaign.recipient(campaignId, hash), kind: 'campaign-recipient', ...recipient }, { expression: 'attribute_not_exists(pk)' });
      count(tx, campaignId, hash, { excluded: 1 });
    } else {
      const recipient: RecipientItem = { ...base, status: 'pending' };
      tx.put('recipient', { ...keys.campaign.recipient(campaignId, hash), ...keys.campaign.pending(campaignId, hash), kind: 'campaign-recipient', ...recipient }, { expression: 'attribute_not_exists(pk)' });
      count(tx, campaignId, hash, { recipients: 1 });
      if (sms) tx.put('sms-address', { ...keys.smsAddress(hash), kind: 'sms-address', contactId: m.contactId, campaignId });
    }
    try {
      await tx.commit();
      return excluded?.has(hash) ? 'excluded' : 'recipient';
    } catch (err) {
      if (err instanceof ConditionsFailed) return undefined;
      throw err;
    }
  });
  return { recipients: added.filter((a) => a === 'recipient').length, excluded: added.filter((a) => a === 'excluded').length };
}

async function checkpoint(c: CampaignItem, next: CampaignItem['audienceCursor'] | undefined, now: Date): Promise<void> {
  try {
    await ddb().send(new UpdateCommand({
      TableName: table(),
      Key: keys.campaign.primary(c.id),
      UpdateExpression: next
        ? 'SET audienceCursor = :next, audienceStep = audienceStep + :one'
        : 'SET audienceComplete = :true, audienceCompletedAt = :now, audienceStep = audienceStep + :one REMOVE audienceCursor',
      ConditionExpression: 'audienceStep = :step',
      ExpressionAttributeValues: { ':one': 1, ':step': c.audienceStep, ...(next ? { ':next': next } : { ':true': true, ':now': now.toISOString() }) },
    }));
  } catch (err) {
    // Another run moved the cursor on: the caller re-reads and continues from there.
    if (!isConditionFailure(err)) throw err;
  }
}

/** Adds to the counter shard of this address. */
function count(tx: Transaction, campaignId: string, hash: string, deltas: Partial<Record<Counter, number>>): void {
  const names = Object.keys(deltas);
  tx.update('stats', keys.campaign.stats(campaignId, statsShard(hash)), {
    expression: `SET #kind = :kind ADD ${names.map((n, i) => `#c${i} :c${i}`).join(', ')}`,
    names: { '#kind': 'kind', ...Object.fromEntries(names.map((n, i) => [`#c${i}`, n])) },
    values: { ':kind': 'campaign-stats', ...Object.fromEntries(names.map((n, i) => [`:c${i}`, deltas[n as Counter]])) },
  });
}

// ---- 3. send -------------------------------------------------------------------------------

type Outcome = 'sent' | 'skippedConsent' | 'skippedSuppressed' | 'failed' | 'released' | 'unconfirmed';

const campaignLimiters = new Map<string, SendRateLimiter>();
/** The campaign's own rate, per container (the account's rate is the container's limiter). */
function campaignLimiter(c: CampaignItem): SendRateLimiter | undefined {
  if (!c.sendRatePerSecond) return undefined;
  const key = `${c.id}@${c.sendRatePerSecond}`;
  let limiter = campaignLimiters.get(key);
  if (!limiter) campaignLimiters.set(key, (limiter = new SendRateLimiter(c.sendRatePerSecond)));
  return limiter;
}

async function sendPending(campaign: CampaignItem, now: Date, budget: Budget, result: CampaignRunResult): Promise<void> {
  const template = await getTemplate(campaign.templateId).catch(() => undefined);
  const leaseId = randomUUID();
  const own = campaignLimiter(campaign);
  const from = campaign.sender ? fromHeader(campaign.sender) : undefined;
  let startKey: Record<string, unknown> | undefined;
  let sentInRun = 0;
  let checkedAt = 0;
  let stopped = false;
  const reread = async () => {
    checkedAt = Date.now();
    const item = await getCampaignItem(campaign.id);
    stopped ||= item?.status !== 'sending';
    return item;
  };
  /** Paused or cancelled meanwhile? Re-reads at most once a second (one GetItem), so new claims and sends stop within about a second. */
  const halted = async () => {
    if (!stopped && Date.now() - checkedAt >= STATUS_CHECK_MS) await reread();
    return stopped;
  };
  for (;;) {
    const current = await reread();
    if (!current || current.status !== 'sending') return;
    const slots = campaign.channel === 'sms' ? smsRateLimiter() : await sendRateLimiter(await sesClient());
    const limit = Math.min(SEND_PAGE, slots.capacityWithin(budget.remainingMs()), own ? own.capacityWithin(budget.remainingMs()) : SEND_PAGE);
    const page = await queryPage({ index: 'gsi1', partition: keys.campaign.pendingPartition(campaign.id), limit, startKey });
    startKey = page.lastKey;
    if (page.items.length === 0 && !startKey) {
      if (await complete(current, now)) result.completed += 1;
      else result.more = true;
      return;
    }
    const recipients = page.items.map((i) => withoutKeys<RecipientItem>(i));
    const contacts = await getContacts(recipients.map((r) => r.contactId));
    const customers = await getCustomers([...new Set([...contacts.values()].map((c) => c.customerId))]);
    for (let i = 0; i < recipients.length; i += SEND_CONCURRENCY) {
      if (sentInRun > 0 && budget.expired()) { result.more = true; return; }
      if (i > 0 && (await halted())) return;
      let claimError: unknown;
      const claimed = (await mapLimit(recipients.slice(i, i + SEND_CONCURRENCY), SEND_CONCURRENCY, (r) => claim(r, leaseId, now).catch((err: unknown) => {
        claimError ??= err;
        return undefined;
      }))).filter((r): r is RecipientItem => r !== undefined);
      if (claimError !== undefined) {
        // A claim whose answer was lost may have applied: that recipient stays claimed (unknown), never sent twice.
        await Promise.allSettled(claimed.map((r) => release(r, leaseId)));
        throw claimError;
      }
      result.claimed += claimed.length;
      if (claimed.length === 0) continue;
      // Checked after the claim, at send time, consistently: a contact who opted out or an address
      // suppressed a moment ago is not sent to. If the checks cannot be read, nothing was sent:
      // hand the claims back before failing the run (Lambda retries it).
      let consent: Map<string, string>;
      let suppressed: Set<string>;
      try {
        consent = await consentOf(claimed.map((r) => r.contactId), campaign.channel === 'sms' ? 'sms' : 'email');
        // The suppression list holds email addresses; SMS opt-outs are the contacts' SMS consent.
        suppressed = campaign.channel === 'sms' ? new Set() : await suppressedAmong(claimed.map((r) => r.email));
      } catch (err) {
        await Promise.allSettled(claimed.map((r) => release(r, leaseId)));
        throw err;
      }
      const errors: unknown[] = [];
      const outcomes = await mapLimit(claimed, SEND_CONCURRENCY, async (r): Promise<Outcome> => {
        const status = consent.get(r.contactId) ?? 'unknown';
        if (status === 'opted_out' || (campaign.consentPolicy === 'opted_in' && status !== 'opted_in')) return finish(r, leaseId, { status: 'skipped', skipReason: 'consent' }, 'skippedConsent');
        if (suppressed.has(r.email)) return finish(r, leaseId, { status: 'skipped', skipReason: 'suppressed' }, 'skippedSuppressed');
        const contact = contacts.get(r.contactId);
        if (!contact || !template) return finish(r, leaseId, { status: 'failed', lastError: contact ? 'TemplateGone' : 'ContactGone' }, 'failed');
        const deadline = sentInRun === 0 ? undefined : budget.deadline;
        sentInRun += 1;
        try {
          const input = { template, data: templateData(contact, customers.get(contact.customerId), undefined), deadline, own, halted, from };
          return await (campaign.channel === 'sms' ? deliverSms(r, leaseId, now, input) : deliver(r, leaseId, now, input));
        } catch (err) {
          // deliver handed the recipient back; the others of the chunk still finish before the run fails.
          errors.push(err);
          return 'released';
        }
      });
      for (const outcome of outcomes) {
        if (outcome === 'sent') result.sent += 1;
        else result[outcome] += 1;
      }
      if (errors.length > 0) throw errors[0];
    }
  }
}

/** pending → claimed, off the pending index; undefined when another run has it (or it moved on). */
async function claim(r: RecipientItem, leaseId: string, now: Date): Promise<RecipientItem | undefined> {
  try {
    const out = await ddb().send(new UpdateCommand({
      TableName: table(),
      Key: keys.campaign.recipient(r.campaignId, r.addressHash),
      UpdateExpression: 'SET #status = :claimed, leaseId = :lease, claimedAt = :now REMOVE gsi1pk, gsi1sk',
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':claimed': 'claimed', ':pending': 'pending', ':lease': leaseId, ':now': now.toISOString() },
      ReturnValues: 'ALL_NEW',
    }));
    return withoutKeys<RecipientItem>(out.Attributes!);
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
}

interface DeliverInput {
  template: TemplateItem;
  data: ReturnType<typeof templateData>;
  /** No send slot after this (epoch ms): hand the recipient back unsent. */
  deadline: number | undefined;
  own: SendRateLimiter | undefined;
  /** The campaign was paused or cancelled: hand the recipient back unsent. */
  halted: () => Promise<boolean>;
  /** The From header; undefined: the deployment's sender. */
  from?: string;
}

async function deliver(r: RecipientItem, leaseId: string, now: Date, input: DeliverInput): Promise<Outcome> {
  let token: string;
  let rendered: Awaited<ReturnType<typeof renderTemplate>>;
  try {
    token = await unsubscribeToken({ campaignId: r.campaignId, addressHash: r.addressHash });
    rendered = await renderTemplate(input.template, { ...input.data, unsubscribeUrl: unsubscribeUrl(token) });
  } catch (err) {
    // Nothing was sent (the key or the template could not be had): hand it back, then fail.
    await release(r, leaseId).catch(() => false);
    throw err;
  }
  const url = unsubscribeUrl(token);
  const footer = unsubscribeFooter(url);
  if (input.own && !(await input.own.acquire(input.deadline))) return (await release(r, leaseId)) ? 'released' : 'unconfirmed';
  // A chunk's claims wait for send slots; a pause or cancel meanwhile hands the rest back unsent.
  if (await input.halted()) return (await release(r, leaseId)) ? 'released' : 'unconfirmed';
  let messageId: string | undefined;
  try {
    messageId = await sendEmail(
      {
        to: r.email, ...(input.from ? { from: input.from } : {}), subject: rendered.subject, html: rendered.html + footer.html, text: rendered.text + footer.text, headers: unsubscribeHeaders(url, unsubscribeMailto(token)),
        // The configuration set publishes this message's events; the tags lead them back to its ledger entry (feedback.ts).
        configurationSetName: configurationSet(), tags: { [TAG_CAMPAIGN]: r.campaignId, [TAG_RECIPIENT]: r.addressHash },
      },
      { deadline: input.deadline },
    );
  } catch (err) {
    // Certainly not sent: hand it back for a later run.
    if (err instanceof NoSendSlot || isRateThrottle(err)) return (await release(r, leaseId)) ? 'released' : 'unconfirmed';
    return finish(r, leaseId, { status: 'failed', lastError: err instanceof Error && err.name ? err.name : 'Error' }, 'failed');
  }
  return finish(r, leaseId, { status: 'sent', messageId: messageId ?? 'unknown', sentAt: now.toISOString() }, 'sent');
}

/**
 * The SMS twin of deliver: the template's text part plus the STOP instruction, one SendTextMessage
 * at the origination identity's rate (and the campaign's), then the same mark as an email.
 */
async function deliverSms(r: RecipientItem, leaseId: string, now: Date, input: DeliverInput): Promise<Outcome> {
  let body: string;
  try {
    body = `${(await renderTemplate(input.template, input.data)).text.trim()}${STOP_FOOTER}`;
  } catch (err) {
    await release(r, leaseId).catch(() => false);
    throw err;
  }
  if (!(await smsRateLimiter().acquire(input.deadline))) return (await release(r, leaseId)) ? 'released' : 'unconfirmed';
  if (input.own && !(await input.own.acquire(input.deadline))) return (await release(r, leaseId)) ? 'released' : 'unconfirmed';
  if (await input.halted()) return (await release(r, leaseId)) ? 'released' : 'unconfirmed';
  let messageId: string | undefined;
  try {
    messageId = await sendSms(r.phone ?? '', body, r.campaignId);
  } catch (err) {
    if (isRateThrottle(err)) return (await release(r, leaseId)) ? 'released' : 'unconfirmed';
    return finish(r, leaseId, { status: 'failed', lastError: err instanceof Error ? err.name : 'Error' }, 'failed');
  }
  return finish(r, leaseId, { status: 'sent', messageId: messageId ?? 'unknown', sentAt: now.toISOString() }, 'sent');
}

const FINISH_ATTEMPTS = 3;

/** claimed → final state with its counter, in one transaction conditioned on the claim. */
async function finish(r: RecipientItem, leaseId: string, change: Partial<RecipientItem> & { status: RecipientItem['status'] }, counter: Counter & Outcome): Promise<Outcome> {
  const fields = Object.entries(change).filter(([, v]) => v !== undefined);
  for (let attempt = 1; ; attempt++) {
    const tx = new Transaction();
    tx.update('recipient', keys.campaign.recipient(r.campaignId, r.addressHash), {
      expression: `SET ${fields.map(([k], i) => `#f${i} = :f${i}`).join(', ')} REMOVE leaseId`,
      names: Object.fromEntries(fields.map(([k], i) => [`#f${i}`, k])),
      values: Object.fromEntries(fields.map(([, v], i) => [`:f${i}`, v])),
    }, { expression: 'leaseId = :lease AND #st = :claimed', names: { '#st': 'status' }, values: { ':lease': leaseId, ':claimed': 'claimed' } });
    count(tx, r.campaignId, r.addressHash, { [counter]: 1 });
    try {
      await tx.commit();
      return counter;
    } catch (err) {
      if (err instanceof ConditionsFailed || attempt >= FINISH_ATTEMPTS) return 'unconfirmed';
      await new Promise((done) => setTimeout(done, 50 * attempt));
    }
  }
}

/** claimed → pending again (back on the pending index): only when nothing was sent. */
async function release(r: RecipientItem, leaseId: string): Promise<boolean> {
  const pending = keys.campaign.pending(r.campaignId, r.addressHash);
  try {
    await ddb().send(new UpdateCommand({
      TableName: table(),
      Key: keys.campaign.recipient(r.campaignId, r.addressHash),
      UpdateExpression: 'SET #status = :pending, gsi1pk = :gpk, gsi1sk = :gsk REMOVE leaseId, claimedAt',
      ConditionExpression: 'leaseId = :lease AND #status = :claimed',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pending': 'pending', ':claimed': 'claimed', ':lease': leaseId, ':gpk': pending.gsi1pk, ':gsk': pending.gsi1sk },
    }));
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/**
 * How long after the audience was complete an empty pending index is trusted when the counters do
 * not add up yet: the index is an eventually consistent copy (its lag is normally well under a
 * second), and the difference may also be recipients whose claim was never confirmed (unknown).
 */
export const SETTLE_MS = 60_000;

/** sending → sent, off the due index, once the ledger has nothing pending. */
async function complete(c: CampaignItem, now: Date): Promise<boolean> {
  const shards = await queryPage({ partition: keys.campaign.partition(c.id), prefix: keys.campaign.statsPrefix, limit: 16, consistent: true });
  const sum = (name: Counter) => shards.items.reduce((n, s) => n + Number(s[name] ?? 0), 0);
  const finished = sum('sent') + sum('skippedConsent') + sum('skippedSuppressed') + sum('failed');
  const settled = c.audienceCompletedAt !== undefined && Date.parse(c.audienceCompletedAt) + SETTLE_MS <= now.getTime();
  if (finished < sum('recipients') && !settled) return false;
  try {
    await ddb().send(new UpdateCommand({
      TableName: table(),
      Key: keys.campaign.primary(c.id),
      UpdateExpression: 'SET #status = :sent, completedAt = :now REMOVE gsi2pk, gsi2sk',
      ConditionExpression: '#status = :sending AND audienceComplete = :true',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':sent': 'sent', ':sending': 'sending', ':true': true, ':now': now.toISOString() },
    }));
    return true;
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    return false;
  }
}
