import {
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { REASON_ATTRIBUTE } from '../domain/jobs.ts';

/** SendMessageBatch takes at most 10 entries and 1 MiB. */
const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 1024 * 1024 - 16 * 1024;

export interface QueueEntry {
  /** Caller's key for the entry, returned in `failed`. */
  readonly key: string;
  readonly body: string;
}

/** Queue operations Herald needs, over one SQS client. */
export class Queue {
  constructor(
    private readonly sqs: SQSClient,
    readonly url: string,
  ) {}

  /**
   * Sends entries in as few batches as the limits allow, each hidden for `delaySeconds` first; returns
   * the keys that were not queued.
   */
  async sendAll(entries: readonly QueueEntry[], delaySeconds?: number): Promise<string[]> {
    const failed: string[] = [];
    // The batches go out together: a 100-event ingest request waits for one round trip, not ten.
    const send = async (batch: readonly QueueEntry[]) => {
      const ids = new Map(batch.map((entry, index) => [`e${index}`, entry.key]));
      try {
        const result = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: this.url,
            Entries: batch.map((entry, index) => ({
              Id: `e${index}`,
              MessageBody: entry.body,
              ...(delaySeconds === undefined ? {} : { DelaySeconds: delaySeconds }),
            })),
          }),
        );
        for (const failure of result.Failed ?? []) {
          const key = failure.Id === undefined ? undefined : ids.get(failure.Id);
          if (key !== undefined) failed.push(key);
        }
      } catch {
        failed.push(...batch.map((entry) => entry.key));
      }
    };
    await Promise.all(chunkBatches(entries).map(send));
    return failed;
  }

  /** Puts a message on this queue (used for dead-letter queues) with the reason as an attribute. */
  async sendWithReason(body: string, reason: string): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.url,
        MessageBody: body,
        MessageAttributes: { [REASON_ATTRIBUTE]: { DataType: 'String', StringValue: reason.slice(0, 1024) } },
      }),
    );
  }

  /** Hides a received message for `seconds` (its next retry). */
  async delay(receiptHandle: string, seconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.url,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }
}

/**
 * Merges the `sendAll` calls made in one turn of the event loop into shared batches: the router
 * routes the ten events of an SQS batch concurrently, and their jobs (ten events × two channels) go
 * out as two `SendMessageBatch` requests instead of ten. Each caller still gets back only its own keys
 * that were not queued (or the error, if the send threw).
 */
export class CoalescingSender {
  private waiting: {
    readonly entries: readonly QueueEntry[];
    resolve(failed: string[]): void;
    reject(error: unknown): void;
  }[] = [];

  constructor(private readonly queue: Pick<Queue, 'sendAll'>) {}

  sendAll(entries: readonly QueueEntry[]): Promise<string[]> {
    if (entries.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => void this.flush());
      this.waiting.push({ entries, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const calls = this.waiting;
    this.waiting = [];
    // Keys are the callers' own (a channel id may repeat across events): tag each with its call.
    const merged = calls.flatMap((call, index) =>
      call.entries.map((entry, position) => ({ key: `${index}:${position}`, body: entry.body })),
    );
    try {
      const failed = new Set(await this.queue.sendAll(merged));
      for (const [index, call] of calls.entries()) {
        call.resolve(
          call.entries.flatMap((entry, position) => (failed.has(`${index}:${position}`) ? [entry.key] : [])),
        );
      }
    } catch (error) {
      for (const call of calls) call.reject(error);
    }
  }
}

/** Splits entries into batches of at most 10 entries and about 1 MiB. */
export const chunkBatches = <T extends QueueEntry>(entries: readonly T[]): T[][] => {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.body, 'utf8');
    if (current.length === MAX_BATCH_ENTRIES || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
};

/**
 * Processes every record of an SQS batch concurrently and reports the ones that threw, so only those
 * come back (the event source mapping has `ReportBatchItemFailures`).
 */
export const processBatch = async (
  event: SQSEvent,
  handleRecord: (record: SQSRecord) => Promise<void>,
  logger: { error(message: string, attributes: Record<string, unknown>): void },
): Promise<SQSBatchResponse> => {
  const results = await Promise.allSettled(event.Records.map((record) => handleRecord(record)));
  const batchItemFailures = results.flatMap((result, index) => {
    if (result.status === 'fulfilled') return [];
    const record = event.Records[index];
    if (record === undefined) return [];
    if (!(result.reason instanceof RetryLaterError)) {
      logger.error('record failed', {
        messageId: record.messageId,
        error: result.reason instanceof Error ? result.reason.message : String(result.reason),
      });
    }
    return [{ itemIdentifier: record.messageId }];
  });
  return { batchItemFailures };
};

/** A record that must come back later (its visibility was already set): not an error to log. */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
}
