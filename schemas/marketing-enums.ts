/** The marketing enums other schemas share (the dashboard's), without loading schemas/marketing.ts. */
export const CHANNELS = ['email', 'sms'] as const;
export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled'] as const;
