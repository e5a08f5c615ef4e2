import { Duration, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONFIG_KINDS, STATE_PREFIXES } from '../../shared/aws/partitions.ts';
import { ENV } from '../../shared/runtime/env-names.ts';
import { functionEntry } from '../paths.ts';
import { HeraldFunction } from './herald-function.ts';
import { SQS_EVENT_SOURCE_FAILURES } from './queues.ts';

export interface RoutingProps {
  readonly ingestQueue: IQueue;
  readonly ingestDeadLetterQueue: IQueue;
  readonly deliveryQueue: IQueue;
  readonly configTable: ITableV2;
  readonly stateTable: ITableV2;
  readonly retentionDays: number;
  /** Most concurrent batches taken from the ingest queue. @default no ceiling */
  readonly maxConcurrency?: number;
}

/** The router: one event in, one delivery job out per matching channel. */
export class Routing extends Construct {
  readonly function: HeraldFunction;

  constructor(scope: Construct, id: string, props: RoutingProps) {
    super(scope, id);
    this.function = new HeraldFunction(this, 'RouterFunction', {
      entry: functionEntry('router'),
      description: 'Herald router: matches events to policies and queues delivery jobs',
      timeout: Duration.seconds(30),
      environment: {
        [ENV.retentionDays]: String(props.retentionDays),
      },
    })
      // Policies, channels and the config generation, read only; never API keys.
      .bindTableItems(ENV.configTable, props.configTable, {
        read: [CONFIG_KINDS.policy, CONFIG_KINDS.channel, CONFIG_KINDS.meta],
      })
      // Events (routed once), dedup windows, suppressed deliveries.
      .bindTableItems(ENV.stateTable, props.stateTable, {
        write: [`${STATE_PREFIXES.event}*`, `${STATE_PREFIXES.dedup}*`, `${STATE_PREFIXES.delivery}*`],
      })
      .bindQueueSender(ENV.deliveryQueueUrl, props.deliveryQueue)
      .bindQueueSender(ENV.ingestDlqUrl, props.ingestDeadLetterQueue);
    this.function.fn.addEventSource(
      new SqsEventSource(props.ingestQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        ...(props.maxConcurrency === undefined ? {} : { maxConcurrency: props.maxConcurrency }),
      }),
    );
    Validations.of(this.function).acknowledge(SQS_EVENT_SOURCE_FAILURES);
  }
}
