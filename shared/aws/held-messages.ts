import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { REASON_ATTRIBUTE } from '../domain/jobs.ts';

/** How long messages stay hidden while an admin call looks at them. */
const HOLD_SECONDS = 30;
/** Receives per call: bounds the time one request spends on a large queue. */
const MAX_RECEIVES = 20;

/**
 * A dead-letter queue as the admin API reads it: messages received and held for a moment (to be looked
 * at, sent on, or let go again), never consumed by accident. Bounded per call.
 */
export class HeldMessages {
  constructor(
    private readonly sqs: SQSClient,
    readonly url: string,
  ) {}

  /** About how many messages the queue holds (visible or held by someone). */
  async approximateCount(): Promise<number> {
    const result = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const attributes = result.Attributes ?? {};
    return (
      Number(attributes.ApproximateNumberOfMessages ?? 0) +
      Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }

  /** Receives up to `limit` distinct messages (fewer on a large queue), hidden for a moment. */
  async hold(limit: number): Promise<Message[]> {
    const held = new Map<string, Message>();
    for (let round = 0; round < MAX_RECEIVES && held.size < limit; round += 1) {
      const result = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.url,
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
        if (message.MessageId !== undefined && !held.has(message.MessageId))
          held.set(message.MessageId, message);
      }
    }
    return [...held.values()];
  }

  /** Makes held messages visible again at once. */
  async release(messages: readonly Message[]): Promise<void> {
    for (let start = 0; start < messages.length; start += 10) {
      const batch = messages.slice(start, start + 10);
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.url,
          Entries: batch.map((message, index) => ({
            Id: `m${index}`,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }

  /** Deletes a held message (it was sent on, or is no longer needed). */
  async remove(message: Message): Promise<void> {
    await this.sqs.send(
      new DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: message.ReceiptHandle }),
    );
  }
}

/** Why Herald dead-lettered a message, when it said; undefined for one the queue's redrive policy moved. */
export const reasonOf = (message: Message): string | undefined =>
  message.MessageAttributes?.[REASON_ATTRIBUTE]?.StringValue;

/** When a message was sent to the queue it is in (ISO time), if SQS said. */
export const sentAtOf = (message: Message): string | undefined =>
  message.Attributes?.SentTimestamp === undefined
    ? undefined
    : new Date(Number(message.Attributes.SentTimestamp)).toISOString();

/** A message body as JSON; undefined when it is not JSON. */
export const jsonBody = (message: Message): unknown => {
  try {
    return JSON.parse(message.Body ?? '');
  } catch {
    return undefined;
  }
};
