import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { Names } from './names.js';

/**
 * What the table can take at once from the first second (warm throughput), in units per second. An
 * on-demand table starts at 4,000 writes and 12,000 reads and doubles its previous peak only with
 * time; launch day is a cold table meeting its peak. 65,000 wishes in the last hours is ~10 write
 * units each (README "What it costs"), but they come as fast as the consumers drain them: the worker
 * and the tally at their maximum concurrency (consumers.ts: 10 and 5 invocations of 100 wishes)
 * move ~1,000 wishes a second, ~10,000 write units. Reads: ~5 units a wish, within the floor of 12,000.
 * Raising warm throughput is billed once, per unit raised; `-c warmWriteUnitsPerSecond=…` changes it.
 */
export const LAUNCH_PEAK = { writeUnitsPerSecond: 10_000, readUnitsPerSecond: 12_000 } as const;

export interface WishTableProps {
  readonly names: Names;
  readonly warmThroughput?: dynamodb.WarmThroughput | undefined;
}

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

  constructor(scope: Construct, id: string, { names, warmThroughput }: WishTableProps) {
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
      warmThroughput: { ...LAUNCH_PEAK, ...warmThroughput },
      // Which keys are hot or throttled (the tally's counter shards, an evacuee written twice at once):
      // what to look at when the throttle alarms fire. ~$0.02 per million events it sees.
      contributorInsightsSpecification: { enabled: true },
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
