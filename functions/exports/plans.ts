/**
 * What each on-demand export entity is: its lake table, its masking policy and the permission of
 * its list route. Types and constants only, so the API function (functions/exports/service.ts)
 * checks permissions without loading the lake's table definitions (every feature's schemas), which
 * only the worker needs.
 */
import type { ExportEntity } from '../../schemas/exports';
import type { Action } from '../security/permissions';
import type { SensitiveEntity } from '../security/masking';

export interface EntityPlan {
  /** The lake table whose columns the files carry. */
  table: string;
  /** Which masking policy applies (SENSITIVE_FIELDS), if the entity has personal data. */
  sensitive?: SensitiveEntity;
  /**
   * The permission of the entity's list route. An export holds every record, so its creator needs
   * it with scope `all` (functions/exports/service.ts): an export never shows what the API would not.
   */
  read: Action;
}

export const ENTITY_PLANS: Record<ExportEntity, EntityPlan> = {
  customers: { table: 'customers', sensitive: 'customer', read: 'customers:read' },
  contacts: { table: 'contacts', sensitive: 'contact', read: 'contacts:read' },
  leads: { table: 'leads', sensitive: 'lead', read: 'leads:read' },
  deals: { table: 'deals', read: 'deals:read' },
  products: { table: 'products', read: 'products:read' },
  pipelines: { table: 'pipelines', read: 'pipelines:read' },
  // Description, resolution and an unknown sender's requester: withheld as GET /v1/tickets withholds them.
  tickets: { table: 'tickets', sensitive: 'ticket', read: 'tickets:read' },
  contracts: { table: 'contracts', read: 'contracts:read' },
  // The article item only: bodies are separate items (as in the lake).
  'kb-articles': { table: 'kb_articles', read: 'kb:read' },
  campaigns: { table: 'campaigns', read: 'marketing:read' },
  segments: { table: 'segments', read: 'marketing:read' },
  'mailing-lists': { table: 'mailing_lists', read: 'marketing:read' },
};
