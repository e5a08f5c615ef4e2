import * as z from 'zod';
import type { EnvName } from '../runtime/env-names.ts';
import { lazySchema } from '../runtime/lazy-schema.ts';
import { DurationSeconds, parseDurationSeconds } from './duration.ts';
import { ConfigurationError } from './errors.ts';

const HOUR_SECONDS = 60 * 60;
const DAY_SECONDS = 24 * HOUR_SECONDS;

/** SPEC §5: immediately, 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h. */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = [0, 10, 60, 300, 1800, 7200, 21600, 43200];
/** Delays are spread by ±20 % so that a burst of failures does not retry in lockstep. */
export const JITTER_RATIO = 0.2;
/**
 * The longest SQS can hide a message for at once: 12 hours counted from when it was received, less
 * 5 minutes for the attempt itself (11 h 55 min). A longer delay is not shortened: see
 * {@link visibilitySeconds}.
 */
export const MAX_VISIBILITY_SECONDS = 12 * HOUR_SECONDS - 5 * 60;
/** Upper bound for a channel's `retry.maxAttempts` (the delivery queue's redrive threshold is above it). */
export const MAX_ATTEMPTS_LIMIT = 20;
/**
 * The delivery queue's redrive threshold. Every attempt is a receive, and so are waits (another copy's
 * lease, the next attempt's time, a rate-limit slot, a re-hide past 12 h) and crashes: it sits far above
 * the most a chain needs. The deliver function marks a job dead itself one receive before it, so SQS's
 * own redrive only catches a job that crashes its function every time.
 */
export const DELIVERY_MAX_RECEIVES = MAX_ATTEMPTS_LIMIT * 5;
/** How long the delivery queue keeps a job (SQS's longest retention). */
export const DELIVERY_QUEUE_RETENTION_SECONDS = 14 * DAY_SECONDS;
/**
 * The longest a whole retry schedule may take, every delay at its jitter upper bound: the delivery
 * queue's retention less a day of margin (13 days), so that the last attempt happens before SQS drops
 * the job.
 */
export const MAX_SCHEDULE_SECONDS = DELIVERY_QUEUE_RETENTION_SECONDS - DAY_SECONDS;
/** The longest single retry step a channel may ask for (7 days). */
export const MAX_RETRY_STEP_SECONDS = 7 * DAY_SECONDS;
/** The backoff factor when a channel's `retry.backoff` gives none. */
export const DEFAULT_BACKOFF_FACTOR = 2;

/** Exponential backoff: the delay before attempt `n + 1` is `min(initial × factor^(n-1), max)`. */
export interface Backoff {
  readonly initial: number;
  readonly factor: number;
  readonly max: number;
}

/** `1d 2h 30m`, `45s`: a number of seconds the way durations are written in channel settings. */
const formatDuration = (seconds: number): string => {
  let rest = Math.round(seconds);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', DAY_SECONDS],
    ['h', HOUR_SECONDS],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.length === 0 ? '0s' : parts.join(' ');
};

/**
 * When each attempt of a delivery happens: entry `n` is the delay before attempt `n + 1`, so the first
 * entry is the delay of the first attempt (normally 0; the deliver function never waits it) and the
 * schedule's length is the number of attempts unless `maxAttempts` says otherwise (the last delay then
 * repeats).
 */
export class RetrySchedule {
  readonly maxAttempts: number;

  constructor(
    readonly delaysSeconds: readonly number[] = DEFAULT_RETRY_SCHEDULE_SECONDS,
    maxAttempts?: number,
  ) {
    if (delaysSeconds.length === 0) throw new RangeError('a retry schedule needs at least one step');
    this.maxAttempts = Math.min(maxAttempts ?? delaysSeconds.length, MAX_ATTEMPTS_LIMIT);
  }

  /** Parses `"0,10s,1m"` (as the stack sets the deliver function's `RETRY_SCHEDULE`). */
  static parse(text: string): RetrySchedule {
    const delays = text.split(',').map((step) => {
      const seconds = parseDurationSeconds(/^\d+(\.\d+)?$/.test(step.trim()) ? Number(step) : step);
      if (seconds === undefined) throw new RangeError(`invalid retry step "${step}"`);
      return seconds;
    });
    return new RetrySchedule(delays);
  }

  /**
   * Exponential backoff over `maxAttempts` attempts: the first at once, then `initial`,
   * `initial × factor`, `initial × factor²` … each capped at `max`.
   */
  static backoff({ initial, factor, max }: Backoff, maxAttempts: number): RetrySchedule {
    const attempts = Math.max(1, Math.min(maxAttempts, MAX_ATTEMPTS_LIMIT));
    const delays = Array.from({ length: attempts }, (_, n) =>
      n === 0 ? 0 : Math.min(initial * factor ** (n - 1), max),
    );
    return new RetrySchedule(delays, attempts);
  }

  /**
   * A channel's schedule: its own `schedule` or `backoff` when it gives one, otherwise `fallback`'s
   * delays; its `maxAttempts` when it gives one (the last delay repeats), otherwise the schedule's
   * length (or `fallback`'s count).
   */
  static from(override: RetryOverride | undefined, fallback: RetrySchedule): RetrySchedule {
    if (override === undefined) return fallback;
    if (override.backoff !== undefined) {
      return RetrySchedule.backoff(override.backoff, override.maxAttempts ?? fallback.maxAttempts);
    }
    if (override.schedule !== undefined) return new RetrySchedule(override.schedule, override.maxAttempts);
    if (override.maxAttempts !== undefined)
      return new RetrySchedule(fallback.delaysSeconds, override.maxAttempts);
    return fallback;
  }

  /** Whether another attempt follows attempt number `attempt` (1-based). */
  hasNext(attempt: number): boolean {
    return attempt < this.maxAttempts;
  }

  /** Seconds the schedule waits after attempt `attempt` (1-based) failed, before jitter. */
  baseDelaySeconds(attempt: number): number {
    return this.delaysSeconds[Math.min(attempt, this.delaysSeconds.length - 1)] ?? 0;
  }

  /**
   * Seconds to wait after attempt `attempt` (1-based) failed: the schedule's step with jitter, and at
   * least the receiver's `Retry-After`. Not capped at what SQS can hide a message for at once: the
   * deliver function hides the job for {@link visibilitySeconds} and hides it again until the time comes.
   */
  nextDelaySeconds(attempt: number, retryAfterSeconds = 0, random: () => number = Math.random): number {
    const jittered = this.baseDelaySeconds(attempt) * (1 + JITTER_RATIO * (2 * random() - 1));
    return Math.round(Math.max(jittered, retryAfterSeconds));
  }
}

/**
 * How long to hide a job that should wait `delaySeconds`: at most {@link MAX_VISIBILITY_SECONDS}. The
 * deliver function hides the job for at most this long and re-hides it when it comes back early (the
 * delivery's `notBefore` holds the real time), so a step longer than 12 h still happens when asked.
 */
export const visibilitySeconds = (delaySeconds: number): number =>
  Math.min(Math.max(0, Math.ceil(delaySeconds)), MAX_VISIBILITY_SECONDS);

/**
 * Seconds from the first attempt to the last if every attempt fails: the delays before attempts
 * 2…`maxAttempts`, each at its +20 % jitter upper bound unless `jitterUpperBound` is false. A
 * receiver's `Retry-After` can lengthen it; it is not counted.
 */
export const totalScheduleSeconds = (schedule: RetrySchedule, jitterUpperBound = true): number => {
  let total = 0;
  for (let attempt = 1; attempt < schedule.maxAttempts; attempt++)
    total += schedule.baseDelaySeconds(attempt);
  return jitterUpperBound ? total * (1 + JITTER_RATIO) : total;
};

/** One retry step as a channel writes it: a duration of at most {@link MAX_RETRY_STEP_SECONDS}. */
const RetryStepSeconds = lazySchema(() =>
  DurationSeconds.pipe(
    z
      .number()
      .max(MAX_RETRY_STEP_SECONDS, `a retry step is at most ${formatDuration(MAX_RETRY_STEP_SECONDS)}`),
  ),
);

/** A channel's `retry.backoff`: `{initial, factor?, max}` (SPEC §5). */
export const BackoffOverride = lazySchema(() =>
  z
    .strictObject({
      initial: RetryStepSeconds,
      factor: z.number().min(1).max(10).default(DEFAULT_BACKOFF_FACTOR),
      max: RetryStepSeconds,
    })
    .superRefine((backoff, ctx) => {
      if (backoff.max < backoff.initial) {
        ctx.addIssue({ code: 'custom', path: ['max'], message: 'must be at least initial' });
      }
    }),
);

/**
 * A channel's `retry` (SPEC §5): `maxAttempts` with either a `schedule` of delays or a `backoff`; only
 * `maxAttempts` keeps the default delays. The whole schedule, every delay at its jitter upper bound,
 * must fit in {@link MAX_SCHEDULE_SECONDS}; the check assumes the default schedule
 * ({@link DEFAULT_RETRY_SCHEDULE_SECONDS}) when the channel gives no delays.
 */
export const RetryOverride = lazySchema(() =>
  z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(MAX_ATTEMPTS_LIMIT).optional(),
      schedule: z.array(RetryStepSeconds).min(1).max(MAX_ATTEMPTS_LIMIT).optional(),
      backoff: BackoffOverride.optional(),
    })
    .superRefine((override, ctx) => {
      if (override.schedule !== undefined && override.backoff !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['backoff'],
          message: 'give either schedule or backoff, not both',
        });
        return;
      }
      if (override.backoff !== undefined && override.maxAttempts === undefined) {
        ctx.addIssue({ code: 'custom', path: ['maxAttempts'], message: 'required with backoff' });
        return;
      }
      const total = totalScheduleSeconds(RetrySchedule.from(override, new RetrySchedule()));
      if (total <= MAX_SCHEDULE_SECONDS) return;
      const delaysTooLong =
        override.schedule !== undefined &&
        totalScheduleSeconds(new RetrySchedule(override.schedule)) > MAX_SCHEDULE_SECONDS;
      const path = override.backoff !== undefined ? 'backoff' : delaysTooLong ? 'schedule' : 'maxAttempts';
      ctx.addIssue({
        code: 'custom',
        path: [path],
        message:
          `the retries take up to ${formatDuration(total)} (every delay at its +20 % jitter), more than the ` +
          `${formatDuration(MAX_SCHEDULE_SECONDS)} a delivery may wait in its queue`,
      });
    }),
);
export type RetryOverride = z.infer<typeof RetryOverride>;

/** Reads a retry schedule from an environment variable at cold start, naming it when it is invalid. */
export const scheduleEnv = (
  name: EnvName,
  fallback: readonly number[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): RetrySchedule => {
  const raw = env[name];
  if (raw === undefined || raw === '') return new RetrySchedule(fallback);
  try {
    return RetrySchedule.parse(raw);
  } catch (error) {
    throw new ConfigurationError(`Environment variable ${name} is not a retry schedule: ${String(error)}`, {
      cause: error,
    });
  }
};
