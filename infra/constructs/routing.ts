import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONFIG_KINDS, STATE_PREFIXES } from '../../shared/aws/partitions.ts';
import { ENV } from '../../shared/runtime/env-names.ts';
import { functionEntry } from '../paths.ts';
import { HeraldFunction } from './herald-function.ts';
import type { QueueWithDlq } from './queues.ts';

/** The default for {@link RoutingProps.timeout}. */
export const DEFAULT_ROUTER_TIMEOUT = Duration.seconds(30);

export interface RoutingProps {
  /** The ingest queue, which feeds the router, and its dead-letter queue, where invalid events go. */
  readonly ingestQueue: QueueWithDlq;
  readonly deliveryQueue: IQueue;
  readonly configTable: ITableV2;
  readonly stateTable: ITableV2;
  readonly retentionDays: number;
  /** Most concurrent batches taken from the ingest queue. @default no ceiling */
  readonly maxConcurrency?: number;
  /**
   * The router's timeout: the ingest queue's visibility timeout was derived from it (see
   * {@link QueueWithDlq.feed}). @default DEFAULT_ROUTER_TIMEOUT (30 s)
   */
  readonly timeout?: Duration;
  /** The router's memory in MB. @default 256 */
  readonly memorySize?: number;
}

/** The router: one event in, one delivery job out per matching channel. */
export class Routing extends Construct {
  readonly function: HeraldFunction;

  constructor(scope: Construct, id: string, props: RoutingProps) {
    super(scope, id);
    this.function = new HeraldFunction(this, 'RouterFunction', {
      entry: functionEntry('router'),
      description: 'Herald router: matches events to policies and queues delivery jobs',
      timeout: props.timeout ?? DEFAULT_ROUTER_TIMEOUT,
      memorySize: props.memorySize,
      environment: {
        [ENV.retentionDays]: String(props.retentionDays),
      },
    })
      // Policies, channels and the config generation, read only; never API keys. Routers share the
      // config they read whole as snapshots (shared/aws/config-snapshots.ts).
      .bindTableItems(ENV.configTable, props.configTable, {
        read: [CONFIG_KINDS.policy, CONFIG_KINDS.channel, CONFIG_KINDS.silence, CONFIG_KINDS.meta],
        put: [CONFIG_KINDS.snapshot],
      })
      // Events (routed once), dedup windows, suppressed deliveries.
      .bindTableItems(ENV.stateTable, props.stateTable, {
        write: [`${STATE_PREFIXES.event}*`, `${STATE_PREFIXES.dedup}*`, `${STATE_PREFIXES.delivery}*`],
      })
      .bindQueueSender(ENV.deliveryQueueUrl, props.deliveryQueue)
      .bindQueueSender(ENV.ingestDlqUrl, props.ingestQueue.deadLetterQueue)
      // Snapshots the same code saved are not validated again (a third of a cold start's work).
      .bindCodeHash(ENV.codeHash);
    props.ingestQueue.feed(this.function, {
      batchSize: 10,
      ...(props.maxConcurrency === undefined ? {} : { maxConcurrency: props.maxConcurrency }),
    });
  }
}
