/**
 * `npm run --silent token -- <role> [userId]` prints a bearer token for a demo user and nothing
 * else, so `TOKEN=$(npm run --silent token -- admin)` just works. Signed by the local key in the
 * data directory, which the running gateway trusts (the key is created here if it is missing).
 * The token is a Cognito-shaped access token after the pre-token-generation trigger, so it
 * carries the user's (verified) email exactly as a deployed pool's token does. Against a
 * deployed pool, `npm run token:aws` signs in for real (docs/auth.md).
 *
 * `npm run --silent token -- customer <contactId>` prints a token of the self-service portal's
 * user pool for that contact: the portal pool's trigger (functions/auth/portal-pre-token.ts) reads
 * the contact's customer from the running CRM's table, as it does in AWS, so the CRM must be
 * running (`npm start`) and the contact must exist.
 */
import { ROLES } from '../functions/security/permissions';
import { isRole, resolveUser } from './demo-users';
import { applyEnvironment, handlerEnvironment } from './env';
import { localIssuer, portalUserOf } from './jwt';
import { dataDir } from './paths';
import { persistentSecret, runningCrm } from './runtime';

const USAGE = `Usage: npm run --silent token -- <role> [userId]\n       npm run --silent token -- customer <contactId>\n  role: ${ROLES.join(' | ')}\n`;

async function main(args: string[]): Promise<number> {
  const [role, userId, ...rest] = args;
  if (!role || rest.length > 0 || role === '--help' || role === '-h') {
    process.stderr.write(USAGE);
    return role === '--help' || role === '-h' ? 0 : 1;
  }
  if (!isRole(role)) {
    process.stderr.write(`Unknown role "${role}". Roles: ${ROLES.join(', ')}\n`);
    return 1;
  }
  const dir = dataDir();
  const issuer = await localIssuer({ dataDir: dir });
  let token: string;
  if (role === 'customer') {
    if (!userId || !/^con_[0-9A-HJKMNP-TV-Z]{26}$/.test(userId)) {
      process.stderr.write(`A customer token is for a contact: npm run --silent token -- customer <contactId> (con_…)\n`);
      return 1;
    }
    const running = runningCrm(dir);
    if (!running) {
      process.stderr.write('The CRM is not running: start it (npm start) so the portal pool\'s trigger can look up the contact\'s customer\n');
      return 1;
    }
    applyEnvironment(handlerEnvironment({ tableName: running.tableName, cursorSecret: persistentSecret(dir, 'cursor-secret'), logLevel: 'ERROR', endpoints: { dynamodb: running.dynamodb } }));
    token = await issuer.signPortalToken(portalUserOf(userId));
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { customerId?: string };
    if (!claims.customerId) {
      process.stderr.write(`No contact ${userId} in the running CRM: the token would act for nobody (403)\n`);
      return 1;
    }
  } else {
    const user = resolveUser(role, userId);
    token = await issuer.signToken({ sub: user.id, email: user.email, emailVerified: true, groups: [role], username: user.username });
  }
  // A trailing newline only for people reading a terminal; pipes and $(…) get the bare token.
  process.stdout.write(process.stdout.isTTY ? `${token}\n` : token);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`token: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
