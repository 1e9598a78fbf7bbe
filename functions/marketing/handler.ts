/** Marketing feature: adapts routes to the services. */
import { createHttpHandler, created, ok } from '../http/chain';
import { routes } from './routes';
import * as campaigns from './campaigns';
import * as consent from './consent';
import * as segments from './segments';
import * as stats from './stats';
import * as templates from './templates';
import { confirmationPage, donePage, PAGE_HEADERS, unsubscribe } from './unsubscribe';

const html = (body: string) => ({ status: 200, body, contentType: 'text/html; charset=utf-8', headers: PAGE_HEADERS });

export const handler = createHttpHandler('marketing', routes, {
  getConsent: async ({ principal, params }) => ok(await consent.getConsent(principal, params.id)),
  setConsent: async ({ principal, params, body, now }) => ok(await consent.setConsent(principal, params.id, params.channel, body, undefined, now)),
  consentHistory: async ({ principal, params, query }) => ok(await consent.consentHistory(principal, params.id, query)),
  addSuppression: async ({ principal, body, now }) => ok(await consent.addSuppression(principal, body.email, now)),
  listSuppressions: async ({ principal, query }) => ok(await consent.listSuppressions(principal, query)),
  createTemplate: async ({ principal, body, now }) => {
    const template = await templates.createTemplate(principal, body, now);
    return created(template, `/v1/templates/${template.id}`);
  },
  listTemplates: async ({ query }) => ok(await templates.listTemplates(query)),
  getTemplate: async ({ params }) => ok(await templates.getTemplate(params.templateId)),
  updateTemplate: async ({ principal, params, body, expectedVersion, now }) => ok(await templates.updateTemplate(principal, params.templateId, body, expectedVersion, now)),
  renderTemplate: async ({ principal, params, body }) => ok(await templates.renderForContact(principal, params.templateId, body.contactId)),
  createSegment: async ({ principal, body, now }) => {
    const segment = await segments.createSegment(principal, body, now);
    return created(segment, `/v1/segments/${segment.id}`);
  },
  listSegments: async ({ query }) => ok(await segments.listSegments(query)),
  getSegment: async ({ params }) => ok(segments.toSegment(await segments.getSegment(params.segmentId))),
  updateSegment: async ({ principal, params, body, expectedVersion, now }) => ok(await segments.updateSegment(principal, params.segmentId, body, expectedVersion, now)),
  previewSegment: async ({ principal, params, query }) => ok(await segments.previewSegment(principal, params.segmentId, query)),
  createList: async ({ principal, body, now }) => {
    const list = await segments.createList(principal, body, now);
    return created(list, `/v1/lists/${list.id}`);
  },
  listLists: async ({ query }) => ok(await segments.listLists(query)),
  getList: async ({ params }) => ok(await segments.getList(params.listId)),
  listMembers: async ({ params, query }) => ok(await segments.listMembers(params.listId, query)),
  addMembers: async ({ principal, params, body, now }) => ok(await segments.addMembers(principal, params.listId, body.contactIds, now)),
  removeMembers: async ({ principal, params, body, now }) => ok(await segments.removeMembers(principal, params.listId, body.contactIds, now)),
  createCampaign: async ({ principal, body, now }) => {
    const campaign = await campaigns.createCampaign(principal, body, now);
    return created(campaign, `/v1/campaigns/${campaign.id}`);
  },
  listCampaigns: async ({ query }) => ok(await campaigns.listCampaigns(query)),
  getCampaign: async ({ params }) => ok(await campaigns.getCampaign(params.campaignId)),
  updateCampaign: async ({ principal, params, body, expectedVersion, now }) => ok(await campaigns.updateCampaign(principal, params.campaignId, body, expectedVersion, now)),
  scheduleCampaign: async ({ principal, params, body, now }) => ok(await campaigns.scheduleCampaign(principal, params.campaignId, body.sendAt, now)),
  pauseCampaign: async ({ principal, params, now }) => ok(await campaigns.pauseCampaign(principal, params.campaignId, now)),
  resumeCampaign: async ({ principal, params, now }) => ok(await campaigns.resumeCampaign(principal, params.campaignId, now)),
  cancelCampaign: async ({ principal, params, now }) => ok(await campaigns.cancelCampaign(principal, params.campaignId, now)),
  campaignStats: async ({ params }) => ok(await stats.campaignReport(params.campaignId)),
  getMarketingSettings: async () => ok(await stats.readSettings()),
  putMarketingSettings: async ({ principal, body, expectedVersion, now }) => ok(await stats.writeSettings(principal, body, expectedVersion, now)),
  listRecipients: async ({ principal, params, query }) => ok(await campaigns.listRecipients(principal, params.campaignId, query)),
  unsubscribePage: async ({ query }) => html(await confirmationPage(query.token)),
  unsubscribe: async ({ query, now }) => html(donePage((await unsubscribe(query.token, now)).email)),
});
