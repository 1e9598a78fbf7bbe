/**
 * The local stand-in for "SES stores the mail in S3 and invokes the inbound-mail function": the
 * local S3 (s3rver) emits an S3 event for every object written, and this hands the `ObjectCreated`
 * events of the inbound bucket's `inbound/` prefix to the `inbound-mail` handler, as Lambda would.
 * Event-driven (no polling): costs nothing until mail arrives.
 *
 * Like an asynchronous Lambda invocation, a failing invocation is retried twice; invocations run
 * one at a time. `settled()` resolves when every invocation started so far has finished.
 */
import type { S3ObjectEvent } from './engines/s3';
import { LOCAL_INBOUND_BUCKET } from './env';
import { lambdaContext, loadHandler } from './lambda';

const ATTEMPTS = 3;

export interface InboundMailTarget {
  onEvent: (event: S3ObjectEvent) => void;
  settled: () => Promise<void>;
}

export function inboundMailTarget(options: { bucket?: string; log?: (entry: Record<string, unknown>) => void } = {}): InboundMailTarget {
  const bucket = options.bucket ?? LOCAL_INBOUND_BUCKET;
  let chain: Promise<void> = Promise.resolve();
  const invoke = async (event: S3ObjectEvent) => {
    const handler = await loadHandler('inbound-mail');
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await handler(event, lambdaContext('inbound-mail'));
        return;
      } catch (error) {
        options.log?.({ msg: 'inbound-mail invocation failed', attempt, key: event.Records[0]?.s3.object.key, error: error instanceof Error ? error.message : String(error) });
      }
    }
  };
  return {
    onEvent: (event) => {
      const record = event.Records?.[0];
      if (!record || record.s3.bucket.name !== bucket || !record.eventName.startsWith('ObjectCreated')) return;
      if (!decodeURIComponent(record.s3.object.key).startsWith('inbound/')) return;
      chain = chain.then(() => invoke(event));
    },
    settled: async () => {
      let seen: Promise<void>;
      do {
        seen = chain;
        await seen;
      } while (seen !== chain);
    },
  };
}
