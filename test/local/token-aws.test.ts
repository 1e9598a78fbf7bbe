/**
 * `npm run token:aws` without AWS: a fake Cognito endpoint in this file plays the server side of
 * USER_SRP_AUTH. No Cognito emulator exists to run against, so this is a test double — but its
 * SRP side is written here from the standard SRP-6a server formulas with its own arithmetic
 * (password verifier v = gˣ, B = k·v + gᵇ, S = (A·vᵘ)ᵇ, RFC 5869 HKDF from node:crypto), not
 * from the client's code. A signature that verifies therefore proves that the client's maths
 * agree with the server's; a wrong password fails on the signature, not on a format check.
 * The double then walks the challenges Cognito sends: NEW_PASSWORD_REQUIRED on the first login of
 * an admin-created user, MFA_SETUP (TOTP association and verification) and SOFTWARE_TOKEN_MFA,
 * checking RFC 6238 codes. The SDK is pointed at it with the `endpoint` option.
 */
import { spawn } from 'node:child_process';
import { createHash, createHmac, hkdfSync, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../local/paths';
import { SrpClient, cognitoTimestamp, padHex, signIn, totpUri, type Prompter } from '../../scripts/cognito-srp';

// ---------------------------------------------------------------------------------------------
// Server-side SRP-6a, independent of scripts/cognito-srp.ts.
// ---------------------------------------------------------------------------------------------
const N = BigInt('0x' + [
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD',
  'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED',
  'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F',
  '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B',
  'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510',
  '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7',
  'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C',
  'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF',
].join(''));
const g = 2n;

/** Minimal two's-complement big-endian bytes of a positive integer (Java BigInteger.toByteArray). */
function bytesOf(value: bigint): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  if (bytes.length === 0 || bytes[0]! >= 0x80) bytes.unshift(0);
  return Buffer.from(bytes);
}
const H = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
const toBig = (buf: Buffer): bigint => (buf.length === 0 ? 0n : BigInt(`0x${buf.toString('hex')}`));
/** Right-to-left binary exponentiation over the exponent's bits from a string (not the client's loop). */
function powMod(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let square = base % modulus;
  for (const bit of [...exponent.toString(2)].reverse()) {
    if (bit === '1') result = (result * square) % modulus;
    square = (square * square) % modulus;
  }
  return result;
}
const k = toBig(H(bytesOf(N), bytesOf(g)));

function verifierFor(poolName: string, username: string, password: string, salt: Buffer): bigint {
  const inner = createHash('sha256').update(`${poolName}${username}:${password}`, 'utf8').digest('hex');
  const x = toBig(H(bytesOf(toBig(salt)), Buffer.from(inner, 'hex')));
  return powMod(g, x, N);
}

function expectedSignature(args: { poolName: string; username: string; A: bigint; B: bigint; b: bigint; v: bigint; secretBlock: Buffer; timestamp: string }): Buffer {
  const u = toBig(H(bytesOf(args.A), bytesOf(args.B)));
  const S = powMod((args.A * powMod(args.v, u, N)) % N, args.b, N);
  const key = Buffer.from(hkdfSync('sha256', bytesOf(S), bytesOf(u), Buffer.from('Caldera Derived Key'), 16));
  return createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(args.poolName), Buffer.from(args.username), args.secretBlock, Buffer.from(args.timestamp)]))
    .digest();
}

// ---------------------------------------------------------------------------------------------
// RFC 6238 TOTP (SHA-1, 30 s, 6 digits) and RFC 4648 base32, as authenticator apps do them.
// ---------------------------------------------------------------------------------------------
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const base32 = (buf: Buffer) => {
  let bits = '';
  for (const byte of buf) bits += byte.toString(2).padStart(8, '0');
  return (bits.match(/.{1,5}/g) ?? []).map((chunk) => B32[parseInt(chunk.padEnd(5, '0'), 2)]).join('');
};
const unbase32 = (text: string) => {
  const bits = [...text.replace(/=+$/, '')].map((c) => B32.indexOf(c).toString(2).padStart(5, '0')).join('');
  return Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
};
function totpAt(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', unbase32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}
const stepOf = (ms: number) => Math.floor(ms / 30_000);
const totpNow = (secret: string) => totpAt(secret, stepOf(Date.now()));

// ---------------------------------------------------------------------------------------------
// The fake Cognito endpoint.
// ---------------------------------------------------------------------------------------------
const POOL_ID = 'eu-west-1_TestPool9';
const POOL_NAME = 'TestPool9';
const CLIENT_ID = 'test-app-client';

interface FakeUser {
  email: string;
  username: string;
  salt: Buffer;
  v: bigint;
  status: 'FORCE_CHANGE_PASSWORD' | 'CONFIRMED';
  totpSecret?: string;
  pendingSecret?: string;
}
type Stage = 'PASSWORD_VERIFIER' | 'NEW_PASSWORD_REQUIRED' | 'MFA_SETUP' | 'MFA_SETUP_VERIFIED' | 'SOFTWARE_TOKEN_MFA';
interface Session { user: FakeUser; stage: Stage; A?: bigint; B?: bigint; b?: bigint; secretBlock?: Buffer }

class CognitoError extends Error {
  constructor(readonly type: string, message: string) { super(message); }
}

class FakeCognito {
  readonly users = new Map<string, FakeUser>();
  readonly sessions = new Map<string, Session>();
  readonly bodies: string[] = [];
  readonly failures: string[] = [];
  /** TOTP codes from any time step since this instant are accepted (the test's clock, not a fixed window). */
  totpNotBefore = Date.now();
  private server?: Server;
  endpoint = '';

  addUser(email: string, password: string, options: { forceChange?: boolean; totpSecret?: string; salt?: Buffer } = {}): FakeUser {
    const username = randomUUID();
    const salt = options.salt ?? randomBytes(16);
    const user: FakeUser = {
      email, username, salt, v: verifierFor(POOL_NAME, username, password, salt),
      status: options.forceChange ? 'FORCE_CHANGE_PASSWORD' : 'CONFIRMED', totpSecret: options.totpSecret,
    };
    this.users.set(email, user);
    return user;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        this.bodies.push(body);
        const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
        let status = 200;
        let payload: unknown;
        try {
          payload = this.handle(operation, JSON.parse(body || '{}'));
        } catch (error) {
          const e = error instanceof CognitoError ? error : new CognitoError('InternalErrorException', String(error));
          this.failures.push(`${operation}: ${e.type}: ${e.message}`);
          status = 400;
          payload = { __type: e.type, message: e.message };
          res.setHeader('x-amzn-errortype', e.type);
        }
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(payload));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => { this.server?.close(() => resolve()); this.server?.closeAllConnections(); });
  }

  private session(id: unknown, stage: Stage | Stage[]): Session {
    const session = typeof id === 'string' ? this.sessions.get(id) : undefined;
    const stages = Array.isArray(stage) ? stage : [stage];
    if (!session || !stages.includes(session.stage)) throw new CognitoError('NotAuthorizedException', 'Invalid session for the user.');
    this.sessions.delete(id as string); // one use per session, like Cognito
    return session;
  }

  private next(user: FakeUser, stage: Stage, params: Record<string, string>, extra: Partial<Session> = {}) {
    const id = randomBytes(24).toString('base64');
    this.sessions.set(id, { user, stage, ...extra });
    return { ChallengeName: stage, Session: id, ChallengeParameters: { USER_ID_FOR_SRP: user.username, ...params } };
  }

  private afterPassword(user: FakeUser) {
    if (user.status === 'FORCE_CHANGE_PASSWORD') {
      return this.next(user, 'NEW_PASSWORD_REQUIRED', { requiredAttributes: '[]', userAttributes: JSON.stringify({ email: user.email }) });
    }
    if (!user.totpSecret) return this.next(user, 'MFA_SETUP', { MFAS_CAN_SETUP: '["SOFTWARE_TOKEN_MFA"]' });
    return this.next(user, 'SOFTWARE_TOKEN_MFA', {});
  }

  private tokens(user: FakeUser) {
    return {
      ChallengeParameters: {},
      AuthenticationResult: { AccessToken: `access-for-${user.username}`, IdToken: `id-for-${user.username}`, RefreshToken: 'refresh', ExpiresIn: 3600, TokenType: 'Bearer' },
    };
  }

  private checkTotp(secret: string, code: unknown): void {
    const steps: string[] = [];
    for (let step = stepOf(this.totpNotBefore) - 1; step <= stepOf(Date.now()) + 1; step++) steps.push(totpAt(secret, step));
    if (typeof code !== 'string' || !steps.includes(code)) throw new CognitoError('CodeMismatchException', 'Invalid code received for user');
  }

  private handle(operation: string, input: any): unknown {
    if (input.ClientId !== undefined && input.ClientId !== CLIENT_ID) throw new CognitoError('ResourceNotFoundException', 'User pool client does not exist.');
    switch (operation) {
      case 'InitiateAuth': {
        if (input.AuthFlow !== 'USER_SRP_AUTH') throw new CognitoError('InvalidParameterException', 'Only USER_SRP_AUTH is enabled');
        const user = this.users.get(input.AuthParameters?.USERNAME);
        if (!user) throw new CognitoError('NotAuthorizedException', 'Incorrect username or password.');
        const A = BigInt(`0x${input.AuthParameters.SRP_A}`);
        if (A % N === 0n) throw new CognitoError('InvalidParameterException', 'SRP_A mod N is 0');
        const b = toBig(randomBytes(32));
        const B = (k * user.v + powMod(g, b, N)) % N;
        const secretBlock = randomBytes(64);
        return this.next(user, 'PASSWORD_VERIFIER', {
          SALT: user.salt.toString('hex'), SRP_B: B.toString(16), SECRET_BLOCK: secretBlock.toString('base64'), USERNAME: user.username,
        }, { A, B, b, secretBlock });
      }
      case 'RespondToAuthChallenge': {
        const r = input.ChallengeResponses ?? {};
        if (input.ChallengeName === 'PASSWORD_VERIFIER') {
          const s = this.session(input.Session, 'PASSWORD_VERIFIER');
          if (r.USERNAME !== s.user.username) throw new CognitoError('NotAuthorizedException', 'USERNAME must be USER_ID_FOR_SRP');
          if (r.PASSWORD_CLAIM_SECRET_BLOCK !== s.secretBlock!.toString('base64')) throw new CognitoError('NotAuthorizedException', 'secret block');
          if (!/^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [1-9]\d? \d\d:\d\d:\d\d UTC \d{4}$/.test(r.TIMESTAMP)) {
            throw new CognitoError('NotAuthorizedException', `timestamp format: ${r.TIMESTAMP}`);
          }
          const expected = expectedSignature({ poolName: POOL_NAME, username: s.user.username, A: s.A!, B: s.B!, b: s.b!, v: s.user.v, secretBlock: s.secretBlock!, timestamp: r.TIMESTAMP });
          const given = Buffer.from(String(r.PASSWORD_CLAIM_SIGNATURE), 'base64');
          if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
            throw new CognitoError('NotAuthorizedException', 'Incorrect username or password.');
          }
          return this.afterPassword(s.user);
        }
        if (input.ChallengeName === 'NEW_PASSWORD_REQUIRED') {
          const s = this.session(input.Session, 'NEW_PASSWORD_REQUIRED');
          const password = String(r.NEW_PASSWORD ?? '');
          if (password.length < 12 || !/[a-z]/.test(password) || !/[A-Z]/.test(password) || !/\d/.test(password) || !/[^\w\s]/.test(password)) {
            throw new CognitoError('InvalidPasswordException', 'Password does not conform to policy');
          }
          s.user.salt = randomBytes(16);
          s.user.v = verifierFor(POOL_NAME, s.user.username, password, s.user.salt);
          s.user.status = 'CONFIRMED';
          return this.afterPassword(s.user);
        }
        if (input.ChallengeName === 'SOFTWARE_TOKEN_MFA') {
          const s = this.session(input.Session, 'SOFTWARE_TOKEN_MFA');
          this.checkTotp(s.user.totpSecret!, r.SOFTWARE_TOKEN_MFA_CODE);
          return this.tokens(s.user);
        }
        if (input.ChallengeName === 'MFA_SETUP') {
          const s = this.session(input.Session, 'MFA_SETUP_VERIFIED');
          return this.tokens(s.user);
        }
        throw new CognitoError('InvalidParameterException', `Unexpected challenge ${input.ChallengeName}`);
      }
      case 'AssociateSoftwareToken': {
        const s = this.session(input.Session, 'MFA_SETUP');
        s.user.pendingSecret = base32(randomBytes(20));
        const id = randomBytes(24).toString('base64');
        this.sessions.set(id, { user: s.user, stage: 'MFA_SETUP' });
        return { SecretCode: s.user.pendingSecret, Session: id };
      }
      case 'VerifySoftwareToken': {
        const s = this.session(input.Session, 'MFA_SETUP');
        this.checkTotp(s.user.pendingSecret!, input.UserCode);
        s.user.totpSecret = s.user.pendingSecret;
        const id = randomBytes(24).toString('base64');
        this.sessions.set(id, { user: s.user, stage: 'MFA_SETUP_VERIFIED' });
        return { Status: 'SUCCESS', Session: id };
      }
      default:
        throw new CognitoError('UnknownOperationException', operation);
    }
  }
}

// ---------------------------------------------------------------------------------------------

let cognito: FakeCognito;
let client: CognitoIdentityProviderClient;

beforeAll(async () => {
  cognito = new FakeCognito();
  await cognito.start();
  client = new CognitoIdentityProviderClient({ region: 'eu-west-1', endpoint: cognito.endpoint, maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  await cognito?.stop();
});

/** Answers questions from a script and keeps what was said, like a person at the terminal. */
function scripted(answers: (question: string, said: string[]) => string) {
  const said: string[] = [];
  const asked: string[] = [];
  const prompter: Prompter = {
    say: (message) => { said.push(message); },
    ask: async (question) => { asked.push(question); return answers(question, said); },
  };
  return { prompter, said, asked };
}

describe('SRP maths', () => {
  it('client and independently written server derive the same key for any salt, password and user', () => {
    // Salts with the top bit set and with leading zero bytes exercise the two's-complement padding.
    const salts = [Buffer.from('f3'.repeat(16), 'hex'), Buffer.from(`0000${'7a'.repeat(14)}`, 'hex'), ...Array.from({ length: 6 }, () => randomBytes(16))];
    for (const [i, salt] of salts.entries()) {
      const username = randomUUID();
      const password = `Pässwörd-${i}-${randomBytes(6).toString('base64')}`;
      const v = verifierFor(POOL_NAME, username, password, salt);
      const srp = new SrpClient(POOL_ID);
      const b = toBig(randomBytes(32));
      const B = (k * v + powMod(g, b, N)) % N;
      const secretBlock = randomBytes(48);
      const timestamp = cognitoTimestamp(new Date());
      const signature = srp.passwordClaimSignature({
        userIdForSrp: username, password, salt: salt.toString('hex'), srpB: B.toString(16), secretBlock: secretBlock.toString('base64'), timestamp,
      });
      const expected = expectedSignature({ poolName: POOL_NAME, username, A: srp.A, B, b, v, secretBlock, timestamp });
      expect(signature).toBe(expected.toString('base64'));
      const wrong = new SrpClient(POOL_ID);
      expect(wrong.passwordClaimSignature({
        userIdForSrp: username, password: `${password}x`, salt: salt.toString('hex'), srpB: B.toString(16), secretBlock: secretBlock.toString('base64'), timestamp,
      })).not.toBe(expectedSignature({ poolName: POOL_NAME, username, A: wrong.A, B, b, v, secretBlock, timestamp }).toString('base64'));
    }
  });

  it('pads hex like Java\'s BigInteger.toByteArray and formats Cognito\'s timestamp', () => {
    expect(padHex(0x14n)).toBe('14');
    expect(padHex(0xecn)).toBe('00ec');
    expect(padHex(0x1abcn)).toBe('1abc');
    expect(padHex(0xabcn)).toBe('0abc');
    for (const n of [1n, 0x80n, 0xffffn, N]) expect(padHex(n)).toBe(bytesOf(n).toString('hex'));
    expect(cognitoTimestamp(new Date('2025-03-07T09:05:03Z'))).toBe('Fri Mar 7 09:05:03 UTC 2025');
    expect(cognitoTimestamp(new Date('2024-12-25T23:59:59Z'))).toBe('Wed Dec 25 23:59:59 UTC 2024');
  });
});

describe('sign-in flow against the fake Cognito', () => {
  it('first login of an admin-created user: SRP, new password, TOTP setup — and the next login with the new password and TOTP', async () => {
    cognito.totpNotBefore = Date.now();
    const temporary = 'Temp-Pass-1234!';
    const chosen = 'My-Own-Passw0rd!';
    cognito.addUser('ada@example.com', temporary, { forceChange: true });
    const first = scripted((question, said) => {
      if (/^New password|^Repeat/.test(question)) return chosen;
      if (/6-digit code/.test(question)) {
        const uri = said.find((line) => line.includes('otpauth://'))!;
        return totpNow(new URL(uri.trim()).searchParams.get('secret')!);
      }
      throw new Error(`unexpected question ${question}`);
    });
    const tokens = await signIn({ client, userPoolId: POOL_ID, clientId: CLIENT_ID, username: 'ada@example.com', password: temporary, prompter: first.prompter });
    const user = cognito.users.get('ada@example.com')!;
    expect(tokens.AccessToken).toBe(`access-for-${user.username}`);
    expect(first.asked).toEqual(['New password: ', 'Repeat the new password: ', 'Then enter the 6-digit code it shows: ']);
    expect(first.said.join('\n')).toContain(`otpauth://totp/CRM%3Aada%40example.com?secret=${user.totpSecret}&issuer=CRM`);
    expect(cognito.failures).toEqual([]);

    // The old password is gone; the new one works with a TOTP code given up front (--totp).
    await expect(signIn({ client, userPoolId: POOL_ID, clientId: CLIENT_ID, username: 'ada@example.com', password: temporary, prompter: scripted(() => '').prompter }))
      .rejects.toMatchObject({ name: 'NotAuthorizedException' });
    const second = scripted((question) => { throw new Error(`unexpected question ${question}`); });
    const again = await signIn({
      client, userPoolId: POOL_ID, clientId: CLIENT_ID, username: 'ada@example.com', password: chosen, totp: totpNow(user.totpSecret!), prompter: second.prompter,
    });
    expect(again.AccessToken).toBe(`access-for-${user.username}`);
    // SRP: no sign-in sent a password; only the NEW_PASSWORD_REQUIRED answer carries the new
    // one, as Cognito's protocol has it.
    expect(cognito.bodies.filter((body) => body.includes(temporary))).toEqual([]);
    const withChosen = cognito.bodies.filter((body) => body.includes(chosen));
    expect(withChosen).toHaveLength(1);
    expect(JSON.parse(withChosen[0]!).ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
  });

  it('asks for the password and the TOTP code when they are not given', async () => {
    cognito.totpNotBefore = Date.now();
    const secret = base32(randomBytes(20));
    const user = cognito.addUser('max@example.com', 'Max-Password-42!', { totpSecret: secret });
    const person = scripted((question) => (question.startsWith('Password') ? 'Max-Password-42!' : totpNow(secret)));
    const tokens = await signIn({ client, userPoolId: POOL_ID, clientId: CLIENT_ID, username: 'max@example.com', prompter: person.prompter });
    expect(tokens.AccessToken).toBe(`access-for-${user.username}`);
    expect(person.asked).toEqual(['Password for max@example.com: ', 'TOTP code from your authenticator app: ']);
  });

  it('a wrong password fails on the SRP signature check', async () => {
    cognito.failures.length = 0;
    cognito.addUser('sam@example.com', 'Right-Password-1!', { totpSecret: base32(randomBytes(20)) });
    await expect(signIn({ client, userPoolId: POOL_ID, clientId: CLIENT_ID, username: 'sam@example.com', password: 'Wrong-Password-1!', prompter: scripted(() => '').prompter }))
      .rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    expect(cognito.failures).toEqual(['RespondToAuthChallenge: NotAuthorizedException: Incorrect username or password.']);
  });

  it('a wrong TOTP code is refused', async () => {
    const secret = base32(randomBytes(20));
    cognito.addUser('li@example.com', 'Li-Password-123!', { totpSecret: secret });
    const wrong = String((Number(totpNow(secret)) + 1) % 1_000_000).padStart(6, '0');
    await expect(signIn({ client, userPoolId: POOL_ID, clientId: CLIENT_ID, username: 'li@example.com', password: 'Li-Password-123!', totp: wrong, prompter: scripted(() => '').prompter }))
      .rejects.toMatchObject({ name: 'CodeMismatchException' });
  });

  it('builds the otpauth URI authenticator apps import', () => {
    expect(totpUri('CRM', 'ada@example.com', 'JBSWY3DPEHPK3PXP'))
      .toBe('otpauth://totp/CRM%3Aada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=CRM&algorithm=SHA1&digits=6&period=30');
  });
});

describe('npm run --silent token:aws', () => {
  function run(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn('npm', ['run', '--silent', 'token:aws', '--', ...args], {
        cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => { stdout += chunk; });
      child.stderr.on('data', (chunk) => { stderr += chunk; });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });
  }

  it('prints only the access token; the pool comes from the environment, the password from stdin', async () => {
    cognito.totpNotBefore = Date.now();
    const secret = base32(randomBytes(20));
    const user = cognito.addUser('sofia@example.com', 'Sofia-Password-7!', { totpSecret: secret });
    const result = await run(
      ['--username', 'sofia@example.com', '--endpoint', cognito.endpoint, '--totp', totpNow(secret)],
      { CRM_USER_POOL_ID: POOL_ID, CRM_CLIENT_ID: CLIENT_ID, AWS_REGION: 'eu-west-1', CRM_PASSWORD: '' },
      'Sofia-Password-7!\n',
    );
    expect(result.stderr).toContain('Password for sofia@example.com: ');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`access-for-${user.username}`);
  }, 120_000);

  it('reads the pool and client ids from the file `cdk deploy --outputs-file` writes', async () => {
    cognito.totpNotBefore = Date.now();
    const secret = base32(randomBytes(20));
    const user = cognito.addUser('mia@example.com', 'Mia-Password-77!', { totpSecret: secret });
    const dir = mkdtempSync(join(tmpdir(), 'crm-outputs-'));
    try {
      const file = join(dir, 'cdk-outputs.json');
      writeFileSync(file, JSON.stringify({
        'Crm-prod-Data': { UserPoolId: POOL_ID, UserPoolClientId: CLIENT_ID, TableName: 't' },
        'Crm-prod-App': { ApiUrl: 'https://api.example.com' },
      }));
      const result = await run(
        ['--outputs', file, '--username', 'mia@example.com', '--endpoint', cognito.endpoint, '--totp', totpNow(secret)],
        { CRM_PASSWORD: 'Mia-Password-77!', CRM_USER_POOL_ID: '', CRM_CLIENT_ID: '', AWS_REGION: '' },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(`access-for-${user.username}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('fails with Cognito\'s reason on stderr and nothing on stdout', async () => {
    const result = await run(
      ['--username', 'nobody@example.com', '--pool-id', POOL_ID, '--client-id', CLIENT_ID, '--endpoint', cognito.endpoint],
      { CRM_PASSWORD: 'Whatever-123456!' },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/token:aws: NotAuthorizedException: Incorrect username or password\./);
  }, 120_000);

  it('explains what is missing', async () => {
    const result = await run(['--username', 'x@example.com'], { CRM_USER_POOL_ID: '', CRM_CLIENT_ID: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/missing --pool-id \(CRM_USER_POOL_ID\), --client-id \(CRM_CLIENT_ID\)/);
  }, 120_000);
});
