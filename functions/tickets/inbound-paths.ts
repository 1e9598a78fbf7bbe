/** Where received mail lives in the inbound bucket: SES stores it under `inbound/`, unreadable mail is copied to `quarantine/`. Shared by the function and the CDK construct (lib/constructs/inbound-mail.ts). */
export const INBOUND_PREFIX = 'inbound/';
export const QUARANTINE_PREFIX = 'quarantine/';
