/**
 * `npm run mail -- <file.eml>`: delivers a raw email to the running CRM's support address, as the
 * SES receipt rule does in AWS — the file goes into the local inbound bucket under
 * `inbound/<sha-256 of the file>`, and the local S3's ObjectCreated event runs the inbound-mail
 * handler inside `npm start` (local/inbound-mail.ts). The command then waits for the handler's
 * record of that object and prints it as one JSON line:
 *
 *   {"outcome":"created","key":"inbound/…","ticketId":"tkt_…","sender":"contact"}
 *
 * Outcomes: created, appended (an answer to a ticket), ignored (auto-reply, bounce, bulk, our own
 * mail: `reason`), quarantined (unreadable: a copy under `quarantine/`, `reason`), duplicate (this
 * very file was delivered before: nothing happens twice).
 */
import './sdk-warning';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { keys } from '../functions/data/keys';
import { LOCAL_CREDENTIALS, LOCAL_INBOUND_BUCKET, LOCAL_REGION } from './env';
import { dataDir } from './paths';
import { runningCrm } from './runtime';

/** The handler runs within a second or two; a loaded machine gets a generous limit. */
const WAIT_MS = 120_000;

async function main(args: string[]): Promise<number> {
  const [file] = args;
  if (!file || file === '--help' || file === '-h' || args.length > 1) {
    process.stderr.write('Usage: npm run mail -- <file.eml>   (the CRM must be running: npm start)\n');
    return file ? 0 : 1;
  }
  const raw = readFileSync(file);
  const running = runningCrm(dataDir());
  if (!running?.s3) {
    process.stderr.write('The CRM is not running with this data directory: start it first (npm start), then deliver mail.\n');
    return 1;
  }
  const key = `inbound/${createHash('sha256').update(raw).digest('hex').slice(0, 40)}`;
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: running.dynamodb, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }));
  const s3 = new S3Client({ endpoint: running.s3, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
  const record = async () => (await ddb.send(new GetCommand({ TableName: running.tableName, Key: keys.inboundMail.record(key), ConsistentRead: true }))).Item;
  try {
    const before = await record();
    if (before) {
      process.stdout.write(`${JSON.stringify({ ...summary(before), outcome: 'duplicate', first: before.outcome })}\n`);
      return 0;
    }
    await s3.send(new PutObjectCommand({ Bucket: LOCAL_INBOUND_BUCKET, Key: key, Body: raw, ContentType: 'message/rfc822' }));
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const item = await record();
      if (item) {
        process.stdout.write(`${JSON.stringify(summary(item))}\n`);
        return 0;
      }
      if (Date.now() > deadline) {
        process.stderr.write(`Delivered as ${key}, but the CRM has not handled it yet: see the npm start terminal.\n`);
        return 1;
      }
      await new Promise((done) => setTimeout(done, 200));
    }
  } finally {
    s3.destroy();
    ddb.destroy();
  }
}

function summary(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of ['outcome', 'key', 'ticketId', 'messageId', 'sender', 'reason']) if (item[name] !== undefined) out[name] = item[name];
  return out;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`mail failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
