/**
 * `npm run --silent token -- <role> [userId]` prints a bearer token for a demo user and nothing
 * else, so `TOKEN=$(npm run --silent token -- admin)` just works. Signed by the local key in the
 * data directory, which the running gateway trusts (the key is created here if it is missing).
 * The token is a Cognito-shaped access token after the pre-token-generation trigger, so it
 * carries the user's (verified) email exactly as a deployed pool's token does. Against a
 * deployed pool, `npm run token:aws` signs in for real (docs/auth.md).
 */
import { ROLES } from '../functions/security/permissions';
import { isRole, resolveUser } from './demo-users';
import { localIssuer } from './jwt';
import { dataDir } from './paths';

async function main(args: string[]): Promise<number> {
  const [role, userId, ...rest] = args;
  if (!role || rest.length > 0 || role === '--help' || role === '-h') {
    process.stderr.write(`Usage: npm run --silent token -- <role> [userId]\n  role: ${ROLES.join(' | ')}\n`);
    return role === '--help' || role === '-h' ? 0 : 1;
  }
  if (!isRole(role)) {
    process.stderr.write(`Unknown role "${role}". Roles: ${ROLES.join(', ')}\n`);
    return 1;
  }
  const user = resolveUser(role, userId);
  const issuer = await localIssuer({ dataDir: dataDir() });
  const token = await issuer.signToken({ sub: user.id, email: user.email, emailVerified: true, groups: [role], username: user.username });
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
