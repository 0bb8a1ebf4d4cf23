import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { Names } from './names.js';

/**
 * The system of record and the read model, one table (the DynamoDB engine's single-table layout):
 * items by `pk`/`sk`; the `wall` index (`gsi1pk`/`gsi1sk`) pages the wall by destination and time,
 * the `scan` index (`gsi2pk`/`gsi2sk`) pages every record by id for the audit. Both project ALL:
 * a wall page or an audit page is one Query, never a Query and then a read per item.
 *
 * On-demand: a burst of 65,000 evacuees is the whole point, and provisioned capacity would either
 * throttle it or sit idle the rest of the time (the consumers' maxConcurrency bounds the write rate
 * instead). The last wishes of the evacuees cannot be made again: point-in-time recovery, deletion
 * protection, and the table outlives the stack (RETAIN).
 */
export class WishTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, { names }: { names: Names }) {
    super(scope, id);
    const key = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.TableV2(this, 'Table', {
      tableName: names.table,
      partitionKey: key('pk'),
      sortKey: key('sk'),
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        {
          indexName: 'wall',
          partitionKey: key('gsi1pk'),
          sortKey: key('gsi1sk'),
          projectionType: dynamodb.ProjectionType.ALL,
        },
        {
          indexName: 'scan',
          partitionKey: key('gsi2pk'),
          sortKey: key('gsi2sk'),
          projectionType: dynamodb.ProjectionType.ALL,
        },
      ],
    });
  }
}
