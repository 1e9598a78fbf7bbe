/**
 * Answers to satisfaction surveys (docs/service.md, "Satisfaction"): the rating, once, with its
 * counters; the follow-up task of a low rating, once. Used by the public survey link
 * (functions/service-desk/handler.ts) and the self-service portal (`recordRating`). The survey
 * itself and its email: functions/service-desk/csat.ts.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { BadRequest, NotFound } from '../http/problem';
import { createTaskFromRule } from '../tasks/service';
import { textProblem } from '../../schemas/text-rules';
import { DEFAULT_CSAT_LOW_RATING } from '../tickets/model';
import { csatDeltas, getSurvey, type SurveyItem } from './csat';
import { addReportUpdates } from './report-counters';

const table = () => config().tableName;

export const MAX_COMMENT = 2000;

export type RatedBy = { via: 'link' } | { via: 'portal'; contactId: string; customerId: string };

export interface RatingResult {
  ticketId: string;
  /** False when the survey had been answered already (nothing changed). */
  recorded: boolean;
  rating: number;
  comment?: string;
  ratedAt: string;
  followUpTaskId?: string;
}

async function lowRatingThreshold(): Promise<number> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.serviceDesk.current(), ProjectionExpression: 'csatLowRating' }));
  const value = out.Item?.csatLowRating;
  return typeof value === 'number' ? value : DEFAULT_CSAT_LOW_RATING;
}

const resultOf = (s: SurveyItem, recorded: boolean): RatingResult => ({
  ticketId: s.ticketId,
  recorded,
  rating: s.rating!,
  ...(s.comment ? { comment: s.comment } : {}),
  ratedAt: s.ratedAt!,
  ...(s.followUp?.taskId ? { followUpTaskId: s.followUp.taskId } : {}),
});

/** The survey a caller may answer: a link's ticket, or a ticket of the portal contact's own customer. */
async function surveyFor(ticketId: string, by: RatedBy): Promise<SurveyItem> {
  const survey = await getSurvey(ticketId);
  if (!survey || (by.via === 'portal' && survey.customerId !== by.customerId)) throw NotFound('This ticket has no satisfaction survey (it is not resolved, or was resolved without a contact)');
  return survey;
}

/** The survey the link's page shows (GET: changes nothing — but finishes a follow-up left pending). */
export async function surveyForPage(ticketId: string, now: Date): Promise<SurveyItem> {
  const survey = await surveyFor(ticketId, { via: 'link' });
  if (survey.followUp?.status === 'pending') survey.followUp = await openFollowUp(survey, now);
  return survey;
}

/**
 * Records a rating (1–5) and optional comment for a resolved ticket's survey, once: the first
 * answer stands and a later one returns it with `recorded: false`. For the self-service portal
 * (`by.via = 'portal'`, the signed-in contact and their customer: a ticket of another customer is
 * a 404) and the public survey link (`by.via = 'link'`, after the token was verified).
 */
export async function recordRating(ticketId: string, rating: number, comment: string | undefined, by: RatedBy, now: Date = new Date()): Promise<RatingResult> {
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) throw BadRequest('The rating must be a whole number from 1 to 5', [{ path: 'rating', message: 'Expected 1–5' }]);
  const text = comment?.trim();
  if (text && text.length > MAX_COMMENT) throw BadRequest(`The comment is longer than ${MAX_COMMENT} characters`, [{ path: 'comment', message: `At most ${MAX_COMMENT} characters` }]);
  const problem = text ? textProblem(text, { multiline: true }) : undefined;
  if (problem) throw BadRequest('The comment is not valid text', [{ path: 'comment', message: problem }]);
  const survey = await surveyFor(ticketId, by);
  if (survey.rating !== undefined) {
    if (survey.followUp?.status === 'pending') survey.followUp = await openFollowUp(survey, now);
    return resultOf(survey, false);
  }
  const low = rating <= (await lowRatingThreshold());
  const rated: SurveyItem = {
    ...survey,
    rating,
    ...(text ? { comment: text } : {}),
    ratedAt: now.toISOString(),
    ratedVia: by.via,
    ...(by.via === 'portal' ? { ratedBy: by.contactId } : {}),
    ...(low ? { followUp: { status: 'pending' as const } } : {}),
  };
  const tx = new Transaction();
  tx.update('survey', keys.ticket.survey(ticketId), {
    expression: `SET rating = :rating, ratedAt = :at, ratedVia = :via${text ? ', #comment = :comment' : ''}${by.via === 'portal' ? ', ratedBy = :by' : ''}${low ? ', followUp = :follow' : ''}`,
    ...(text ? { names: { '#comment': 'comment' } } : {}),
    values: {
      ':rating': rating, ':at': rated.ratedAt, ':via': by.via,
      ...(text ? { ':comment': text } : {}), ...(by.via === 'portal' ? { ':by': by.contactId } : {}), ...(low ? { ':follow': { status: 'pending' } } : {}),
    },
  }, { expression: 'attribute_exists(pk) AND attribute_not_exists(rating)' });
  addReportUpdates(tx, csatDeltas(survey, { responses: 1, ratingSum: rating, [`r${rating}`]: 1 }), 'csat');
  try {
    await tx.commit();
  } catch (err) {
    if (err instanceof ConditionsFailed && err.labels.includes('survey')) return resultOf((await surveyFor(ticketId, by)), false);
    throw err;
  }
  if (low) rated.followUp = await openFollowUp(rated, now);
  return resultOf(rated, true);
}

/**
 * The follow-up of a low rating: one task (source key `csat-low#<ticketId>`) for the queue's
 * manager, else the ticket's assignee, else whoever resolved it; then the survey notes the task.
 * Repeating it finds the guard and the same task.
 */
async function openFollowUp(s: SurveyItem, now: Date): Promise<SurveyItem['followUp']> {
  const queue = s.queueId ? await ddb().send(new GetCommand({ TableName: table(), Key: keys.queue.primary(s.queueId), ProjectionExpression: 'managerId' })) : undefined;
  const managerId = queue?.Item?.managerId;
  const assigneeId = (typeof managerId === 'string' ? managerId : undefined) ?? s.assigneeId ?? s.resolvedBy;
  const { taskId } = await createTaskFromRule({
    sourceKey: `csat-low#${s.ticketId}`,
    title: `Low satisfaction (${s.rating}/5): ${s.subject}`,
    notes: `The customer rated ticket ${s.ticketId} ${s.rating} of 5. Call them back and find out what went wrong.`,
    dueAt: new Date(now.getTime() + 86_400_000).toISOString(),
    assigneeId,
    customerId: s.customerId,
    related: { type: 'contact', id: s.contactId },
    reminders: [],
  }, now);
  const followUp = { status: 'created' as const, taskId };
  await ddb().send(new UpdateCommand({
    TableName: table(),
    Key: keys.ticket.survey(s.ticketId),
    UpdateExpression: 'SET followUp = :f',
    ExpressionAttributeValues: { ':f': followUp },
  }));
  return followUp;
}
