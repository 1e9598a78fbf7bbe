import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_SPEC } from '../../functions/data/table';

export interface DataTableProps {
  deletionProtection: boolean;
  removalPolicy: RemovalPolicy;
}

/**
 * The single CRM table, derived from TABLE_SPEC (the same object local table creation uses, so
 * the two cannot drift). Defaults: on-demand billing, point-in-time recovery, encryption with
 * the AWS-managed KMS key, TTL and a NEW_AND_OLD_IMAGES stream for the outbox publisher. The
 * physical name is generated, so several stages share an account.
 */
export class DataTable extends Construct {
  readonly table: Table;
  /** ARNs of the table's indexes, one per TABLE_SPEC entry (grants name them instead of `index/*`). */
  readonly indexArns: string[];
  /** The same ARNs by index name. */
  readonly indexArnsByName: Record<string, string>;

  constructor(scope: Construct, id: string, props: DataTableProps) {
    super(scope, id);

    this.table = new Table(this, TABLE_SPEC.logicalName, {
      partitionKey: { name: TABLE_SPEC.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_SPEC.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: props.deletionProtection,
      timeToLiveAttribute: TABLE_SPEC.ttlAttribute,
      stream: StreamViewType[TABLE_SPEC.stream],
      removalPolicy: props.removalPolicy,
    });

    for (const index of TABLE_SPEC.globalIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType[index.projection],
      });
    }

    this.indexArnsByName = Object.fromEntries(TABLE_SPEC.globalIndexes.map((index) => [index.name, `${this.table.tableArn}/index/${index.name}`]));
    this.indexArns = Object.values(this.indexArnsByName);
  }
}
