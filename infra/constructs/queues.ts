import { Duration } from 'aws-cdk-lib';
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
    this.queue = new Queue(this, 'Queue', {
      ...common,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: props.retentionPeriod ?? Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
