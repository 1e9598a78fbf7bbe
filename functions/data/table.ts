/**
 * The one table specification. CDK (lib/) and local table creation (local/, test/support/)
 * both derive the table from this object, so the two cannot drift.
 *
 * Every entity shares generic key attributes; what goes into them is decided in keys.ts only.
 */
export const TABLE_SPEC = {
  /** Logical id in CDK; locally also the default physical name (AWS gets a generated one). */
  logicalName: 'CrmTable',
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Items carrying this attribute (epoch seconds) are deleted by DynamoDB after that time. */
  ttlAttribute: 'expiresAt',
  /** The outbox publisher reads new audit/outbox items from the stream. */
  stream: 'NEW_AND_OLD_IMAGES',
  /**
   * Generic indexes, each serving lists of several entities (docs/access-patterns.md). `projection`
   * is what CDK (lib/constructs/data-table.ts), local table creation and the write-cost model
   * (capacity.ts) all read. ALL: every list built on these indexes returns whole records in one
   * Query per page; a narrower projection would need a BatchGetItem per page for the attributes
   * left out (and an index cannot change projection in place: it is dropped and rebuilt).
   */
  globalIndexes: [
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'ALL' },
    { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: 'ALL' },
    { name: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projection: 'ALL' },
    { name: 'gsi4', partitionKey: 'gsi4pk', sortKey: 'gsi4sk', projection: 'ALL' },
  ],
} as const satisfies { globalIndexes: readonly { name: string; partitionKey: string; sortKey: string; projection: 'ALL' | 'KEYS_ONLY' }[] } & Record<string, unknown>;

export type IndexName = (typeof TABLE_SPEC.globalIndexes)[number]['name'];

/** Key attribute names of the table and each index; all are strings (S). */
export function keyAttributeNames(): string[] {
  const names: string[] = [TABLE_SPEC.partitionKey, TABLE_SPEC.sortKey];
  for (const index of TABLE_SPEC.globalIndexes) names.push(index.partitionKey, index.sortKey);
  return names;
}

/**
 * The same table as a DynamoDB CreateTable input (used locally and in tests).
 * On-demand billing, each index projected as TABLE_SPEC says.
 */
export function createTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: keyAttributeNames().map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: TABLE_SPEC.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: TABLE_SPEC.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: TABLE_SPEC.globalIndexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: index.projection },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE_SPEC.stream },
  };
}
