/**
 * The proactive reminder jobs driven by the service rules, as a registry the jobs function spreads
 * into its job map (one row each in functions/api/schedules.ts). Each takes "now" from the
 * scheduled event, so a run can be replayed as of any moment, and each is safe to run twice.
 */
import { runDormantCustomers } from '../activities/dormancy';
import { runServiceAnniversaries, runWarrantyEnding } from '../assets/jobs';

export const PROACTIVE_JOBS: Record<string, (now: Date) => Promise<Record<string, unknown>>> = {
  'service-anniversaries': (now) => runServiceAnniversaries(now),
  'warranty-ending': (now) => runWarrantyEnding(now),
  'dormant-customers': (now) => runDormantCustomers(now),
};
