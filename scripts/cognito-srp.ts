/**
 * Cognito sign-in for people at a terminal: USER_SRP_AUTH with the client side of Cognito's
 * SRP-6a (the maths of amazon-cognito-identity-js's AuthenticationHelper, on node:crypto and
 * BigInt), then whatever Cognito asks next — a new password on first login of an admin-created
 * user, a TOTP code, or TOTP setup. The password never leaves this process: Cognito receives
 * only A and an HMAC proving knowledge of the password-derived key. (A new password chosen at
 * first login is the exception: the NEW_PASSWORD_REQUIRED answer carries it, over TLS, as
 * Cognito's protocol requires.)
 *
 * Cognito's parameters: the 3072-bit MODP group of RFC 3526 with g = 2, SHA-256, k = H(N | g),
 * u = H(A | B), x = H(salt | H(poolName | username | ":" | password)) where poolName is the part
 * of the pool id after "_", S = (B − k·gˣ)^(a + u·x) mod N, and a 16-byte HKDF-SHA256 key of S
 * (salt u, info "Caldera Derived Key"). Every "|" is a concatenation of Java-style two's
 * complement hex (padHex), hashed as bytes.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  AssociateSoftwareTokenCommand, type AuthenticationResultType, type ChallengeNameType, type CognitoIdentityProviderClient,
  InitiateAuthCommand, type InitiateAuthCommandOutput, RespondToAuthChallengeCommand, VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';

/** RFC 3526, 3072-bit MODP group. */
const N_HEX = 'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD'
  + 'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED'
  + 'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F'
  + '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B'
  + 'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510'
  + '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7'
  + 'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C'
  + 'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF';
export const SRP_N = BigInt(`0x${N_HEX}`);
export const SRP_G = 2n;
const INFO = Buffer.concat([Buffer.from('Caldera Derived Key', 'utf8'), Buffer.from([1])]);

/** Even-length hex of a non-negative integer, with a 00 byte when the top bit is set (Java's toByteArray). */
export function padHex(value: bigint): string {
  if (value < 0n) throw new Error('padHex: negative values do not occur in SRP');
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return /^[89a-f]/i.test(hex) ? `00${hex}` : hex;
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
/** SHA-256 of the bytes a hex string denotes, as a hex string. */
const hexHash = (hex: string): string => sha256(Buffer.from(hex, 'hex'));
const big = (hex: string): bigint => BigInt(`0x${hex}`);

export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = ((base % modulus) + modulus) % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    e >>= 1n;
    b = (b * b) % modulus;
  }
  return result;
}

export const SRP_K = big(hexHash(padHex(SRP_N) + padHex(SRP_G)));

/** Cognito's TIMESTAMP: "ddd MMM D HH:mm:ss UTC YYYY" in UTC, day of month without padding. */
export function cognitoTimestamp(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]} ${months[date.getUTCMonth()]} ${date.getUTCDate()} `
    + `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} UTC ${date.getUTCFullYear()}`;
}

export interface PasswordVerifierInput {
  /** USER_ID_FOR_SRP from the challenge: the pool's internal username, not the email typed. */
  userIdForSrp: string;
  password: string;
  /** SALT, SRP_B and SECRET_BLOCK exactly as the challenge parameters carry them. */
  salt: string;
  srpB: string;
  secretBlock: string;
  timestamp: string;
}

/** One SRP exchange: a fresh secret `a` per sign-in. */
export class SrpClient {
  private readonly a: bigint;
  readonly A: bigint;
  private readonly poolName: string;

  constructor(userPoolId: string, random: (bytes: number) => Buffer = randomBytes) {
    const poolName = userPoolId.split('_')[1];
    if (!poolName) throw new Error(`"${userPoolId}" is no user pool id (expected <region>_<id>)`);
    this.poolName = poolName;
    // 1024 random bits, as amazon-cognito-identity-js; N has 3072, so no reduction is needed.
    this.a = big(random(128).toString('hex'));
    this.A = modPow(SRP_G, this.a, SRP_N);
    if (this.A === 0n) throw new Error('SRP: A mod N is 0');
  }

  /** SRP_A for InitiateAuth (unpadded hex, as the reference client sends it). */
  get srpA(): string {
    return this.A.toString(16);
  }

  /** The 16-byte key both sides derive from the shared secret S. */
  authenticationKey(userIdForSrp: string, password: string, saltHex: string, srpBHex: string): Buffer {
    const B = big(srpBHex);
    if (B % SRP_N === 0n) throw new Error('SRP: the server sent B mod N = 0');
    const u = big(hexHash(padHex(this.A) + padHex(B)));
    if (u === 0n) throw new Error('SRP: u is 0');
    const identity = sha256(`${this.poolName}${userIdForSrp}:${password}`);
    const x = big(hexHash(padHex(big(saltHex)) + identity));
    const S = modPow(B - SRP_K * modPow(SRP_G, x, SRP_N), this.a + u * x, SRP_N);
    const prk = createHmac('sha256', Buffer.from(padHex(u), 'hex')).update(Buffer.from(padHex(S), 'hex')).digest();
    return createHmac('sha256', prk).update(INFO).digest().subarray(0, 16);
  }

  /** PASSWORD_CLAIM_SIGNATURE: base64 HMAC-SHA256(key, poolName | userId | secretBlock bytes | timestamp). */
  passwordClaimSignature(input: PasswordVerifierInput): string {
    const key = this.authenticationKey(input.userIdForSrp, input.password, input.salt, input.srpB);
    return createHmac('sha256', key)
      .update(Buffer.concat([
        Buffer.from(this.poolName, 'utf8'),
        Buffer.from(input.userIdForSrp, 'utf8'),
        Buffer.from(input.secretBlock, 'base64'),
        Buffer.from(input.timestamp, 'utf8'),
      ]))
      .digest('base64');
  }
}

/** How the flow talks to the person signing in (prompts go to stderr; stdout is the token's). */
export interface Prompter {
  ask(question: string, options?: { secret?: boolean }): Promise<string>;
  say(message: string): void;
}

export interface SignInOptions {
  client: CognitoIdentityProviderClient;
  userPoolId: string;
  clientId: string;
  /** What the user types to sign in (their email; Cognito maps it to the internal username). */
  username: string;
  /** Asked for when absent. */
  password?: string;
  /** A TOTP code for the first SOFTWARE_TOKEN_MFA challenge; asked for when absent. */
  totp?: string;
  prompter: Prompter;
  /** Issuer shown by authenticator apps for a newly set-up TOTP. */
  totpIssuer?: string;
  now?: () => Date;
}

export class SignInError extends Error {
  override name = 'SignInError';
}

/** Challenges worth a try; more would mean a loop (e.g. a rejected new password asked again). */
const MAX_STEPS = 8;

/**
 * Signs in with USER_SRP_AUTH and answers PASSWORD_VERIFIER, NEW_PASSWORD_REQUIRED,
 * SOFTWARE_TOKEN_MFA, MFA_SETUP (TOTP) and SELECT_MFA_TYPE; resolves with Cognito's tokens.
 */
export async function signIn(options: SignInOptions): Promise<AuthenticationResultType> {
  const { client, clientId, prompter } = options;
  const now = options.now ?? (() => new Date());
  const srp = new SrpClient(options.userPoolId);
  let user = options.username;
  let totp = options.totp;
  let password = options.password;

  const respond = (name: ChallengeNameType, responses: Record<string, string>, session: string | undefined) =>
    client.send(new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: name, ChallengeResponses: responses, Session: session }));

  let res: InitiateAuthCommandOutput = await client.send(new InitiateAuthCommand({
    AuthFlow: 'USER_SRP_AUTH',
    ClientId: clientId,
    AuthParameters: { USERNAME: options.username, SRP_A: srp.srpA },
  }));

  for (let step = 0; step < MAX_STEPS; step++) {
    if (res.AuthenticationResult?.AccessToken) return res.AuthenticationResult;
    const params = res.ChallengeParameters ?? {};
    // Later challenges must name the pool's username, not the alias typed.
    user = params.USER_ID_FOR_SRP ?? user;
    switch (res.ChallengeName) {
      case 'PASSWORD_VERIFIER': {
        password ??= await prompter.ask(`Password for ${options.username}: `, { secret: true });
        const { SALT: salt, SRP_B: srpB, SECRET_BLOCK: secretBlock } = params;
        if (!salt || !srpB || !secretBlock) throw new SignInError('Cognito sent an incomplete PASSWORD_VERIFIER challenge');
        const timestamp = cognitoTimestamp(now());
        const signature = srp.passwordClaimSignature({ userIdForSrp: user, password, salt, srpB, secretBlock, timestamp });
        res = await respond('PASSWORD_VERIFIER', {
          USERNAME: user, PASSWORD_CLAIM_SECRET_BLOCK: secretBlock, TIMESTAMP: timestamp, PASSWORD_CLAIM_SIGNATURE: signature,
        }, res.Session);
        break;
      }
      case 'NEW_PASSWORD_REQUIRED': {
        prompter.say('First sign-in: choose your own password (at least 12 characters with lower- and upper-case letters, digits and symbols).');
        const newPassword = await prompter.ask('New password: ', { secret: true });
        if (await prompter.ask('Repeat the new password: ', { secret: true }) !== newPassword) throw new SignInError('The two new passwords differ');
        const responses: Record<string, string> = { USERNAME: user, NEW_PASSWORD: newPassword };
        for (const attribute of parseList(params.requiredAttributes)) {
          const name = attribute.replace(/^userAttributes\./, '');
          responses[`userAttributes.${name}`] = await prompter.ask(`Your ${name}: `);
        }
        res = await respond('NEW_PASSWORD_REQUIRED', responses, res.Session);
        break;
      }
      case 'SOFTWARE_TOKEN_MFA': {
        const code = totp ?? await prompter.ask('TOTP code from your authenticator app: ');
        totp = undefined; // a code is good for one answer; a second challenge asks again
        res = await respond('SOFTWARE_TOKEN_MFA', { USERNAME: user, SOFTWARE_TOKEN_MFA_CODE: code.trim() }, res.Session);
        break;
      }
      case 'MFA_SETUP': {
        if (!parseList(params.MFAS_CAN_SETUP).includes('SOFTWARE_TOKEN_MFA')) {
          throw new SignInError(`Cognito asks to set up MFA of a kind this script cannot (${params.MFAS_CAN_SETUP ?? 'none offered'})`);
        }
        const associated = await client.send(new AssociateSoftwareTokenCommand({ Session: res.Session }));
        if (!associated.SecretCode) throw new SignInError('Cognito returned no TOTP secret');
        const issuer = options.totpIssuer ?? 'CRM';
        prompter.say('Multi-factor authentication is required. Add this TOTP key to an authenticator app (most can read it as a QR code or paste the URI):');
        prompter.say(`  ${totpUri(issuer, options.username, associated.SecretCode)}`);
        prompter.say(`  (or enter the key by hand: ${associated.SecretCode})`);
        const code = await prompter.ask('Then enter the 6-digit code it shows: ');
        const verified = await client.send(new VerifySoftwareTokenCommand({
          Session: associated.Session, UserCode: code.trim(), FriendlyDeviceName: 'crm token:aws',
        }));
        if (verified.Status !== 'SUCCESS') throw new SignInError('Cognito did not accept the TOTP code; run the command again');
        res = await respond('MFA_SETUP', { USERNAME: user }, verified.Session);
        break;
      }
      case 'SELECT_MFA_TYPE':
        res = await respond('SELECT_MFA_TYPE', { USERNAME: user, ANSWER: 'SOFTWARE_TOKEN_MFA' }, res.Session);
        break;
      default:
        throw new SignInError(`Cognito asks for ${res.ChallengeName ?? 'nothing and returned no tokens'}, which this script does not handle`);
    }
  }
  throw new SignInError(`No tokens after ${MAX_STEPS} challenges; giving up`);
}

/** The key URI authenticator apps import (Google Authenticator's otpauth format). */
export function totpUri(issuer: string, account: string, secret: string): string {
  const label = encodeURIComponent(`${issuer}:${account}`);
  return `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=30`;
}

/** Cognito sends lists as JSON text ('["SOFTWARE_TOKEN_MFA"]'); tolerate a bare value. */
function parseList(value: string | undefined): string[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.map(String) : [String(parsed)];
  } catch {
    return [value];
  }
}
