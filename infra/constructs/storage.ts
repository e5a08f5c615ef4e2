import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface StorageProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * DynamoDB: the config table (channels and policies; partition `kind`, sort `id`) and the state table
 * (event idempotency, delivery state, attempts; `pk`/`sk`, records expire through TTL on `expiresAt`;
 * indexes `byTime`, `byChannel` list deliveries newest first by creation; `byStatus`, `byChannelStatus`,
 * `byTypeStatus` by when they took their status, which is how dead letters are listed and redriven;
 * the indexes hold keys, not records).
 * Both on-demand, encrypted at rest, with point-in-time recovery for the config.
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
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    });
    this.stateTable = new TableV2(this, 'StateTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      // Deliveries newest first: all of them, and under each filter the admin API offers, so every
      // filtered page is full. Unfiltered and by channel sort on creation time; the status indexes on
      // when the status was taken ("dead since", "delivered last"). The indexes hold keys (the status
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
