import type { AttemptRecord } from './aws/state-repository.ts';
import type { ChannelRecord, ReadSecret } from './channel.ts';
import { InvalidChannelSecretError, sendToChannel } from './channels/send.ts';
import type { AttemptResult } from './channels/webhook.ts';
import type { SafeRequestOptions } from './http/safe-request.ts';
import type { DeliveryJob } from './jobs.ts';
import type { Log } from './log.ts';
import { RetrySchedule } from './retry.ts';

export interface DeliverPorts {
  beginAttempt(
    deliveryId: string,
    refs: { eventId: string; channelId: string },
    now: Date,
  ): Promise<number | undefined>;
  recordAttempt(attempt: AttemptRecord, now: Date): Promise<void>;
  markDelivered(deliveryId: string, now: Date): Promise<boolean>;
  markDead(deliveryId: string, reason: string, now: Date): Promise<void>;
  channel(id: string): Promise<ChannelRecord | undefined>;
  /** Reads a secret's JSON value (cached). */
  readSecret: ReadSecret;
  disableChannel(id: string, reason: string, at: string): Promise<void>;
  /** Puts the job on the dead-letter queue with the reason. */
  deadLetter(job: DeliveryJob, reason: string): Promise<void>;
  logger: Log;
}

export interface DeliverSettings {
  readonly defaultSchedule: RetrySchedule;
  readonly http: SafeRequestOptions;
}

/** What happens to the job's message after this attempt. */
export type DeliverResult =
  | { readonly kind: 'done'; readonly detail: 'delivered' | 'already-delivered' | 'dead-lettered' }
  | { readonly kind: 'retry'; readonly delaySeconds: number; readonly attempt: number };

/** The schedule a channel uses: its own override, or the stack's default. */
export const scheduleFor = (channel: ChannelRecord, fallback: RetrySchedule): RetrySchedule => {
  const override = channel.retry;
  if (override === undefined) return fallback;
  return new RetrySchedule(
    override.schedule ?? fallback.delaysSeconds,
    override.maxAttempts ?? override.schedule?.length ?? fallback.maxAttempts,
  );
};

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
  const attempt = await ports.beginAttempt(deliveryId, { eventId: event.id, channelId }, now());
  if (attempt === undefined) return { kind: 'done', detail: 'already-delivered' };

  const deadLetter = async (reason: string): Promise<DeliverResult> => {
    await ports.deadLetter(job, reason);
    await ports.markDead(deliveryId, reason, now());
    ports.logger.warn('delivery dead-lettered', {
      deliveryId,
      channelId,
      eventId: event.id,
      attempt,
      reason,
    });
    return { kind: 'done', detail: 'dead-lettered' };
  };

  const channel = await ports.channel(channelId);
  if (channel === undefined) return deadLetter(`channel ${channelId} does not exist`);
  if (!channel.enabled) return deadLetter(`channel ${channelId} is disabled`);

  const sentAt = now();
  let result: AttemptResult;
  try {
    result = await sendToChannel(
      channel,
      event,
      { deliveryId, attempt, channelId, policyIds: job.policyIds },
      { readSecret: ports.readSecret, http: settings.http, now: sentAt },
    );
  } catch (error) {
    if (error instanceof InvalidChannelSecretError) return deadLetter(error.message);
    throw error;
  }
  await ports.recordAttempt(toAttemptRecord(deliveryId, attempt, sentAt, result), now());

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
      await ports.disableChannel(channelId, outcome.error, now().toISOString());
      return deadLetter(`${outcome.error}; channel ${channelId} disabled`);
    case 'failed':
      return deadLetter(outcome.error);
    case 'retry': {
      const schedule = scheduleFor(channel, settings.defaultSchedule);
      if (!schedule.hasNext(attempt))
        return deadLetter(`gave up after ${attempt} attempts: ${outcome.error}`);
      return {
        kind: 'retry',
        attempt,
        delaySeconds: schedule.nextDelaySeconds(attempt, outcome.retryAfterSeconds),
      };
    }
  }
};

const toAttemptRecord = (
  deliveryId: string,
  attempt: number,
  at: Date,
  result: AttemptResult,
): AttemptRecord => ({
  deliveryId,
  attempt,
  at: at.toISOString(),
  outcome: result.outcome.kind,
  latencyMs: result.latencyMs,
  ...(result.outcome.status === undefined ? {} : { httpStatus: result.outcome.status }),
  ...('error' in result.outcome ? { error: result.outcome.error } : {}),
});
