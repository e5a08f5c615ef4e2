import { type Acknowledgment, Duration, Validations } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { HeraldFunction } from './herald-function.ts';

/**
 * A queue's visibility timeout in multiples of its consumer's timeout. AWS's advice for a queue that
 * feeds a function through an SQS event source is at least 6: Lambda may retry a batch it could not
 * hand over (a throttle) within that time, and a message must not come back while an invocation still
 * works on it. The cost: a batch whose invocation crashed or timed out comes back only that much later.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface QueueWithDlqProps {
  /**
   * The timeout of the function the queue feeds: the queue's visibility timeout is
   * {@link VISIBILITY_TIMEOUT_FACTOR} times it, and {@link QueueWithDlq.feed} checks the function's.
   */
  readonly consumerTimeout: Duration;
  /** Receives before SQS moves a message to the dead-letter queue (the backstop for crashes). */
  readonly maxReceiveCount: number;
  /** How long a message may wait in the queue. @default Duration.days(4) */
  readonly retentionPeriod?: Duration;
}

/** How an SQS event source takes messages from a {@link QueueWithDlq}. */
export interface FeedOptions {
  /** Messages per invocation. */
  readonly batchSize: number;
  /** Most concurrent batches (2 to 1,000). @default no ceiling */
  readonly maxConcurrency?: number;
}

/**
 * SQS's largest message: a job carries an event of up to 256 KiB plus Herald's own fields, so the
 * 256 KiB that queues had by default could not hold an event at its size limit.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * For the SQS event source mapping that feeds a function from a `QueueWithDlq`: cdk-nag asks for an
 * on-failure destination, which Lambda supports for stream and Kafka sources but not for SQS.
 */
const SQS_EVENT_SOURCE_FAILURES: Acknowledgment = {
  id: 'Serverless::Serverless-LambdaEventSourceMappingDestination',
  reason:
    "An SQS event source has no on-failure destination: a message that keeps failing goes to the queue's " +
    'dead-letter queue through its redrive policy (QueueWithDlq).',
};

/**
 * A work queue and its dead-letter queue, both encrypted (SSE-SQS), TLS-only, and taking messages of
 * `MAX_MESSAGE_BYTES` (set explicitly rather than left to the service default); the work queue's
 * visibility timeout follows its consumer's timeout.
 */
export class QueueWithDlq extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  /** The timeout of the function the queue feeds. */
  readonly consumerTimeout: Duration;
  /** How long a received message stays hidden: {@link VISIBILITY_TIMEOUT_FACTOR} × `consumerTimeout`. */
  readonly visibilityTimeout: Duration;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps) {
    super(scope, id);
    this.consumerTimeout = props.consumerTimeout;
    this.visibilityTimeout = Duration.seconds(props.consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR);
    const common = {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    } as const;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...common,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless::Serverless-SQSRedrivePolicy',
      reason: 'This is the dead-letter queue: its messages are read and redriven through the admin API.',
    });
    this.queue = new Queue(this, 'Queue', {
      ...common,
      visibilityTimeout: this.visibilityTimeout,
      retentionPeriod: props.retentionPeriod ?? Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }

  /**
   * Feeds `consumer` from the queue through an SQS event source that reports partial batch failures.
   * Its timeout may not exceed the `consumerTimeout` the visibility timeout was derived from.
   */
  feed(consumer: HeraldFunction, options: FeedOptions): void {
    const timeout = consumer.fn.timeout ?? Duration.seconds(3);
    if (timeout.toSeconds() > this.consumerTimeout.toSeconds()) {
      throw new Error(
        `${consumer.node.path} times out after ${timeout.toHumanString()}, but ${this.node.path}'s ` +
          `visibility timeout was derived from ${this.consumerTimeout.toHumanString()}`,
      );
    }
    consumer.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: options.batchSize,
        reportBatchItemFailures: true,
        ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
      }),
    );
    Validations.of(consumer).acknowledge(SQS_EVENT_SOURCE_FAILURES);
  }
}
