import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, Capacity, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/**
 * Provisioned capacity for the state table, scaled by DynamoDB between `min` and `max` units to keep
 * consumption near `targetUtilizationPercent` (the table and each of its indexes scale on their own).
 */
export interface ProvisionedCapacity {
  readonly writeUnits: { readonly min: number; readonly max: number };
  readonly readUnits: { readonly min: number; readonly max: number };
  /** @default 70 */
  readonly targetUtilizationPercent?: number;
}

export interface StorageProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** The state table's capacity mode: on demand when absent. */
  readonly stateTableCapacity?: ProvisionedCapacity;
}

/** The state table's billing: on demand, or provisioned and auto scaled. */
const stateTableBilling = (capacity: ProvisionedCapacity | undefined): Billing => {
  if (capacity === undefined) return Billing.onDemand();
  const target = capacity.targetUtilizationPercent ?? 70;
  for (const [name, units] of Object.entries({
    writeUnits: capacity.writeUnits,
    readUnits: capacity.readUnits,
  })) {
    if (
      !Number.isInteger(units.min) ||
      units.min < 1 ||
      !Number.isInteger(units.max) ||
      units.max < units.min
    ) {
      throw new Error(
        `stateTableCapacity.${name} ${JSON.stringify(units)}: min and max are whole numbers with 1 ≤ min ≤ max`,
      );
    }
  }
  if (!Number.isInteger(target) || target < 20 || target > 90) {
    throw new Error(`stateTableCapacity.targetUtilizationPercent ${target}: a whole number from 20 to 90`);
  }
  const scaled = (units: { min: number; max: number }) =>
    Capacity.autoscaled({ minCapacity: units.min, maxCapacity: units.max, targetUtilizationPercent: target });
  return Billing.provisioned({
    writeCapacity: scaled(capacity.writeUnits),
    readCapacity: scaled(capacity.readUnits),
  });
};

/**
 * DynamoDB: the config table (channels and policies; partition `kind`, sort `id`; the change log and
 * routers' config snapshots expire through TTL on `expiresAt`) and the state table
 * (event idempotency, delivery state, attempts; `pk`/`sk`, records expire through TTL on `expiresAt`;
 * indexes `byTime`, `byChannel` list deliveries newest first by creation; `byStatus`, `byChannelStatus`,
 * `byTypeStatus` by when they took their status, which is how dead letters are listed and redriven;
 * the indexes hold keys, not records, and each index key is spread over 16 shards, see
 * `shared/aws/index-shards.ts`).
 * Both encrypted at rest, with point-in-time recovery for the config; the config table on demand, the
 * state table on demand or provisioned (`stateTableCapacity`).
 */
export class Storage extends Construct {
  readonly configTable: TableV2;
  readonly stateTable: TableV2;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.configTable = new TableV2(this, 'ConfigTable', {
      partitionKey: { name: 'kind', type: AttributeType.STRING },
      sortKey: { name: 'id', type: AttributeType.STRING },
      // What is kept for a while only: the change log (a day) and routers' config snapshots (hours).
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    });
    this.stateTable = new TableV2(this, 'StateTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      billing: stateTableBilling(props.stateTableCapacity),
      // Deliveries newest first: all of them, and under each filter the admin API offers. Unfiltered
      // and by channel sort on creation time (delivered deliveries are listed from these); the status
      // indexes, which take every status but delivered, on when the status was taken ("dead since").
      // The indexes hold keys (the status
      // indexes also the channel and event type, which never change), not the record: an update that
      // changes only the record's counts and times then writes no index entry (see state-repository.ts).
      globalSecondaryIndexes: [
        { indexName: 'byTime', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
        { indexName: 'byChannel', partitionKey: 'byChannel', sortKey: 'gsi1sk' },
        { indexName: 'byStatus', partitionKey: 'byStatus', sortKey: 'statusSk', withRefs: true },
        {
          indexName: 'byChannelStatus',
          partitionKey: 'byChannelStatus',
          sortKey: 'statusSk',
          withRefs: true,
        },
        { indexName: 'byTypeStatus', partitionKey: 'byTypeStatus', sortKey: 'statusSk' },
      ].map(({ indexName, partitionKey, sortKey, withRefs }) => ({
        indexName,
        partitionKey: { name: partitionKey, type: AttributeType.STRING },
        sortKey: { name: sortKey, type: AttributeType.STRING },
        ...(withRefs
          ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: ['channelId', 'eventType'] }
          : { projectionType: ProjectionType.KEYS_ONLY }),
      })),
      removalPolicy,
    });
  }
}
