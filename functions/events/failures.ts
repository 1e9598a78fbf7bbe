/**
 * The failure record of the table-stream → events-publisher mapping, in the shape Lambda writes to
 * an S3 on-failure destination when a DynamoDB-stream batch exhausts its retries
 * (Lambda Developer Guide, "Retain discarded records for a DynamoDB event source"):
 *
 *   key   aws/lambda/<ESM UUID>/<shard id>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random UUID>
 *   body  { requestContext, responseContext, version: "1.0", timestamp, DDBStreamBatchInfo,
 *           payload: "<the original invocation event as an escaped JSON string>" }
 *
 * Only the S3 destination carries `payload`; an SQS/SNS record holds just the batch position, which
 * is useless once the stream has trimmed it (24 h). The local stream poller writes this shape and
 * `npm run redrive` reads it, so both meet the same format the service uses. Pure: no SDK here.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

/** Where Lambda puts failure objects in the bucket; redriven objects move out of this prefix. */
export const FAILURE_KEY_PREFIX = 'aws/lambda/';
/** Where `npm run redrive` moves an object once every record in it was republished. */
export const REDRIVEN_KEY_PREFIX = 'redriven/';

export interface StreamBatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  /** Second precision, `2019-11-14T00:13:19Z`, as Lambda writes it for DynamoDB streams. */
  approximateArrivalOfFirstRecord: string;
  approximateArrivalOfLastRecord: string;
  batchSize: number;
  streamArn: string;
}

export interface StreamFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    /** `RetryAttemptsExhausted` (retries used up) or `RecordAgeExceeded` (MaximumRecordAgeInSeconds). */
    condition: string;
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  DDBStreamBatchInfo: StreamBatchInfo;
  /** S3 destinations only: the invocation event (`{"Records": [...]}`) as an escaped JSON string. */
  payload?: string;
}

/** The object key Lambda uses: `aws/lambda/<ESM UUID>/<shard>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<UUID>`. */
export function failureObjectKey(mappingUuid: string, shardId: string, at: Date, id: string = randomUUID()): string {
  const iso = at.toISOString();
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 19).replace(/:/g, '.');
  return `${FAILURE_KEY_PREFIX}${mappingUuid}/${shardId}/${day.replace(/-/g, '/')}/${day}T${time}-${id}`;
}

export interface FailureRecordInput {
  /** The records of the batch that exhausted its retries, as the function received them. */
  records: DynamoDBRecord[];
  shardId: string;
  streamArn: string;
  /** Request id and ARN of the last failed invocation. */
  requestId: string;
  functionArn: string;
  invokeCount: number;
  /** `Unhandled` when the last invocation threw; absent when it returned batch item failures. */
  functionError?: string;
  at: Date;
}

export function buildFailureRecord(input: FailureRecordInput): StreamFailureRecord {
  const first = input.records[0];
  const last = input.records[input.records.length - 1];
  if (!first || !last) throw new Error('A failure record needs at least one stream record');
  const event: DynamoDBStreamEvent = { Records: input.records };
  return {
    requestContext: {
      requestId: input.requestId,
      functionArn: input.functionArn,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: input.invokeCount,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(input.functionError ? { functionError: input.functionError } : {}),
    },
    version: '1.0',
    timestamp: input.at.toISOString(),
    DDBStreamBatchInfo: {
      shardId: input.shardId,
      startSequenceNumber: first.dynamodb?.SequenceNumber ?? '',
      endSequenceNumber: last.dynamodb?.SequenceNumber ?? '',
      approximateArrivalOfFirstRecord: arrival(first),
      approximateArrivalOfLastRecord: arrival(last),
      batchSize: input.records.length,
      streamArn: input.streamArn,
    },
    payload: JSON.stringify(event),
  };
}

/** A failure object that cannot be redriven: not JSON, not the DynamoDB-stream shape, or no payload. */
export class UnreadableFailureRecord extends Error {
  override readonly name = 'UnreadableFailureRecord';
}

export interface ParsedFailureRecord {
  info: StreamBatchInfo;
  condition: string;
  /** The stream records of the failed batch, in stream order. */
  records: DynamoDBRecord[];
}

/**
 * Reads a failure object's body. `payload` is an escaped JSON string in the service's records; an
 * already-parsed object (as some emulators write it) is accepted too. Records other than outbox
 * records are returned as well: the caller decides what to republish.
 */
export function parseFailureRecord(body: string): ParsedFailureRecord {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new UnreadableFailureRecord('not JSON');
  }
  if (!isObject(doc)) throw new UnreadableFailureRecord('not a JSON object');
  const info = doc.DDBStreamBatchInfo;
  if (!isObject(info) || typeof info.shardId !== 'string' || typeof info.streamArn !== 'string') {
    throw new UnreadableFailureRecord('no DDBStreamBatchInfo: not a DynamoDB-stream failure record');
  }
  if (doc.payload === undefined) {
    throw new UnreadableFailureRecord('no payload: only S3 destinations keep the records (an SQS/SNS record holds just their stream position)');
  }
  let payload: unknown = doc.payload;
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload);
    } catch {
      throw new UnreadableFailureRecord('payload is not JSON');
    }
  }
  if (!isObject(payload) || !Array.isArray(payload.Records) || !payload.Records.every(isObject)) {
    throw new UnreadableFailureRecord('payload has no Records list');
  }
  const condition = isObject(doc.requestContext) && typeof doc.requestContext.condition === 'string' ? doc.requestContext.condition : 'unknown';
  return { info: info as unknown as StreamBatchInfo, condition, records: payload.Records as DynamoDBRecord[] };
}

/** Lambda reports arrivals of DynamoDB records to the second: `2019-11-14T00:13:19Z`. */
function arrival(record: DynamoDBRecord): string {
  const seconds = record.dynamodb?.ApproximateCreationDateTime;
  return new Date(typeof seconds === 'number' ? seconds * 1000 : Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
