/**
 * The SES feedback loop: what an SES event (event publishing through the campaign configuration
 * set, delivered by EventBridge; lib/constructs/campaign-email-events.ts) changes.
 *
 * Each event names its message (`mail.messageId`) and, through the message tags the send job set
 * (`crm-campaign`, `crm-recipient`), the ledger entry it belongs to. One transaction per event:
 * - the recipient's first `<event>At` (conditioned on not being set yet and on the message id), so
 *   an event delivered twice — EventBridge delivers at least once, and `npm run ses-event` may be
 *   run twice — changes and counts nothing the second time;
 * - the campaign's counter for the event type (ADD on the recipient's counter shard);
 * - a permanent bounce or a complaint: the address on the suppression list (reason `bounce` or
 *   `complaint`; an address already suppressed keeps its first reason);
 * - a complaint: the contact's email consent `opted_out` (source `complaint`) with its history.
 * Opens and clicks count once per recipient (unique opens and clicks); later ones change nothing.
 *
 * After a counted bounce or complaint the campaign's rates are checked (auto-pause, below).
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../data/client';
import { keys, newId } from '../data/keys';
import { ConditionsFailed, Transaction } from '../data/transaction';
import type { NotificationItem } from '../notifications/model';
import { notificationStored } from '../notifications/model';
import { type CampaignItem, type Counter, type RecipientItem, campaignStats, getCampaignItem, statsShard } from './campaigns';
import { actorOf, campaignAudit } from './audit';
import { type ConsentItem, consentWrite, suppressionWrite } from './consent';
import { getItem, table } from './store';

/** The message tags the send job puts on every campaign email (SES returns them in `mail.tags`). */
export const TAG_CAMPAIGN = 'crm-campaign';
export const TAG_RECIPIENT = 'crm-recipient';

/** The part of an SES event record (EventBridge `detail`) the feedback loop reads. */
export interface SesEventDetail {
  eventType: string;
  mail: { messageId: string; timestamp?: string; tags?: Record<string, string[] | undefined> };
  bounce?: { bounceType?: string; bounceSubType?: string; timestamp?: string };
  complaint?: { timestamp?: string; complaintFeedbackType?: string };
  delivery?: { timestamp?: string };
  open?: { timestamp?: string };
  click?: { timestamp?: string; link?: string };
  reject?: { reason?: string };
}

/** Whether a value (a replayed dead letter's `detail`) has the shape of an SES event record. */
export function isSesEventDetail(v: unknown): v is SesEventDetail {
  return typeof v === 'object' && v !== null && 'eventType' in v && typeof v.eventType === 'string'
    && 'mail' in v && typeof v.mail === 'object' && v.mail !== null && 'messageId' in v.mail && typeof v.mail.messageId === 'string';
}

type Field = 'deliveredAt' | 'openedAt' | 'clickedAt' | 'bouncedAt' | 'softBouncedAt' | 'complainedAt' | 'rejectedAt';

/** What one event changes: the recipient's field, the counter, and the address/contact consequences. */
export interface FeedbackEffect {
  field: Field;
  counter?: Counter;
  suppress?: 'bounce' | 'complaint';
  optOut?: boolean;
  /** A bounce or complaint: the campaign's rates are checked afterwards. */
  checkRates?: boolean;
}

/**
 * The effect of an event type, or undefined for events the loop ignores (Send — the ledger already
 * knows; DeliveryDelay, Rendering Failure, Subscription). A transient or undetermined bounce is
 * noted on the recipient but neither counted as a bounce nor suppressed: SES's own bounce rate
 * counts permanent bounces, and the address may well work tomorrow.
 */
export function effectOf(detail: SesEventDetail): FeedbackEffect | undefined {
  switch (detail.eventType) {
    case 'Delivery': return { field: 'deliveredAt', counter: 'delivered' };
    case 'Open': return { field: 'openedAt', counter: 'opened' };
    case 'Click': return { field: 'clickedAt', counter: 'clicked' };
    case 'Reject': return { field: 'rejectedAt', counter: 'rejected' };
    case 'Complaint': return { field: 'complainedAt', counter: 'complained', suppress: 'complaint', optOut: true, checkRates: true };
    case 'Bounce': return detail.bounce?.bounceType === 'Permanent'
      ? { field: 'bouncedAt', counter: 'bounced', suppress: 'bounce', checkRates: true }
      : { field: 'softBouncedAt' };
    default: return undefined;
  }
}

export type FeedbackOutcome = 'applied' | 'duplicate' | 'ignored' | 'unknown-recipient';

export interface FeedbackResult {
  outcome: FeedbackOutcome;
  campaignId?: string;
  eventType: string;
  /** The campaign was paused by this event (auto-pause). */
  autoPaused?: boolean;
}

const tag = (detail: SesEventDetail, name: string) => detail.mail?.tags?.[name]?.[0];

/** Applies one SES event to the ledger, the counters, the suppression list and consent. */
export async function applySesEvent(detail: SesEventDetail, now: Date): Promise<FeedbackResult> {
  const eventType = String(detail?.eventType ?? 'unknown');
  const effect = detail?.mail ? effectOf(detail) : undefined;
  const campaignId = tag(detail, TAG_CAMPAIGN);
  const hash = tag(detail, TAG_RECIPIENT);
  // Not a campaign email (a notification through the same configuration set), or nothing to do.
  if (!effect || !campaignId || !hash) return { outcome: 'ignored', eventType };
  const recipient = await getItem<RecipientItem>(keys.campaign.recipient(campaignId, hash));
  // The tags must name the ledger entry that holds this very message id (tags are ours, but a
  // stale or foreign event must not move another message's entry).
  if (!recipient || recipient.messageId !== detail.mail.messageId) return { outcome: 'unknown-recipient', campaignId, eventType };
  const at = now.toISOString();
  for (let attempt = 1; ; attempt++) {
    const consent = effect.optOut ? await getItem<ConsentItem>(keys.consent.primary(recipient.contactId, 'email')) : undefined;
    const tx = new Transaction();
    const bounceType = effect.field === 'bouncedAt' || effect.field === 'softBouncedAt' ? detail.bounce?.bounceType ?? 'Undetermined' : undefined;
    tx.update('recipient', keys.campaign.recipient(campaignId, hash), {
      expression: `SET #field = :at${bounceType ? ', bounceType = :bt' : ''}`,
      names: { '#field': effect.field },
      values: { ':at': at, ...(bounceType ? { ':bt': bounceType } : {}) },
    }, { expression: 'messageId = :mid AND attribute_not_exists(#field)', names: { '#field': effect.field }, values: { ':mid': detail.mail.messageId } });
    if (effect.counter) {
      tx.update('stats', keys.campaign.stats(campaignId, statsShard(hash)), {
        expression: 'SET #kind = :kind ADD #counter :one',
        names: { '#kind': 'kind', '#counter': effect.counter },
        values: { ':kind': 'campaign-stats', ':one': 1 },
      });
    }
    if (effect.suppress) suppressionWrite(tx, { email: recipient.email, reason: effect.suppress, at, campaignId });
    if (effect.optOut && consent?.status !== 'opted_out') {
      consentWrite(tx, {
        contactId: recipient.contactId, channel: 'email', from: consent?.status ?? 'unknown', to: 'opted_out', source: 'complaint',
        note: 'Marked a campaign email as spam', by: FEEDBACK_ACTOR, at, expectedVersion: consent?.version ?? 0,
      });
    }
    try {
      await tx.commit();
      break;
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      if (err.labels.includes('recipient')) return { outcome: 'duplicate', campaignId, eventType };
      // The consent changed between the read and the write: read it again.
      if (attempt >= 3) throw err;
    }
  }
  const autoPaused = effect.checkRates ? await autoPauseIfOverThreshold(campaignId, now) : false;
  return { outcome: 'applied', campaignId, eventType, ...(autoPaused ? { autoPaused } : {}) };
}

/** Who made consent changes that came from a complaint (no user is involved). */
export const FEEDBACK_ACTOR = 'ses-feedback';

// ---- auto-pause --------------------------------------------------------------------------------

export interface MarketingSettings {
  /** Pause when bounced / sent exceeds this (SES reviews accounts above 5 %). */
  maxBounceRate: number;
  /** Pause when complained / sent exceeds this (SES reviews accounts above 0.1 %). */
  maxComplaintRate: number;
  /** Rates are judged only once the campaign has sent at least this many emails. */
  minSends: number;
  /** Users (ids) notified of an auto-pause, besides the campaign's creator and last editor. */
  notifyUserIds: string[];
  version: number;
  updatedAt?: string;
  updatedBy?: string;
}

export const DEFAULT_MARKETING_SETTINGS: Readonly<MarketingSettings> = Object.freeze({
  maxBounceRate: 0.05,
  maxComplaintRate: 0.001,
  minSends: 200,
  notifyUserIds: [],
  version: 0,
});

export async function getMarketingSettings(): Promise<MarketingSettings> {
  return (await getItem<MarketingSettings>(keys.marketingSettings())) ?? { ...DEFAULT_MARKETING_SETTINGS, notifyUserIds: [] };
}

/** Which threshold the counters pass, if any (pure). */
export function overThreshold(stats: { sent: number; bounced: number; complained: number }, settings: Pick<MarketingSettings, 'maxBounceRate' | 'maxComplaintRate' | 'minSends'>) {
  if (stats.sent <= 0 || stats.sent < settings.minSends) return undefined;
  const bounceRate = stats.bounced / stats.sent;
  const complaintRate = stats.complained / stats.sent;
  if (complaintRate > settings.maxComplaintRate) return { reason: 'complaint-rate' as const, rate: complaintRate, threshold: settings.maxComplaintRate };
  if (bounceRate > settings.maxBounceRate) return { reason: 'bounce-rate' as const, rate: bounceRate, threshold: settings.maxBounceRate };
  return undefined;
}

/**
 * Pauses a sending campaign whose bounce or complaint rate passed its threshold, and notifies the
 * admins, in one transaction conditioned on the campaign still sending and never auto-paused: of
 * many concurrent events past the threshold exactly one pauses it and notifies, once.
 */
export async function autoPauseIfOverThreshold(campaignId: string, now: Date): Promise<boolean> {
  const campaign = await getCampaignItem(campaignId);
  if (!campaign || campaign.autoPause || (campaign.status !== 'sending' && campaign.status !== 'scheduled')) return false;
  const settings = await getMarketingSettings();
  const stats = await campaignStats(campaign);
  const breach = overThreshold(stats, settings);
  if (!breach) return false;
  const at = now.toISOString();
  const autoPause: NonNullable<CampaignItem['autoPause']> = { ...breach, sent: stats.sent, at };
  const tx = new Transaction();
  tx.update('campaign', keys.campaign.primary(campaignId), {
    expression: 'SET #status = :paused, pausedAt = :at, autoPause = :auto, version = version + :one, updatedAt = :at REMOVE gsi2pk, gsi2sk',
    names: { '#status': 'status' },
    values: { ':paused': 'paused', ':at': at, ':auto': autoPause, ':one': 1 },
  }, { expression: '#status IN (:sending, :scheduled) AND attribute_not_exists(autoPause)', names: { '#status': 'status' }, values: { ':sending': 'sending', ':scheduled': 'scheduled' } });
  tx.put('audit', campaignAudit(campaign, { ...campaign, status: 'paused', version: campaign.version + 1 }, 'paused', actorOf(FEEDBACK_ACTOR), now, [{ field: 'autoPause', to: { reason: breach.reason } }]));
  const notes = autoPauseNotifications(campaign, autoPause, settings.notifyUserIds);
  notes.forEach((n, i) => tx.put(`notification:${i}`, notificationStored(n), { expression: 'attribute_not_exists(pk)' }));
  try {
    await tx.commit();
    return true;
  } catch (err) {
    if (err instanceof ConditionsFailed && err.labels.includes('campaign')) return false;
    throw err;
  }
}

/** The in-app notifications of an auto-pause: the configured admins and the campaign's creator and last editor. */
export function autoPauseNotifications(c: CampaignItem, auto: NonNullable<CampaignItem['autoPause']>, notifyUserIds: readonly string[]): NotificationItem[] {
  const users = [...new Set([...notifyUserIds, c.createdBy, c.updatedBy])].filter((u) => u && !u.startsWith('key_'));
  const what = auto.reason === 'bounce-rate' ? 'bounce rate' : 'complaint rate';
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  return users.map((userId) => ({
    id: newId('ntf'),
    userId,
    type: 'campaign.auto-paused',
    title: `Campaign "${c.name}" paused: ${what} ${pct(auto.rate)}`,
    body: `After ${auto.sent} sent emails the ${what} is ${pct(auto.rate)}, above the threshold of ${pct(auto.threshold)}, so the campaign was paused before it harms the sending reputation. Check the audience, then resume it (POST /v1/campaigns/${c.id}/resume) or cancel it.`,
    link: `/v1/campaigns/${c.id}/stats`,
    createdAt: auto.at,
  }));
}

/** Saves the settings (admin), conditioned on the version read. */
export async function putMarketingSettings(next: Omit<MarketingSettings, 'version' | 'updatedAt' | 'updatedBy'>, expectedVersion: number, by: string, at: Date): Promise<MarketingSettings> {
  const saved: MarketingSettings = { ...next, version: expectedVersion + 1, updatedAt: at.toISOString(), updatedBy: by };
  await ddb().send(new PutCommand({
    TableName: table(),
    Item: { ...keys.marketingSettings(), kind: 'marketing-settings', ...saved },
    ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
    ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':v': expectedVersion } }),
  }));
  return saved;
}
