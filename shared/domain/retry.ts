import { parseDurationSeconds } from './duration.ts';
import { ConfigurationError } from './errors.ts';

/** SPEC §5: immediately, 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h. */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = [0, 10, 60, 300, 1800, 7200, 21600, 43200];
/** Delays are spread by ±20 % so that a burst of failures does not retry in lockstep. */
export const JITTER_RATIO = 0.2;
/**
 * SQS cannot hide a message for longer than 12 hours counted from when it was received, and the
 * attempt itself has used some of that: delays stop 5 minutes short (the 12 h step is 11 h 55 min).
 */
export const MAX_VISIBILITY_SECONDS = 12 * 60 * 60 - 5 * 60;
/** Upper bound for a channel's `retry.maxAttempts` (the delivery queue's redrive threshold is above it). */
export const MAX_ATTEMPTS_LIMIT = 20;

/**
 * When each attempt of a delivery happens: entry `n` is the delay before attempt `n + 1`, so the first
 * entry is the delay of the first attempt (normally 0) and the schedule's length is the number of
 * attempts unless `maxAttempts` says otherwise (the last delay then repeats).
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

  /** Whether another attempt follows attempt number `attempt` (1-based). */
  hasNext(attempt: number): boolean {
    return attempt < this.maxAttempts;
  }

  /**
   * Seconds to wait after attempt `attempt` (1-based) failed, with jitter, at least the receiver's
   * `Retry-After`, and never past what SQS can hide a message for.
   */
  nextDelaySeconds(attempt: number, retryAfterSeconds = 0, random: () => number = Math.random): number {
    const base = this.delaysSeconds[Math.min(attempt, this.delaysSeconds.length - 1)] ?? 0;
    const jittered = base * (1 + JITTER_RATIO * (2 * random() - 1));
    return Math.min(Math.round(Math.max(jittered, retryAfterSeconds)), MAX_VISIBILITY_SECONDS);
  }
}

/** Reads a retry schedule from an environment variable at cold start, naming it when it is invalid. */
export const scheduleEnv = (
  name: string,
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
