import { Duration, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { STATE_PREFIXES } from '../../shared/aws/partitions.ts';
import { ENV } from '../../shared/runtime/env-names.ts';
import { functionEntry } from '../paths.ts';
import { HeraldFunction } from './herald-function.ts';

/** How often closed digest periods are looked for: EventBridge's shortest rate. */
export const DIGEST_FLUSH_RATE = Duration.minutes(1);

export interface DigestsProps {
  readonly deliveryQueue: IQueue;
  readonly stateTable: ITableV2;
  readonly retentionDays: number;
  /** The digest function's memory in MB. @default 256 */
  readonly memorySize?: number;
}

/**
 * Digests: a scheduled rule runs the digest function once a minute, which queues one delivery job for
 * every digest whose period has ended (one index query when none has, whatever the number of channels).
 */
export class Digests extends Construct {
  readonly function: HeraldFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: DigestsProps) {
    super(scope, id);
    this.function = new HeraldFunction(this, 'DigestFunction', {
      entry: functionEntry('digest'),
      description: 'Herald digest: queues the digests whose period has ended',
      timeout: Duration.seconds(50),
      memorySize: props.memorySize,
      environment: { [ENV.retentionDays]: String(props.retentionDays) },
    })
      // Digests are deliveries: read from the collecting index, closed once their job is queued.
      .bindTableItems(ENV.stateTable, props.stateTable, {
        write: [`${STATE_PREFIXES.delivery}*`],
        indexReads: true,
      })
      .bindQueueSender(ENV.deliveryQueueUrl, props.deliveryQueue);
    this.schedule = new Rule(this, 'FlushSchedule', {
      description: 'Herald: flush the digests whose period has ended',
      schedule: Schedule.rate(DIGEST_FLUSH_RATE),
      targets: [new LambdaFunction(this.function.fn, { retryAttempts: 2 })],
    });
    Validations.of(this.schedule).acknowledge({
      id: 'Serverless::Serverless-EventBusDLQ',
      reason:
        'The schedule sends a tick with no content: a tick that cannot be delivered is simply replaced ' +
        'by the next one a minute later, and the flush it would have run is idempotent, so a ' +
        'dead-letter queue would keep nothing worth reading.',
    });
  }
}
