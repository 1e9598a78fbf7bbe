/** DynamoDB access for settings: one item per rule set, replaced with a version condition. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { Transaction } from '../data/transaction';
import { DEFAULT_SERVICE_RULES, type StoredServiceRules } from './rules';

/** The current rules, or the defaults (version 0) when none were saved yet. */
export async function getServiceRules(consistent = true): Promise<StoredServiceRules> {
  const out = await ddb().send(new GetCommand({ TableName: config().tableName, Key: keys.settings.serviceRules(), ConsistentRead: consistent }));
  return out.Item ? fromStored(out.Item) : { ...DEFAULT_SERVICE_RULES };
}

export function fromStored(item: Record<string, unknown>): StoredServiceRules {
  const { pk: _pk, sk: _sk, kind: _kind, ...rules } = item;
  return rules as unknown as StoredServiceRules;
}

/** Replaces the rules; condition label `rules`: the version read is still current. */
export async function saveServiceRules(beforeVersion: number, next: StoredServiceRules, audit: Record<string, unknown>): Promise<void> {
  const tx = new Transaction();
  tx.put(
    'rules',
    { ...keys.settings.serviceRules(), kind: 'settings', ...next },
    beforeVersion === 0 ? { expression: 'attribute_not_exists(pk)' } : { expression: 'version = :v', values: { ':v': beforeVersion } },
  );
  tx.put('audit', audit);
  await tx.commit();
}
