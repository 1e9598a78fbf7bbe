/**
 * DynamoDB access for custom-field definitions: one versioned item per entity in the partition
 * `SETTINGS#CUSTOM_FIELDS`, written whole under a version condition together with its audit entry.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { Transaction } from '../data/transaction';
import { type EntityDefinitions, type FieldDef, isCustomFieldEntity, storedFields } from './model';

/** Every entity's definitions: one Query of the partition (at most one item per entity), consistent. */
export async function allDefinitions(): Promise<EntityDefinitions[]> {
  const out = await ddb().send(new QueryCommand({
    TableName: config().tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.customFields.partition, ':prefix': keys.customFields.definitionsPrefix },
    ConsistentRead: true,
  }));
  return (out.Items ?? []).flatMap((item) => {
    const entity = String(item.sk).slice(keys.customFields.definitionsPrefix.length);
    return isCustomFieldEntity(entity) ? [{ entity, version: Number(item.version ?? 0), fields: storedFields(item.fields) }] : [];
  });
}

/** Writes an entity's definitions (label `definitions`: still at the version read) with the audit entry. */
export async function saveDefinitions(before: EntityDefinitions, fields: Record<string, FieldDef>, audit: Record<string, unknown>): Promise<void> {
  const tx = new Transaction();
  tx.put(
    'definitions',
    { ...keys.customFields.definitions(before.entity), kind: 'custom-fields', entity: before.entity, version: before.version + 1, fields },
    before.version === 0 ? { expression: 'attribute_not_exists(pk)' } : { expression: 'version = :v', values: { ':v': before.version } },
  );
  tx.put('audit', audit);
  await tx.commit();
}
