/**
 * Every AWS SDK client fails fast on a dead endpoint instead of hanging until the Lambda timeout:
 * against a local server that accepts but never answers, and one whose accept queue is full (the
 * loopback stand-in for a black-holed address: the SYN is dropped, the connect never completes),
 * a call rejects with a TimeoutError after its attempts — and every client in functions/ is built
 * with these options, within the timeout of the functions that use it.
 */
import { once } from 'node:events';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURES } from '../../functions/api/features';
import { CLIENT_TIMEOUTS, type AwsService, clientOptions, worstCaseSendMs } from '../../functions/aws/client-options';
import { REPO_ROOT } from '../../lib/paths';

// The local runtime stretches timeouts (local/env.ts); this file tests the limits that ship.
delete process.env.SDK_TIMEOUT_SCALE;

const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };

function dynamodbAt(port: number): DynamoDBClient {
  return new DynamoDBClient({ ...clientOptions('dynamodb'), ...LOCAL, endpoint: `http://127.0.0.1:${port}` });
}

async function failure(promise: Promise<unknown>): Promise<{ error: Error & { $metadata?: { attempts?: number } }; ms: number }> {
  const started = performance.now();
  const error = await promise.then(() => new Error('the call succeeded'), (e: Error) => e);
  return { error, ms: performance.now() - started };
}

describe('SDK client timeouts', () => {
  describe('a server that accepts the connection but never answers', () => {
    const sockets = new Set<net.Socket>();
    let connections = 0;
    const server = net.createServer((socket) => {
      connections += 1;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    });

    beforeAll(async () => {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    it('makes a DynamoDB call reject with a TimeoutError after its attempts, not hang', async () => {
      const { port } = server.address() as net.AddressInfo;
      const limits = CLIENT_TIMEOUTS.dynamodb;
      const client = dynamodbAt(port);
      const { error, ms } = await failure(client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: '1' } } })));
      client.destroy();

      expect(error.name).toBe('TimeoutError');
      expect(error.message).toMatch(/requestTimeout/);
      // Each attempt waited for its full request timeout on a fresh connection, then gave up.
      expect(connections).toBe(limits.maxAttempts);
      expect(ms).toBeGreaterThanOrEqual(limits.maxAttempts * limits.requestTimeoutMs - 50);
      // Without the timeout the call would never return; the bound is loose for a busy machine.
      expect(ms).toBeLessThan(60_000);
    });
  });

  describe('a server whose accept queue is full (connects never complete)', () => {
    // A listener on its own thread whose event loop is blocked never accepts, so once its tiny
    // backlog is full the kernel drops further SYNs, as a black-holed address would.
    const release = new Int32Array(new SharedArrayBuffer(4));
    let worker: Worker;
    let port = 0;
    const fillers: net.Socket[] = [];

    beforeAll(async () => {
      worker = new Worker(
        `const net = require('node:net');
         const { parentPort, workerData } = require('node:worker_threads');
         const server = net.createServer();
         server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
           parentPort.postMessage(server.address().port);
           Atomics.wait(workerData, 0, 0);
           server.close();
         });`,
        { eval: true, workerData: release },
      );
      [port] = (await once(worker, 'message')) as [number];
      // Fill the accept queue: connect until one attempt stays pending.
      for (let i = 0; i < 16; i++) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => {});
        fillers.push(socket);
        const connected = await Promise.race([
          once(socket, 'connect').then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_000)),
        ]);
        if (!connected) return;
      }
      throw new Error('the accept queue never filled up');
    });
    afterAll(async () => {
      for (const socket of fillers) socket.destroy();
      Atomics.store(release, 0, 1);
      Atomics.notify(release, 0);
      await worker.terminate();
    });

    it('makes a DynamoDB call reject with a connection TimeoutError after its attempts', async () => {
      const limits = CLIENT_TIMEOUTS.dynamodb;
      const client = dynamodbAt(port);
      const { error, ms } = await failure(client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: '1' } } })));
      client.destroy();

      expect(error.name).toBe('TimeoutError');
      expect(error.message).toMatch(/did not establish a connection/);
      expect(error.$metadata?.attempts).toBe(limits.maxAttempts);
      expect(ms).toBeGreaterThanOrEqual(limits.maxAttempts * limits.connectionTimeoutMs - 50);
      expect(ms).toBeLessThan(60_000);
    });
  });

  it('gives up on every service before the shortest function using it times out', () => {
    // Lambda timeout of a function that declares none (lib/constructs/feature-function.ts).
    const DEFAULT_TIMEOUT_S = 10;
    const usedBy: Record<AwsService, (f: Record<string, unknown>) => boolean> = {
      dynamodb: (f) => Boolean(f.table),
      secretsmanager: (f) => Boolean(f.cursorSecret),
      sesv2: (f) => Boolean(f.sendEmail),
      eventbridge: (f) => Boolean(f.publishEvents),
      s3: (f) => Boolean(f.writeExports),
      smsvoice: (f) => Boolean(f.sendSms),
    };
    for (const service of Object.keys(CLIENT_TIMEOUTS) as AwsService[]) {
      const users = Object.values(FEATURES as Record<string, Record<string, unknown>>).filter(usedBy[service]);
      if (users.length === 0) continue;
      const shortestMs = Math.min(...users.map((f) => Number(f.timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000));
      expect(worstCaseSendMs(CLIENT_TIMEOUTS[service]), `${service} worst case vs ${shortestMs} ms`).toBeLessThan(shortestMs);
    }
  });

  it('builds every SDK client in functions/ with these options', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (name.endsWith('.ts')) files.push(full);
      }
    };
    walk(path.join(REPO_ROOT, 'functions'));
    const constructions = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/new (\w+Client)\(([^)]*\)?)/g)]
        .filter((m) => m[1] !== 'DynamoDBDocumentClient')
        .map((m) => ({ file: path.relative(REPO_ROOT, file), client: m[1], args: m[2]!.trim() })),
    );
    expect(constructions.length).toBeGreaterThanOrEqual(4);
    for (const c of constructions) expect(c, `${c.file}: ${c.client}`).toMatchObject({ args: expect.stringMatching(/clientOptions\(/) });
  });
});

describe('loggableError', () => {
  it('keeps an AWS error message but drops the text of other errors, which can quote data', async () => {
    const { loggableError } = await import('../../functions/aws/errors');
    let parseError: unknown;
    try { JSON.parse('{"email":"jane@example.com"'); } catch (err) { parseError = err; }
    const logged = JSON.stringify(loggableError(parseError));
    expect(logged).not.toContain('jane@example.com');
    expect(logged).toContain('SyntaxError');
    expect(logged).toContain(' at ');
    const aws = Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException', $metadata: { requestId: 'r-1', httpStatusCode: 400 } });
    expect(loggableError(aws)).toMatchObject({ name: 'ValidationException', message: 'Item size has exceeded the maximum allowed size', awsRequestId: 'r-1' });
  });
});
