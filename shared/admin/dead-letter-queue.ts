import type { Message } from '@aws-sdk/client-sqs';
import { type HeldMessages, jsonBody, reasonOf, sentAtOf } from '../aws/held-messages.ts';
import type { Queue } from '../aws/queue.ts';
import type { DeliveryRef } from '../aws/state-repository.ts';
import { DeliveryJob, IngestMessage } from '../domain/jobs.ts';
import { EventBridgeEvent } from '../ingest/eventbridge.ts';

export interface DeadLetterQueueDeps {
  readonly deadLetters: HeldMessages;
  readonly deliveryQueue: Queue;
  /** Resets an undelivered delivery for another round; false when it was delivered meanwhile. */
  resetForRedrive(delivery: DeliveryRef, now: Date, anyUndelivered: true): Promise<boolean>;
}

interface Held {
  readonly message: Message;
  readonly job: DeliveryJob | undefined;
}

/** The reason shown for a message Herald did not dead-letter itself. */
const MOVED_BY_THE_QUEUE = 'moved by the queue redrive policy';

/**
 * The delivery dead-letter queue, the backstop for jobs that died without a record (not a job at all,
 * or moved by the queue's own redrive after crashing their function again and again): look at it, and
 * send what it holds back through delivery. Bounded per call; Herald's own dead letters are records.
 */
export class DeadLetterQueueAdmin {
  constructor(private readonly deps: DeadLetterQueueDeps) {}

  /** About how many messages the queue holds. */
  approximateCount(): Promise<number> {
    return this.deps.deadLetters.approximateCount();
  }

  /** Messages with their reasons (received and released again at once). */
  async list(limit: number, channel?: string) {
    const received = await this.receive(limit);
    await this.deps.deadLetters.release(received.map(({ message }) => message));
    const held = received.filter(({ job }) => channel === undefined || job?.channelId === channel);
    return {
      items: held.slice(0, limit).map(({ message, job }) => ({
        deliveryId: job?.deliveryId ?? null,
        eventId: job?.event.id ?? null,
        channelId: job?.channelId ?? null,
        eventType: job?.event.type ?? null,
        reason: reasonOf(message) ?? MOVED_BY_THE_QUEUE,
        ...(sentAtOf(message) === undefined ? {} : { deadLetteredAt: sentAtOf(message) }),
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
    const keep: Message[] = [];
    for (const { message, job } of held) {
      if (job === undefined || (channel !== undefined && job.channelId !== channel)) {
        keep.push(message);
        continue;
      }
      const ref = { deliveryId: job.deliveryId, channelId: job.channelId, eventType: job.event.type };
      if (await this.deps.resetForRedrive(ref, now, true)) {
        const failed = await this.deps.deliveryQueue.sendAll([
          { key: job.deliveryId, body: JSON.stringify(job) },
        ]);
        if (failed.length > 0) {
          keep.push(message);
          continue;
        }
        redriven += 1;
      } else {
        skipped += 1;
      }
      await this.deps.deadLetters.remove(message);
    }
    await this.deps.deadLetters.release(keep);
    return { redriven, skipped };
  }

  private async receive(limit: number): Promise<Held[]> {
    return (await this.deps.deadLetters.hold(limit)).map((message) => {
      const parsed = DeliveryJob.safeParse(jsonBody(message));
      return { message, job: parsed.success ? parsed.data : undefined };
    });
  }
}

export interface IngestDeadLetterDeps {
  readonly deadLetters: HeldMessages;
  readonly ingestQueue: Queue;
}

/**
 * The ingest dead-letter queue: events that could not be routed. Herald puts there, with the reason,
 * what it refused (not JSON, not an event, an EventBridge event whose detail is not a valid Herald
 * event); the queue's redrive policy moves there, without one, what the router kept failing on (it
 * crashed, or DynamoDB or SQS kept failing); EventBridge puts there what it could not put on the ingest
 * queue (with its error code). Redriving sends the last two kinds back to be routed (an event already
 * routed is routed to the same deliveries and never delivered twice); the first would be refused
 * again, and stays, counted as skipped, until the queue's retention drops it.
 */
export class IngestDeadLetterAdmin {
  constructor(private readonly deps: IngestDeadLetterDeps) {}

  approximateCount(): Promise<number> {
    return this.deps.deadLetters.approximateCount();
  }

  /** Messages with what they say about their event, and their reasons (held and released at once). */
  async list(limit: number) {
    const held = await this.deps.deadLetters.hold(limit);
    await this.deps.deadLetters.release(held);
    return {
      items: held.slice(0, limit).map((message) => ({
        messageId: message.MessageId ?? null,
        ...describeIngested(jsonBody(message)),
        reason: reasonOf(message) ?? undeliveredByEventBridge(message) ?? MOVED_BY_THE_QUEUE,
        ...(sentAtOf(message) === undefined ? {} : { deadLetteredAt: sentAtOf(message) }),
      })),
    };
  }

  /** Sends what the router failed on back to the ingest queue; what it refused stays (`skipped`). */
  async redrive() {
    const held = await this.deps.deadLetters.hold(Number.POSITIVE_INFINITY);
    let redriven = 0;
    let skipped = 0;
    const keep: Message[] = [];
    for (const message of held) {
      if (reasonOf(message) !== undefined || message.MessageId === undefined) {
        skipped += 1;
        keep.push(message);
        continue;
      }
      const failed = await this.deps.ingestQueue.sendAll([
        { key: message.MessageId, body: message.Body ?? '' },
      ]);
      if (failed.length > 0) {
        keep.push(message);
        continue;
      }
      redriven += 1;
      await this.deps.deadLetters.remove(message);
    }
    await this.deps.deadLetters.release(keep);
    return { redriven, skipped };
  }
}

/**
 * Why EventBridge put an event here instead of on the ingest queue (the rule target's dead-letter
 * queue is this one), when it did: its `ERROR_CODE` and `ERROR_MESSAGE` attributes.
 */
const undeliveredByEventBridge = (message: Message): string | undefined => {
  const attributes = message.MessageAttributes ?? {};
  const code = attributes.ERROR_CODE?.StringValue;
  if (code === undefined) return undefined;
  const detail = attributes.ERROR_MESSAGE?.StringValue;
  return `EventBridge could not put it on the ingest queue: ${code}${detail === undefined ? '' : `: ${detail}`}`;
};

/** The event id, type and source an ingest message carries, as far as it says (null where not). */
const describeIngested = (
  body: unknown,
): { eventId: string | null; eventType: string | null; source: string | null } => {
  const fromIngest = IngestMessage.safeParse(body);
  if (fromIngest.success) {
    const { event } = fromIngest.data;
    return { eventId: event.id, eventType: event.type, source: event.source };
  }
  const bridged = EventBridgeEvent.safeParse(body);
  if (bridged.success) {
    return { eventId: bridged.data.id, eventType: bridged.data['detail-type'], source: bridged.data.source };
  }
  return { eventId: null, eventType: null, source: null };
};
