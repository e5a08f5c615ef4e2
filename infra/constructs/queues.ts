import { type Acknowledgment, Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface QueueWithDlqProps {
  readonly visibilityTimeout: Duration;
  /** Receives before SQS moves a message to the dead-letter queue (the backstop for crashes). */
  readonly maxReceiveCount: number;
  /** How long a message may wait in the queue. @default Duration.days(4) */
  readonly retentionPeriod?: Duration;
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
export const SQS_EVENT_SOURCE_FAILURES: Acknowledgment = {
  id: 'Serverless::Serverless-LambdaEventSourceMappingDestination',
  reason:
    "An SQS event source has no on-failure destination: a message that keeps failing goes to the queue's " +
    'dead-letter queue through its redrive policy (QueueWithDlq).',
};

/**
 * A work queue and its dead-letter queue, both encrypted (SSE-SQS), TLS-only, and taking messages of
 * `MAX_MESSAGE_BYTES` (set explicitly rather than left to the service default).
 */
export class QueueWithDlq extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps) {
    super(scope, id);
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
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: props.retentionPeriod ?? Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
