import { readFileSync } from 'node:fs';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { UnreadableFailureRecord, buildFailureRecord, failureObjectKey, parseFailureRecord } from '../../functions/events/failures';
import { streamRecordEntry } from '../../functions/events/entries';
import { parseArgs, UsageError } from '../../scripts/redrive';

/**
 * Shaped exactly like the record Lambda writes to an S3 on-failure destination for a DynamoDB
 * stream (Lambda Developer Guide, "Example Amazon S3 invocation record"): the SQS/SNS fields plus
 * `payload`, the original invocation event as an escaped JSON string. Its records are outbox
 * inserts of two customer.created events, as Lambda delivered them to the publisher.
 */
const fixture = readFileSync(new URL('../fixtures/lambda-s3-failure-record-dynamodb.json', import.meta.url), 'utf8');

describe('failure records (S3 on-failure destination)', () => {
  it('reads the batch position and the whole stream records from Lambda\'s S3 record', () => {
    const parsed = parseFailureRecord(fixture);
    expect(parsed.condition).toBe('RetryAttemptsExhausted');
    expect(parsed.info).toMatchObject({ shardId: 'shardId-00000001794614400000-864758bb', batchSize: 2, startSequenceNumber: '800000000003126276361' });
    expect(parsed.records.map((r) => r.dynamodb?.SequenceNumber)).toEqual(['800000000003126276361', '800000000003126276362']);
  });

  it('turns its records into the entries the publisher would have put, with the original time and eventId', () => {
    const entries = parseFailureRecord(fixture).records.map((r) => streamRecordEntry(r, 'crm-bus'));
    expect(entries.map((e) => e?.DetailType)).toEqual(['customer.created', 'customer.created']);
    expect(entries[0]).toMatchObject({ Source: 'crm', EventBusName: 'crm-bus', Time: new Date('2026-11-14T00:13:19.402Z') });
    expect(JSON.parse(entries[1]!.Detail!)).toMatchObject({ eventId: 'aud_01JD0Z8R1K2M3N4P5Q6R7S8T9V', entityId: 'cus_01JD0Z8R1J2M3N4P5Q6R7S8T9V', version: 1 });
  });

  it('also accepts a payload written as an object rather than a string', () => {
    const doc = JSON.parse(fixture);
    doc.payload = JSON.parse(doc.payload);
    expect(parseFailureRecord(JSON.stringify(doc)).records).toHaveLength(2);
  });

  it('refuses what cannot be redriven, saying why', () => {
    const sqsShaped = JSON.parse(fixture);
    delete sqsShaped.payload;
    expect(() => parseFailureRecord(JSON.stringify(sqsShaped))).toThrow(UnreadableFailureRecord);
    expect(() => parseFailureRecord(JSON.stringify(sqsShaped))).toThrow(/only S3 destinations keep the records/);
    const kinesis = JSON.parse(fixture);
    kinesis.KinesisBatchInfo = kinesis.DDBStreamBatchInfo;
    delete kinesis.DDBStreamBatchInfo;
    expect(() => parseFailureRecord(JSON.stringify(kinesis))).toThrow(/DDBStreamBatchInfo/);
    expect(() => parseFailureRecord('{"DDBStreamBatchInfo": {"shardId": "s", "streamArn": "a"}, "payload": "{not json"}')).toThrow(/payload is not JSON/);
    expect(() => parseFailureRecord('<html>')).toThrow(UnreadableFailureRecord);
  });

  it('writes the same shape it reads: batch info from the records, payload a JSON string', () => {
    const records = parseFailureRecord(fixture).records as DynamoDBRecord[];
    const written = buildFailureRecord({
      records, shardId: 'shardId-1', streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x', requestId: 'req-1',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f', invokeCount: 3, at: new Date('2026-11-14T00:20:00.123Z'),
    });
    expect(typeof written.payload).toBe('string');
    expect(written.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST' });
    expect(written.DDBStreamBatchInfo).toEqual({
      shardId: 'shardId-1', startSequenceNumber: '800000000003126276361', endSequenceNumber: '800000000003126276362',
      approximateArrivalOfFirstRecord: '2026-11-14T00:13:19Z', approximateArrivalOfLastRecord: '2026-11-14T00:13:20Z',
      batchSize: 2, streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x',
    });
    expect(Object.keys(written)).toEqual(Object.keys(JSON.parse(fixture)));
    expect(parseFailureRecord(JSON.stringify(written)).records).toEqual(records);
  });

  it('names objects as Lambda does: aws/lambda/<ESM UUID>/<shard>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<UUID>', () => {
    expect(failureObjectKey('8d5e1ee8-fbd9-4c1b-a4b7-6a3a7c0e1f22', 'shardId-00000001794614400000-864758bb', new Date('2026-01-05T07:08:09.999Z'), 'f0e1d2c3-b4a5-4968-8776-655443322110'))
      .toBe('aws/lambda/8d5e1ee8-fbd9-4c1b-a4b7-6a3a7c0e1f22/shardId-00000001794614400000-864758bb/2026/01/05/2026-01-05T07.08.09-f0e1d2c3-b4a5-4968-8776-655443322110');
  });
});

describe('redrive arguments', () => {
  it('reads the two modes', () => {
    expect(parseArgs(['--failures', '--since', '2026-11-01', '--dry-run'])).toMatchObject({ mode: 'failures', dryRun: true, since: new Date('2026-11-01T00:00:00Z'), local: false });
    expect(parseArgs(['--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z', '--local', '--segments', '4']))
      .toMatchObject({ mode: 'window', local: true, segments: 4, from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-02T00:00:00Z') });
  });

  it('rejects mixed, incomplete or malformed requests', () => {
    for (const argv of [[], ['--failures', '--from', '2026-11-01', '--to', '2026-11-02'], ['--from', '2026-11-01'], ['--from', '2026-11-02', '--to', '2026-11-01'],
      ['--from', 'yesterday', '--to', '2026-11-01'], ['--failures', '--segments', '2'], ['--from', '2026-11-01', '--to', '2026-11-02', '--prefix', 'x'], ['--failures', '--bucket'], ['--everything']]) {
      expect(() => parseArgs(argv), argv.join(' ')).toThrow(UsageError);
    }
  });
});
