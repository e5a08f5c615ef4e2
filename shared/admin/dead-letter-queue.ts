import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Queue } from '../aws/queue.ts';
import type { DeliveryRef } from '../aws/state-repository.ts';
import { DeliveryJob, REASON_ATTRIBUTE } from '../domain/jobs.ts';

/** How long messages stay hidden while an admin call looks at them. */
const HOLD_SECONDS = 30;
/** Receives per call: bounds the time one request spends on a large dead-letter queue. */
const MAX_RECEIVES = 20;

export interface DeadLetterQueueDeps {
  readonly sqs: SQSClient;
  readonly deadLetterQueueUrl: string;
  readonly deliveryQueue: Queue;
  /** Resets an undelivered delivery for another round; false when it was delivered meanwhile. */
  resetForRedrive(delivery: DeliveryRef, now: Date, anyUndelivered: true): Promise<boolean>;
}

interface Held {
  readonly message: Message;
  readonly job: DeliveryJob | undefined;
}

/**
 * The delivery dead-letter queue, the backstop for jobs that died without a record (not a job at all,
 * or moved by the queue's own redrive after crashing their function again and again): look at it, and
 * send what it holds back through delivery. Bounded per call; Herald's own dead letters are records.
 */
export class DeadLetterQueueAdmin {
  constructor(private readonly deps: DeadLetterQueueDeps) {}

  /** About how many messages the queue holds. */
  async approximateCount(): Promise<number> {
    const result = await this.deps.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.deps.deadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const attributes = result.Attributes ?? {};
    return (
      Number(attributes.ApproximateNumberOfMessages ?? 0) +
      Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }

  /** Messages with their reasons (received and released again at once). */
  async list(limit: number, channel?: string) {
    const received = await this.receive(limit);
    await this.release(received);
    const held = received.filter(({ job }) => channel === undefined || job?.channelId === channel);
    return {
      items: held.slice(0, limit).map(({ message, job }) => ({
        deliveryId: job?.deliveryId ?? null,
        eventId: job?.event.id ?? null,
        channelId: job?.channelId ?? null,
        eventType: job?.event.type ?? null,
        reason:
          message.MessageAttributes?.[REASON_ATTRIBUTE]?.StringValue ?? 'moved by the queue redrive policy',
        ...(message.Attributes?.SentTimestamp === undefined
          ? {}
          : { deadLetteredAt: new Date(Number(message.Attributes.SentTimestamp)).toISOString() }),
      })),
    };
  }

  /**
   * Sends dead deliveries (all, or one channel's) back to the delivery queue with their attempts reset.
   * A delivery that succeeded meanwhile is dropped, never sent again.
   */
  async redrive(channel: string | undefined, now: Date) {
    const held = await this.receive(Number.POSITIVE_INFINITY);
    let redriven = 0;
    let skipped = 0;
    const keep: Held[] = [];
    for (const entry of held) {
      const { job } = entry;
      if (job === undefined || (channel !== undefined && job.channelId !== channel)) {
        keep.push(entry);
        continue;
      }
      const ref = { deliveryId: job.deliveryId, channelId: job.channelId, eventType: job.event.type };
      if (await this.deps.resetForRedrive(ref, now, true)) {
        const failed = await this.deps.deliveryQueue.sendAll([
          { key: job.deliveryId, body: JSON.stringify(job) },
        ]);
        if (failed.length > 0) {
          keep.push(entry);
          continue;
        }
        redriven += 1;
      } else {
        skipped += 1;
      }
      await this.deps.sqs.send(
        new DeleteMessageCommand({
          QueueUrl: this.deps.deadLetterQueueUrl,
          ReceiptHandle: entry.message.ReceiptHandle,
        }),
      );
    }
    await this.release(keep);
    return { redriven, skipped };
  }

  private async receive(limit: number): Promise<Held[]> {
    const held = new Map<string, Held>();
    for (let round = 0; round < MAX_RECEIVES && held.size < limit; round += 1) {
      const result = await this.deps.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.deps.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: HOLD_SECONDS,
          // A short long-poll asks every SQS server, so an empty answer means the queue is empty.
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['SentTimestamp'],
        }),
      );
      const messages = result.Messages ?? [];
      if (messages.length === 0) break;
      for (const message of messages) {
        if (message.MessageId === undefined || held.has(message.MessageId)) continue;
        const parsed = DeliveryJob.safeParse(safeJson(message.Body));
        held.set(message.MessageId, { message, job: parsed.success ? parsed.data : undefined });
      }
    }
    return [...held.values()];
  }

  private async release(held: readonly Held[]): Promise<void> {
    for (let start = 0; start < held.length; start += 10) {
      const batch = held.slice(start, start + 10);
      await this.deps.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.deps.deadLetterQueueUrl,
          Entries: batch.map((entry, index) => ({
            Id: `m${index}`,
            ReceiptHandle: entry.message.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }
}

const safeJson = (body: string | undefined): unknown => {
  try {
    return JSON.parse(body ?? '');
  } catch {
    return undefined;
  }
};
