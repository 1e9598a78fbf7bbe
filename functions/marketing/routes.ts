/**
 * Route rows served by the `marketing` feature (C6), in table order: consent, suppression,
 * templates, segments, static lists, campaigns and the public unsubscribe endpoint. Sending is the
 * `campaigns` job (functions/marketing/send.ts).
 */
import type { RouteDef } from '../api/route-def';
import { IdParam } from '../../schemas/common';
import {
  Campaign, CampaignCreate, CampaignIdParam, CampaignPage, CampaignSchedule, ConsentChannelParams, ConsentHistoryPage, ConsentSet,
  ContactConsent, ChannelConsent, ListCreate, ListIdParam, ListMemberPage, ListMembersChange, ListMembersResult, ListQuery, MailingList,
  MailingListPage, RecipientPage, RenderedEmail, Segment, SegmentCreate, SegmentIdParam, SegmentPage, SegmentPatch, SegmentPreview,
  SegmentPreviewQuery, Suppression, SuppressionCreate, SuppressionPage, Template, TemplateCreate, TemplateIdParam, TemplatePage,
  TemplatePatch, TemplateRender, UnsubscribeQuery,
} from '../../schemas/marketing';

const con = IdParam('con');
const OWN_CONTACT = 'contacts of customers the caller owns; any other contact answers 404, exactly like an unknown id';

export const routes = [
  // consent per contact and channel (C6)
  { method: 'GET', path: '/v1/contacts/{id}/consent', feature: 'marketing', operation: 'getConsent', tag: 'Marketing', summary: 'Read a contact\'s marketing consent per channel (unknown when never recorded)', permission: 'consent:read', scope: OWN_CONTACT, params: con, response: { status: 200, schema: ContactConsent }, errors: [404] },
  { method: 'PUT', path: '/v1/contacts/{id}/consent/{channel}', feature: 'marketing', operation: 'setConsent', tag: 'Marketing', summary: 'Record a contact\'s consent for one channel (opted in or out, with its source); recorded in the consent history', permission: 'consent:write', scope: OWN_CONTACT, params: ConsentChannelParams, body: ConsentSet, response: { status: 200, schema: ChannelConsent }, errors: [404, 409] },
  { method: 'GET', path: '/v1/contacts/{id}/consent/history', feature: 'marketing', operation: 'consentHistory', tag: 'Marketing', summary: 'A contact\'s consent changes, newest first', permission: 'consent:read', scope: OWN_CONTACT, params: con, query: ListQuery, response: { status: 200, schema: ConsentHistoryPage }, errors: [404] },
  // suppression list
  { method: 'POST', path: '/v1/suppressions', feature: 'marketing', operation: 'addSuppression', tag: 'Marketing', summary: 'Suppress an address for all marketing email (reason manual; an address already suppressed keeps its first reason)', permission: 'marketing:write', body: SuppressionCreate, response: { status: 200, schema: Suppression } },
  { method: 'GET', path: '/v1/suppressions', feature: 'marketing', operation: 'listSuppressions', tag: 'Marketing', summary: 'Suppressed addresses (bounces, complaints, unsubscribes, manual), newest first', permission: 'marketing:read', query: ListQuery, response: { status: 200, schema: SuppressionPage } },
  // templates
  { method: 'POST', path: '/v1/templates', feature: 'marketing', operation: 'createTemplate', tag: 'Marketing', summary: 'Create an email template (subject, HTML and text; checked against the allowed template syntax)', permission: 'marketing:write', body: TemplateCreate, response: { status: 201, schema: Template } },
  { method: 'GET', path: '/v1/templates', feature: 'marketing', operation: 'listTemplates', tag: 'Marketing', summary: 'List email templates, newest first', permission: 'marketing:read', query: ListQuery, response: { status: 200, schema: TemplatePage } },
  { method: 'GET', path: '/v1/templates/{templateId}', feature: 'marketing', operation: 'getTemplate', tag: 'Marketing', summary: 'Read an email template', permission: 'marketing:read', params: TemplateIdParam, response: { status: 200, schema: Template }, errors: [404] },
  { method: 'PATCH', path: '/v1/templates/{templateId}', feature: 'marketing', operation: 'updateTemplate', tag: 'Marketing', summary: 'Change an email template', permission: 'marketing:write', params: TemplateIdParam, body: TemplatePatch, response: { status: 200, schema: Template }, errors: [404, 409, 412], conditional: true },
  { method: 'POST', path: '/v1/templates/{templateId}/render', feature: 'marketing', operation: 'renderTemplate', tag: 'Marketing', summary: 'Preview the email for one contact, footer included (fields you may not see in clear stay masked)', permission: 'marketing:read', params: TemplateIdParam, body: TemplateRender, response: { status: 200, schema: RenderedEmail }, errors: [404] },
  // segments
  { method: 'POST', path: '/v1/segments', feature: 'marketing', operation: 'createSegment', tag: 'Marketing', summary: 'Save a segment (rules over customer and contact attributes)', permission: 'marketing:write', body: SegmentCreate, response: { status: 201, schema: Segment } },
  { method: 'GET', path: '/v1/segments', feature: 'marketing', operation: 'listSegments', tag: 'Marketing', summary: 'List segments, newest first', permission: 'marketing:read', query: ListQuery, response: { status: 200, schema: SegmentPage } },
  { method: 'GET', path: '/v1/segments/{segmentId}', feature: 'marketing', operation: 'getSegment', tag: 'Marketing', summary: 'Read a segment and how it is read (its index plan)', permission: 'marketing:read', params: SegmentIdParam, response: { status: 200, schema: Segment }, errors: [404] },
  { method: 'PATCH', path: '/v1/segments/{segmentId}', feature: 'marketing', operation: 'updateSegment', tag: 'Marketing', summary: 'Change a segment', permission: 'marketing:write', params: SegmentIdParam, body: SegmentPatch, response: { status: 200, schema: Segment }, errors: [404, 409, 412], conditional: true },
  { method: 'POST', path: '/v1/segments/{segmentId}/preview', feature: 'marketing', operation: 'previewSegment', tag: 'Marketing', summary: 'Count a segment\'s contacts and show the first ones (at most 1,000 customers read per call; continue with nextCursor)', permission: 'marketing:read', params: SegmentIdParam, query: SegmentPreviewQuery, response: { status: 200, schema: SegmentPreview }, errors: [404] },
  // static lists
  { method: 'POST', path: '/v1/lists', feature: 'marketing', operation: 'createList', tag: 'Marketing', summary: 'Create a static list', permission: 'marketing:write', body: ListCreate, response: { status: 201, schema: MailingList } },
  { method: 'GET', path: '/v1/lists', feature: 'marketing', operation: 'listLists', tag: 'Marketing', summary: 'List static lists, newest first', permission: 'marketing:read', query: ListQuery, response: { status: 200, schema: MailingListPage } },
  { method: 'GET', path: '/v1/lists/{listId}', feature: 'marketing', operation: 'getList', tag: 'Marketing', summary: 'Read a static list', permission: 'marketing:read', params: ListIdParam, response: { status: 200, schema: MailingList }, errors: [404] },
  { method: 'GET', path: '/v1/lists/{listId}/members', feature: 'marketing', operation: 'listMembers', tag: 'Marketing', summary: 'A static list\'s members (contact ids)', permission: 'marketing:read', params: ListIdParam, query: ListQuery, response: { status: 200, schema: ListMemberPage }, errors: [404] },
  { method: 'POST', path: '/v1/lists/{listId}/members', feature: 'marketing', operation: 'addMembers', tag: 'Marketing', summary: 'Add contacts to a static list (up to 100; each must exist; adding twice changes nothing)', permission: 'marketing:write', params: ListIdParam, body: ListMembersChange, response: { status: 200, schema: ListMembersResult }, errors: [404] },
  { method: 'POST', path: '/v1/lists/{listId}/members/remove', feature: 'marketing', operation: 'removeMembers', tag: 'Marketing', summary: 'Remove contacts from a static list (up to 100)', permission: 'marketing:write', params: ListIdParam, body: ListMembersChange, response: { status: 200, schema: ListMembersResult }, errors: [404] },
  // campaigns
  { method: 'POST', path: '/v1/campaigns', feature: 'marketing', operation: 'createCampaign', tag: 'Marketing', summary: 'Create a draft campaign: template, audience (segments and lists), consent policy, send rate', permission: 'marketing:write', body: CampaignCreate, response: { status: 201, schema: Campaign } },
  { method: 'GET', path: '/v1/campaigns', feature: 'marketing', operation: 'listCampaigns', tag: 'Marketing', summary: 'List campaigns, newest first', permission: 'marketing:read', query: ListQuery, response: { status: 200, schema: CampaignPage } },
  { method: 'GET', path: '/v1/campaigns/{campaignId}', feature: 'marketing', operation: 'getCampaign', tag: 'Marketing', summary: 'Read a campaign with its stats', permission: 'marketing:read', params: CampaignIdParam, response: { status: 200, schema: Campaign }, errors: [404] },
  { method: 'POST', path: '/v1/campaigns/{campaignId}/schedule', feature: 'marketing', operation: 'scheduleCampaign', tag: 'Marketing', summary: 'Schedule a draft campaign to send at sendAt (default now); the campaigns job sends it', permission: 'marketing:write', params: CampaignIdParam, body: CampaignSchedule, response: { status: 200, schema: Campaign }, errors: [404, 409] },
  { method: 'POST', path: '/v1/campaigns/{campaignId}/cancel', feature: 'marketing', operation: 'cancelCampaign', tag: 'Marketing', summary: 'Cancel a campaign that has not finished (no new sends after the job\'s current page)', permission: 'marketing:write', params: CampaignIdParam, response: { status: 200, schema: Campaign }, errors: [404, 409] },
  { method: 'GET', path: '/v1/campaigns/{campaignId}/recipients', feature: 'marketing', operation: 'listRecipients', tag: 'Marketing', summary: 'The campaign\'s recipient ledger (addresses masked without pii:read)', permission: 'marketing:read', params: CampaignIdParam, query: ListQuery, response: { status: 200, schema: RecipientPage }, errors: [404] },
  // public unsubscribe (RFC 8058 one-click)
  { method: 'GET', path: '/v1/unsubscribe', feature: 'marketing', operation: 'unsubscribePage', tag: 'Marketing', summary: 'The unsubscribe link of a marketing email: a confirmation page (changes nothing)', permission: 'public', query: UnsubscribeQuery, response: { status: 200, contentType: 'text/html' }, errors: [404] },
  { method: 'POST', path: '/v1/unsubscribe', feature: 'marketing', operation: 'unsubscribe', tag: 'Marketing', summary: 'Unsubscribe (RFC 8058 one-click POST, or the page\'s button): opts the contact out of email and suppresses the address; repeating it changes nothing', permission: 'public', query: UnsubscribeQuery, response: { status: 200, contentType: 'text/html' }, errors: [404] },
] as const satisfies readonly RouteDef[];
