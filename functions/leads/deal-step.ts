/**
 * The optional deal of a lead conversion, created through the deals feature's contract
 * (addDealCreation appends all the deal's items to our transaction). A seam of its own so a test
 * can inject a failure here and prove the conversion then writes nothing at all.
 */
import type { Transaction } from '../data/transaction';
import { addDealCreation } from '../deals/service';
import type { Principal } from '../security/principal';

export interface DealRequest {
  name: string;
  amount: { amount: number; currency: string };
  pipelineId?: string;
  stageId?: string;
  expectedCloseDate?: string;
  customerId: string;
  contactId?: string;
  ownerId: string;
  leadId: string;
  /** The lead's campaign: the deal is attributed to it too. */
  campaignId?: string;
}

export async function addDealStep(tx: Transaction, request: DealRequest, actor: Principal, now: Date): Promise<string> {
  const { leadId, ...draft } = request;
  const { dealId } = await addDealCreation(tx, { ...draft, source: { kind: 'lead', id: leadId } }, actor, now);
  return dealId;
}
