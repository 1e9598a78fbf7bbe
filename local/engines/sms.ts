/**
 * Local SMS sink: a tiny HTTP server that speaks just enough of AWS End User Messaging SMS
 * (`PinpointSMSVoiceV2`, the awsJson1_0 protocol) for the real SDK client to send to it —
 * `AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2` points the functions here, like the local SES.
 * `SendTextMessage` is recorded and answered with a message id; anything else is a 400.
 *
 *   GET  /messages   the recorded messages as JSON, oldest first (to, from, body, messageId, at, campaignId)
 *   POST /clear      forgets them
 *   POST /inbound    {"from": "+4915…", "body": "STOP"} — a reply from a phone: handed to the
 *                    `onInbound` callback in the shape End User Messaging publishes on its SNS topic
 *                    (the local runtime passes the sms-inbound handler), so STOP can be tried locally.
 *
 * Kept in memory; no timers, no polling: it costs nothing while nobody sends.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SmsMessage {
  messageId: string;
  to: string;
  from: string;
  body: string;
  messageType?: string;
  campaignId?: string;
  at: string;
}

/** What End User Messaging SMS publishes to a two-way SNS topic for an inbound message. */
export interface InboundSmsMessage {
  originationNumber: string;
  destinationNumber: string;
  messageKeyword: string;
  messageBody: string;
  inboundMessageId: string;
}

export interface LocalSms {
  endpoint: string;
  port: number;
  messages(): SmsMessage[];
  clear(): void;
  stop(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startSmsSink(options: { port?: number; host?: string; onInbound?: (message: InboundSmsMessage) => Promise<unknown> } = {}): Promise<LocalSms> {
  const messages: SmsMessage[] = [];
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (req.method === 'GET' && url.pathname === '/messages') return reply(200, { messages });
        if (req.method === 'POST' && url.pathname === '/clear') {
          messages.length = 0;
          return reply(200, { cleared: true });
        }
        const raw = await readBody(req);
        if (req.method === 'POST' && url.pathname === '/inbound') {
          const input = JSON.parse(raw || '{}') as { from?: string; to?: string; body?: string };
          if (!input.from || !input.body) return reply(400, { message: 'Send {"from": "+…", "body": "STOP"}' });
          const text = input.body.trim();
          await options.onInbound?.({ originationNumber: input.from, destinationNumber: input.to ?? 'local', messageKeyword: text.split(/\s+/)[0]!.toUpperCase(), messageBody: text, inboundMessageId: randomUUID() });
          return reply(200, { delivered: Boolean(options.onInbound) });
        }
        const target = String(req.headers['x-amz-target'] ?? '');
        if (req.method === 'POST' && target === 'PinpointSMSVoiceV2.SendTextMessage') {
          const input = JSON.parse(raw || '{}') as { DestinationPhoneNumber?: string; OriginationIdentity?: string; MessageBody?: string; MessageType?: string; Context?: Record<string, string> };
          if (!input.DestinationPhoneNumber || !/^\+[1-9]\d{4,14}$/.test(input.DestinationPhoneNumber)) {
            return reply(400, { __type: 'ValidationException', message: 'DestinationPhoneNumber must be E.164' }, 'application/x-amz-json-1.0');
          }
          const message: SmsMessage = {
            messageId: randomUUID(), to: input.DestinationPhoneNumber, from: input.OriginationIdentity ?? '', body: input.MessageBody ?? '',
            ...(input.MessageType ? { messageType: input.MessageType } : {}), ...(input.Context?.campaignId ? { campaignId: input.Context.campaignId } : {}), at: new Date().toISOString(),
          };
          messages.push(message);
          return reply(200, { MessageId: message.messageId }, 'application/x-amz-json-1.0');
        }
        return reply(400, { __type: 'UnknownOperationException', message: `The local SMS sink does not serve ${target || `${req.method} ${url.pathname}`}` }, 'application/x-amz-json-1.0');
      } catch (error) {
        return reply(400, { message: (error as Error).message });
      }
    })();
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    messages: () => [...messages],
    clear: () => { messages.length = 0; },
    stop: () => new Promise<void>((done) => { server.close(() => done()); server.closeAllConnections(); }),
  };
}
