import type { AttemptRecord, AttemptStart } from '../aws/state-repository.ts';
import { type ChannelRecord, type ReadSecret, readChannelSecrets } from '../channels/record.ts';
import { InvalidChannelConfigError, type Sendable, sendToChannel } from '../channels/send.ts';
import type { AttemptResult, DeliveryContext, Transports } from '../channels/types.ts';
import { buildDigest, type DigestEntry } from '../domain/digest.ts';
import type { HeraldEvent } from '../domain/event.ts';
import type { DeliveryJob } from '../domain/jobs.ts';
import { channelDisabled, deliveryExhausted, isOperational } from '../domain/operational.ts';
import { type RateSpacing, rateSpacing } from '../domain/rate-limit.ts';
import { RetrySchedule } from '../domain/retry.ts';
import type { Faults } from '../runtime/faults.ts';
import type { Log } from '../runtime/log.ts';
import { METRIC, type MetricsPort, UNKNOWN_CHANNEL_TYPE } from '../runtime/metrics.ts';

/** What making and recording one attempt needs: deliver and test-send both provide it. */
export interface AttemptPorts {
  recordAttempt(attempt: AttemptRecord, now: Date): Promise<void>;
  /** Reads a secret's JSON value (cached in the deliver function). */
  readSecret: ReadSecret;
  transports: Transports;
}

/**
 * Makes one attempt of an event to a channel, whatever it comes to: a channel whose config cannot make
 * a message is a failed attempt with the reason; a secret that cannot be read, one that is retried.
 * An attempt that did not deliver is recorded at once; a delivered one is returned for the caller to
 * keep with the delivery's final write (`markDelivered`), one write fewer for every delivery.
 */
export const attemptDelivery = async (
  channel: ChannelRecord,
  what: Sendable,
  context: DeliveryContext,
  seq: number,
  ports: AttemptPorts,
  now: () => Date,
): Promise<{ result: AttemptResult; record: AttemptRecord }> => {
  const sentAt = now();
  let result: AttemptResult;
  try {
    result = await sendToChannel(channel, what, context, {
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
  const record = toAttemptRecord(context.deliveryId, context.attempt, seq, sentAt, result);
  if (result.outcome.kind !== 'delivered') await ports.recordAttempt(record, now());
  return { result, record };
};

/** A channel's shared send schedule (`rateLimit`), and a delivery's kept slot in it. */
export interface RateSlots {
  /** Takes the channel's next slot (epoch ms), `intervalMs` after the last one taken. */
  take(channelId: string, intervalMs: number, now: Date): Promise<number>;
  /** The slot this delivery kept while its job was hidden until then. */
  kept(deliveryId: string): Promise<number | undefined>;
  keep(deliveryId: string, slot: number): Promise<void>;
}

/** The longest a deliver function waits for a send slot in-process; a later slot hides the job until then. */
export const MAX_SLOT_SLEEP_MS = 3_000;

export interface DeliverPorts extends AttemptPorts {
  readonly rateSlots: RateSlots;
  sleep(ms: number): Promise<void>;
  /**
   * Undoes a begun attempt that did not send (its send slot turned out far): uncounted, the lease
   * released, `slot` kept for when the job comes back.
   */
  giveBackAttempt(deliveryId: string, slot: number): Promise<void>;
  beginAttempt(
    deliveryId: string,
    refs: { eventId: string; channelId: string; eventType: string },
    now: Date,
  ): Promise<AttemptStart>;
  /** Gives up the delivery's lease after an attempt that will be retried; the next is due at `notBefore`. */
  scheduleNext(deliveryId: string, notBefore: Date): Promise<void>;
  /** Marks the delivery delivered, keeping the attempt that delivered it in the same write. */
  markDelivered(deliveryId: string, now: Date, attempt: AttemptRecord): Promise<boolean>;
  /** Test-only crash points (off in production). */
  readonly faults?: Faults;
  /** Marks the delivery dead with the reason, keeping the job so that a redrive can send it again. */
  markDead(job: DeliveryJob, reason: string, now: Date): Promise<void>;
  channel(id: string): Promise<ChannelRecord | undefined>;
  /** Disables an enabled channel; false when it already was disabled (or is gone). */
  disableChannel(id: string, reason: string, at: string): Promise<boolean>;
  /**
   * How many of the channel's deliveries died since its last success (and within `withinSeconds`),
   * counting up to `limit`.
   */
  deadInARow(channelId: string, withinSeconds: number, limit: number, now: Date): Promise<number>;
  /**
   * Closes a digest (no notification goes in after this) and reads every notification in it. Only for
   * digest jobs.
   */
  closeAndReadDigest(digestId: string, now: Date): Promise<DigestEntry[]>;
  /** Sends one of Herald's operational events through its own pipeline (the ingest queue). */
  emit(event: HeraldEvent): Promise<void>;
  /** The delivery's logger (its lines carry the delivery id as correlation id). */
  logger: Log;
  /**
   * Counts what each attempt came to (succeeded, retried, failed) and each dead letter, and records
   * the attempt's latency, by channel type.
   */
  readonly metrics: MetricsPort;
}

export interface DeliverSettings {
  readonly defaultSchedule: RetrySchedule;
  /**
   * Disable a channel whose last `deadLetters` deliveries all died within `withinSeconds` with no
   * success between (like Svix's endpoint auto-disable). Absent: never.
   */
  readonly autoDisable?: { readonly deadLetters: number; readonly withinSeconds: number };
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
  const loaded = await ports.channel(channelId).then(
    (channel) => ({ channel }),
    (error: unknown) => ({ readError: error instanceof Error ? error.message : String(error) }),
  );
  const channel = 'channel' in loaded ? loaded.channel : undefined;
  const channelType = channel?.type ?? UNKNOWN_CHANNEL_TYPE;
  // Under a rateLimit, a slot is found first: a far one hides the job until shortly before it, counting
  // no attempt; a near one is waited for after the attempt has begun, right before sending.
  const spacing =
    channel?.enabled && channel.rateLimit !== undefined ? rateSpacing(channel.rateLimit) : undefined;
  let slot: number | undefined;
  if (spacing !== undefined) {
    const found = await findSlot(spacing, job, ports, now, await ports.rateSlots.kept(deliveryId));
    if (found.hideSeconds !== undefined) {
      await ports.rateSlots.keep(deliveryId, found.slot);
      return { kind: 'wait', delaySeconds: found.hideSeconds };
    }
    slot = found.slot;
  }

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
  // A digest is closed before anything else (whatever this attempt comes to, it leaves the collecting
  // index, so the flush queues it no more), and what it holds then is all it will ever hold.
  const digestEntries =
    job.digest === undefined ? undefined : await ports.closeAndReadDigest(deliveryId, now());
  /** Herald's own events raise no operational event and count for no auto-disable; a digest is not one. */
  const ownEvent = isOperational(event) && job.digest === undefined;

  /** Best effort, after the fact: an operational event that cannot be sent is logged, not retried. */
  const emit = async (operational: HeraldEvent): Promise<void> => {
    // A failed delivery of an operational event raises none: they never loop.
    if (ownEvent) return;
    await ports.emit(operational).catch((error: unknown) => {
      ports.logger.warn('could not send an operational event', {
        type: operational.type,
        channelId,
        error: error instanceof Error ? error.message : String(error),
      });
    });
  };

  /** Disables the channel and says so (once, however many deliveries find it failing at once). */
  const disable = async (reason: string): Promise<void> => {
    await ports.disableChannel(channelId, reason, now().toISOString()).then(
      (changed) => (changed ? emit(channelDisabled(channelId, reason, now())) : undefined),
      (error: unknown) => {
        ports.logger.warn('could not disable the channel', {
          channelId,
          error: error instanceof Error ? error.message : String(error),
        });
      },
    );
  };

  // Dead letters are the delivery records marked dead (listed and redriven from their index); if
  // marking fails, the job comes back and tries again, never lost.
  const deadLetter = async (reason: string, checkHealth = true): Promise<DeliverResult> => {
    await ports.markDead(job, reason, now());
    ports.metrics.count(METRIC.deliveryDeadLettered, { channelType });
    await emit(deliveryExhausted(job, reason, now()));
    const { autoDisable } = settings;
    if (checkHealth && autoDisable !== undefined && channel?.enabled && !ownEvent) {
      const dead = await ports
        .deadInARow(channelId, autoDisable.withinSeconds, autoDisable.deadLetters, now())
        .catch(() => 0);
      if (dead >= autoDisable.deadLetters) {
        await disable(
          `the last ${autoDisable.deadLetters} deliveries were dead-lettered within ${formatSeconds(autoDisable.withinSeconds)} with no success between`,
        );
      }
    }
    ports.logger.warn('delivery dead-lettered', {
      deliveryId,
      channelId,
      eventId: event.id,
      attempt,
      reason,
    });
    return { kind: 'done', detail: 'dead-lettered' };
  };

  let result: AttemptResult;
  let delivered: AttemptRecord | undefined;
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
    if (spacing !== undefined && slot !== undefined) {
      // Secrets are read (and cached) before the wait, so the send leaves as soon as its slot comes.
      await readChannelSecrets(channel, ports.readSecret).catch(() => undefined);
      const hideSeconds = await waitForSlot(spacing, slot, job, ports, now);
      if (hideSeconds !== undefined) return { kind: 'wait', delaySeconds: hideSeconds };
    }
    let what: Sendable = { event };
    if (job.digest !== undefined) {
      const entries = digestEntries ?? [];
      if (entries.length === 0) return deadLetter('the digest lists no notifications (they expired)', false);
      what = {
        digest: buildDigest(
          {
            digestId: deliveryId,
            channelId,
            periodStart: job.digest.start,
            periodEnd: job.digest.end,
            timezone: job.digest.timezone,
          },
          entries,
        ),
      };
    }
    ({ result, record: delivered } = await attemptDelivery(
      channel,
      what,
      // Receivers and the attempt log number attempts over the delivery's whole history, redrives included.
      { deliveryId, attempt: seq, channelId, policyIds: job.policyIds },
      seq,
      ports,
      now,
    ));
    ports.metrics.latency(result.latencyMs, channel.type);
  }

  const { outcome } = result;
  // A delivered attempt is routine (counted in the metrics, recorded in the state table): its line is
  // DEBUG, so a million deliveries do not write a million log lines; any other outcome is INFO.
  const line = {
    deliveryId,
    channelId,
    eventId: event.id,
    attempt,
    outcome: outcome.kind,
    httpStatus: outcome.status,
    latencyMs: result.latencyMs,
  };
  if (outcome.kind === 'delivered') ports.logger.debug('delivery attempt', line);
  else ports.logger.info('delivery attempt', line);
  switch (outcome.kind) {
    case 'delivered':
      // Only the delivery's first attempt of its first routing: a job routed again (its router batch
      // crashed: `again`) is a new message, received once more for the first time, and must not crash
      // after its send again.
      if (seq === 1 && job.again !== true && ports.faults?.armed('deliver-after-send', event)) {
        ports.faults.crash();
      }
      // False: another copy of the job recorded it first (both sent it, with the same webhook-id).
      if (delivered !== undefined && !(await ports.markDelivered(deliveryId, now(), delivered))) {
        return { kind: 'done', detail: 'already-delivered' };
      }
      ports.metrics.count(METRIC.deliverySucceeded, { channelType });
      return { kind: 'done', detail: 'delivered' };
    case 'gone':
      ports.metrics.count(METRIC.deliveryFailed, { channelType });
      await disable(outcome.error);
      return deadLetter(`${outcome.error}; channel ${channelId} disabled`, false);
    case 'failed':
      ports.metrics.count(METRIC.deliveryFailed, { channelType });
      return deadLetter(outcome.error);
    case 'retry': {
      const schedule =
        channel === undefined ? settings.defaultSchedule : scheduleFor(channel, settings.defaultSchedule);
      if (!schedule.hasNext(attempt)) {
        ports.metrics.count(METRIC.deliveryFailed, { channelType });
        return deadLetter(`gave up after ${attempt} attempts: ${outcome.error}`);
      }
      const delaySeconds = schedule.nextDelaySeconds(attempt, outcome.retryAfterSeconds);
      await ports.scheduleNext(deliveryId, new Date(now().getTime() + delaySeconds * 1000));
      ports.metrics.count(METRIC.deliveryRetried, { channelType });
      return { kind: 'retry', attempt, delaySeconds };
    }
  }
};

/**
 * The delivery's send slot under the channel's `rateLimit` (see `rateSpacing`): the one it kept, unless
 * that passed by more than the tolerance (sending late could crowd the next ones), else a new one. A
 * slot further than `MAX_SLOT_SLEEP_MS` comes with how long to hide the job: it comes back a little
 * early and waits the rest in-process.
 */
const findSlot = async (
  spacing: RateSpacing,
  job: DeliveryJob,
  ports: DeliverPorts,
  now: () => Date,
  current: number | undefined,
): Promise<{ slot: number; hideSeconds?: number }> => {
  const slot =
    current === undefined || now().getTime() > current + spacing.toleranceMs
      ? await ports.rateSlots.take(job.channelId, spacing.intervalMs, now())
      : current;
  const waitMs = slot - now().getTime();
  return waitMs > MAX_SLOT_SLEEP_MS
    ? { slot, hideSeconds: Math.max(1, Math.floor((waitMs - MAX_SLOT_SLEEP_MS + 1000) / 1000)) }
    : { slot };
};

/**
 * Waits, with the attempt begun, until its slot, and checks it is still on time. One that came late
 * takes another slot; if that one is far, the attempt is given back (uncounted, the slot kept) and the
 * job hidden: returns for how long. Undefined when it may send now.
 */
const waitForSlot = async (
  spacing: RateSpacing,
  first: number,
  job: DeliveryJob,
  ports: DeliverPorts,
  now: () => Date,
): Promise<number | undefined> => {
  let slot = first;
  for (let round = 0; round < 5; round += 1) {
    const waitMs = slot - now().getTime();
    if (waitMs > 0) await ports.sleep(waitMs);
    if (now().getTime() <= slot + spacing.toleranceMs) return undefined;
    const found = await findSlot(spacing, job, ports, now, slot);
    if (found.hideSeconds !== undefined) {
      await ports.giveBackAttempt(job.deliveryId, found.slot);
      return found.hideSeconds;
    }
    slot = found.slot;
  }
  throw new Error(`no send slot of channel ${job.channelId} could be kept`);
};

/** `86400` → `24h`, `90` → `90s`. */
const formatSeconds = (seconds: number): string =>
  seconds % 3600 === 0 ? `${seconds / 3600}h` : seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;

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
  ...(result.messageId === undefined ? {} : { messageId: result.messageId }),
});
