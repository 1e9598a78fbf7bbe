/**
 * Field-level protection of personal data. Each entity declares its sensitive fields once; a
 * caller without the personal-data permission (pii:read) for a record receives masked values and
 * the list of masked fields. Masking is applied in the shared response path of every feature.
 */
import { canAccess, type Principal } from './principal';

export type Masker = (value: unknown) => unknown;

export const maskEmail: Masker = (value) => {
  if (typeof value !== 'string') return value;
  const at = value.lastIndexOf('@');
  if (at < 1) return '***';
  return `${value[0]}***${value.slice(at)}`;
};

export const maskPhone: Masker = (value) => {
  if (typeof value !== 'string') return value;
  const digits = value.replace(/\D/g, '');
  return `***${digits.slice(-2)}`;
};

export const maskAll: Masker = (value) => (typeof value === 'string' ? '***' : value);

/** Keeps city and country (useful for segmentation and reports), drops street and postcode. */
export const maskAddress: Masker = (value) => {
  if (!value || typeof value !== 'object') return value;
  const { city, country } = value as { city?: string; country?: string };
  return { city, country };
};

/** Activity participants: contact ids stay (they are references), names and emails are masked. */
export const maskParticipants: Masker = (value) =>
  Array.isArray(value)
    ? value.map((p: { name?: string; email?: string; contactId?: string }) => ({
        ...(p.contactId ? { contactId: p.contactId } : {}),
        ...(p.name ? { name: '***' } : {}),
        ...(p.email ? { email: maskEmail(p.email) } : {}),
      }))
    : value;

/** A ticket's requester (an unknown sender of inbound mail): the address masked like an email, the name withheld. */
const maskRequester: Masker = (value) =>
  value && typeof value === 'object' && 'email' in value
    ? { email: maskEmail((value as { email: string }).email), ...('name' in value ? { name: '***' } : {}) }
    : value;

/** entity → sensitive field → how to mask it. */
export const SENSITIVE_FIELDS = {
  customer: { phone: maskPhone, email: maskEmail, address: maskAddress, taxId: maskAll },
  contact: { phone: maskPhone, mobile: maskPhone, email: maskEmail },
  activity: { content: maskAll, participants: maskParticipants },
  lead: { email: maskEmail, phone: maskPhone },
  // Free text a customer wrote or an agent wrote about them: withheld like an activity's content.
  ticket: { description: maskAll, resolution: maskAll, requester: maskRequester },
  ticketMessage: { body: maskAll },
} as const satisfies Record<string, Record<string, Masker>>;

export type SensitiveEntity = keyof typeof SENSITIVE_FIELDS;

export function sensitiveFieldNames(entity: SensitiveEntity): string[] {
  return Object.keys(SENSITIVE_FIELDS[entity]);
}

/**
 * Returns the record as this principal may see it. `ownerId` is the owner that row-level scope of
 * pii:read is judged against (for a contact: its customer's owner).
 */
export function maskFor<T extends Record<string, unknown>>(
  entity: SensitiveEntity,
  record: T,
  principal: Principal,
  ownerId: string | undefined,
): T & { masked?: string[] } {
  if (canAccess(principal, 'pii:read', ownerId)) return record;
  const fields = SENSITIVE_FIELDS[entity] as Record<string, Masker>;
  const out: Record<string, unknown> = { ...record };
  const masked: string[] = [];
  for (const [field, mask] of Object.entries(fields)) {
    if (out[field] !== undefined && out[field] !== null) {
      out[field] = mask(out[field]);
      masked.push(field);
    }
  }
  if (masked.length > 0) out.masked = masked;
  return out as T & { masked?: string[] };
}
