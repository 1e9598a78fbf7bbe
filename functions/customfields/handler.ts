/** Custom-field definitions: adapts routes to the service. */
import { createHttpHandler, created, noContent, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('customfields', routes, {
  createCustomField: async ({ principal, body, now }) => {
    const field = await service.createField(principal, body, now);
    return created(field, `/v1/custom-fields/${field.id}`);
  },
  listCustomFields: async ({ query }) => ok(await service.listFields(query)),
  getCustomField: async ({ params }) => ok(await service.getField(params.fieldId)),
  updateCustomField: async ({ principal, params, body, expectedVersion, now }) => ok(await service.updateField(principal, params.fieldId, body, expectedVersion, now)),
  deleteCustomField: async ({ principal, params, expectedVersion, now }) => {
    await service.deleteField(principal, params.fieldId, expectedVersion, now);
    return noContent();
  },
});
