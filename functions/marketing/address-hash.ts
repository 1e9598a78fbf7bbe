/** The ledger key of an email address: a hash of the normalised address, never the address. Dependency-free. */
import { createHash } from 'node:crypto';
import { normalizeEmail } from '../data/keys';

export function addressHash(email: string): string {
  return createHash('sha256').update(normalizeEmail(email)).digest('base64url').slice(0, 32);
}
