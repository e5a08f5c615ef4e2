import type { AttemptRecord, AttemptStart } from '../aws/state-repository.ts';
import type { ChannelRecord, ReadSecret } from '../channels/record.ts';
import { InvalidChannelConfigError, sendToChannel } from '../channels/send.ts';
import type { AttemptResult, DeliveryContext, Transports } from '../channels/types.ts';
import type { HeraldEvent } from '../domain/event.ts';
import type { DeliveryJob } from '../domain/jobs.ts';
import { channelDisabled, deliveryExhausted, isOperational } from '../domain/operational.ts';
import { RetrySchedule } from '../domain/retry.ts';
import type { Log } from '../runtime/log.ts';

/** What making and recording one attempt needs: deliver and test-send both provide it. */
export interface AttemptPorts {
  recordAttempt(attempt: AttemptRecord, now: Date): Promise<void>;
  /** Reads a secret's JSON value (cached in the deliver function). */
  readSecret: ReadSecret;
  transports: Transports;
}

/**
 * Makes one attempt of an event to a channel and records it, whatever it came to: a channel whose
 * config cannot make a message is a failed attempt with the reason; a secret that cannot be read, one
 * that is retried.
 */
export const attemptDelivery = async (
  channel: ChannelRecord,
  event: HeraldEvent,
  context: DeliveryContext,
  seq: number,
  ports: AttemptPorts,
  now: () => Date,
): Promise<AttemptResult> => {
  const sentAt = now();
  let result: AttemptResult;
  try {
    result = await sendToChannel(channel, event, context, {
      readSecret: ports.readSecret,
      transports: ports.transports,
      now: sentAt,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result =
      error instanceof InvalidChannelConfigError
        ? { outcome: { kind: 'failed', error: message }, latencyMs: 0 }
        : { outcome: { kind: 'retry', error: `could not prepare the delivery: ${message}` }, latencyMs: 0 };
  }
  await ports.recordAttempt(toAttemptRecord(context.deliveryId, context.attempt, seq, sentAt, result), now());
  return result;
};

export interface DeliverPorts extends AttemptPorts {
  beginAttempt(
    deliveryId: string,
    refs: { eventId: string; channelId: string; eventType: string },
    now: Date,
  ): Promise<AttemptStart>;
  /** Gives up the delivery's lease after an attempt that will be retried; the next is due at `notBefore`. */
  scheduleNext(deliveryId: string, notBefore: Date): Promise<void>;
  markDelivered(deliveryId: string, now: Date): Promise<boolean>;
  /** Marks the delivery dead with the reason, keeping the job so that a redrive can send it again. */
  markDead(job: DeliveryJob, reason: string, now: Date): Promise<void>;
  channel(id: string): Promise<ChannelRecord | undefined>;
  disableChannel(id: string, reason: string, at: string): Promise<void>;
  /** Sends one of Herald's operational events through its own pipeline (the ingest queue). */
  emit(event: HeraldEvent): Promise<void>;
  logger: Log;
}

export interface DeliverSettings {
  readonly defaultSchedule: RetrySchedule;
}

/** What happens to the job's message after this attempt. */
export type DeliverResult =
  | {
      readonly kind: 'done';
      readonly detail: 'delivered' | 'already-delivered' | 'already-dead' | 'dead-lettered';
    }
  | { readonly kind: 'retry'; readonly delaySeconds: number; readonly attempt: number }
  /** Another copy of the job holds the delivery: look again after the delay, counting no attempt. */
  | { readonly kind: 'wait'; readonly delaySeconds: number };

/** The schedule a channel uses: its own override, or the stack's default. */
export const scheduleFor = (channel: ChannelRecord, fallback: RetrySchedule): RetrySchedule =>
  RetrySchedule.from(channel.retry, fallback);

/**
 * Makes one delivery attempt of one job (SPEC §5) and decides what follows: done (delivered, or in the
 * dead-letter queue with its reason) or retried after the schedule's next delay.
 */
export const deliverJob = async (
  job: DeliveryJob,
  ports: DeliverPorts,
  settings: DeliverSettings,
  now: () => Date = () => new Date(),
): Promise<DeliverResult> => {
  const { deliveryId, channelId, event } = job;
  const start = await ports.beginAttempt(
    deliveryId,
    { eventId: event.id, channelId, eventType: event.type },
    now(),
  );
  if (start.kind === 'delivered') return { kind: 'done', detail: 'already-delivered' };
  // A copy of a job whose delivery was dead-lettered: the chain ended; only a redrive starts another.
  if (start.kind === 'dead') return { kind: 'done', detail: 'already-dead' };
  if (start.kind === 'busy') return { kind: 'wait', delaySeconds: start.retryInSeconds };
  const { attempt, seq } = start;

  /** Best effort, after the fact: an operational event that cannot be sent is logged, not retried. */
  const emit = async (operational: HeraldEvent): Promise<void> => {
    // A failed delivery of an operational event raises none: they never loop.
    if (isOperational(event)) return;
    await ports.emit(operational).catch((error: unknown) => {
      ports.logger.warn('could not send an operational event', {
        type: operational.type,
        channelId,
        error: error instanceof Error ? error.message : String(error),
      });
    });
  };

  // Dead letters are the delivery records marked dead (listed and redriven from their index); if
  // marking fails, the job comes back and tries again, never lost.
  const deadLetter = async (reason: string): Promise<DeliverResult> => {
    await ports.markDead(job, reason, now());
    await emit(deliveryExhausted(job, reason, now()));
    ports.logger.warn('delivery dead-lettered', {
      deliveryId,
      channelId,
      eventId: event.id,
      attempt,
      reason,
    });
    return { kind: 'done', detail: 'dead-lettered' };
  };

  const loaded = await ports.channel(channelId).then(
    (channel) => ({ channel }),
    (error: unknown) => ({ readError: error instanceof Error ? error.message : String(error) }),
  );
  const channel = 'channel' in loaded ? loaded.channel : undefined;
  let result: AttemptResult;
  if ('readError' in loaded) {
    // Reading the channel failed: an attempt like any other, retried on schedule and dead-lettered
    // with this reason when the schedule is spent.
    result = {
      outcome: { kind: 'retry', error: `could not prepare the delivery: ${loaded.readError}` },
      latencyMs: 0,
    };
    await ports.recordAttempt(toAttemptRecord(deliveryId, seq, seq, now(), result), now());
  } else if (channel === undefined) {
    return deadLetter(`channel ${channelId} does not exist`);
  } else if (!channel.enabled) {
    return deadLetter(`channel ${channelId} is disabled`);
  } else {
    result = await attemptDelivery(
      channel,
      event,
      // Receivers and the attempt log number attempts over the delivery's whole history, redrives included.
      { deliveryId, attempt: seq, channelId, policyIds: job.policyIds },
      seq,
      ports,
      now,
    );
  }

  const { outcome } = result;
  ports.logger.info('delivery attempt', {
    deliveryId,
    channelId,
    eventId: event.id,
    attempt,
    outcome: outcome.kind,
    httpStatus: outcome.status,
    latencyMs: result.latencyMs,
  });
  switch (outcome.kind) {
    case 'delivered':
      await ports.markDelivered(deliveryId, now());
      return { kind: 'done', detail: 'delivered' };
    case 'gone':
      await ports.disableChannel(channelId, outcome.error, now().toISOString()).then(
        () => emit(channelDisabled(channelId, outcome.error, now())),
        (error: unknown) => {
          ports.logger.warn('could not disable the channel', {
            channelId,
            error: error instanceof Error ? error.message : String(error),
          });
        },
      );
      return deadLetter(`${outcome.error}; channel ${channelId} disabled`);
    case 'failed':
      return deadLetter(outcome.error);
    case 'retry': {
      const schedule =
        channel === undefined ? settings.defaultSchedule : scheduleFor(channel, settings.defaultSchedule);
      if (!schedule.hasNext(attempt))
        return deadLetter(`gave up after ${attempt} attempts: ${outcome.error}`);
      const delaySeconds = schedule.nextDelaySeconds(attempt, outcome.retryAfterSeconds);
      await ports.scheduleNext(deliveryId, new Date(now().getTime() + delaySeconds * 1000));
      return { kind: 'retry', attempt, delaySeconds };
    }
  }
};

const toAttemptRecord = (
  deliveryId: string,
  attempt: number,
  seq: number,
  at: Date,
  result: AttemptResult,
): AttemptRecord => ({
  deliveryId,
  attempt,
  seq,
  at: at.toISOString(),
  outcome: result.outcome.kind,
  latencyMs: result.latencyMs,
  ...(result.outcome.status === undefined ? {} : { httpStatus: result.outcome.status }),
  ...('error' in result.outcome ? { error: result.outcome.error } : {}),
});
