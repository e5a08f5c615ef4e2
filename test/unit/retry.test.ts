import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDurationSeconds } from '#shared/domain/duration.ts';
import {
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  MAX_VISIBILITY_SECONDS,
  RetrySchedule,
} from '#shared/domain/retry.ts';

const middle = () => 0.5;

describe('RetrySchedule', () => {
  it('defaults to 8 attempts: immediately, 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h', () => {
    // Act
    const schedule = new RetrySchedule();

    // Assess
    expect(schedule.maxAttempts).toBe(8);
    expect(schedule.delaysSeconds).toEqual([0, 10, 60, 300, 1800, 7200, 21600, 43200]);
    expect(DEFAULT_RETRY_SCHEDULE_SECONDS).toEqual(schedule.delaysSeconds);
  });

  it('waits the next step of the schedule after each failed attempt (without jitter)', () => {
    // Prepare
    const schedule = new RetrySchedule();

    // Act
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => schedule.nextDelaySeconds(attempt, 0, middle));

    // Assess
    expect(delays).toEqual([10, 60, 300, 1800, 7200, 21600, MAX_VISIBILITY_SECONDS]);
  });

  it('allows another attempt after attempts 1 to 7 and none after the 8th', () => {
    const schedule = new RetrySchedule();
    expect([1, 2, 3, 4, 5, 6, 7].every((attempt) => schedule.hasNext(attempt))).toBe(true);
    expect(schedule.hasNext(8)).toBe(false);
  });

  it('spreads each delay by at most ±20 %', () => {
    const schedule = new RetrySchedule();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const base = DEFAULT_RETRY_SCHEDULE_SECONDS[attempt] ?? 0;
          const delay = schedule.nextDelaySeconds(attempt, 0, () => r);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
          expect(delay).toBeLessThanOrEqual(Math.ceil(base * 1.2));
        },
      ),
    );
  });

  it('uses the full jitter range at its extremes', () => {
    const schedule = new RetrySchedule();
    expect(schedule.nextDelaySeconds(2, 0, () => 0)).toBe(48);
    expect(schedule.nextDelaySeconds(2, 0, () => 0.999999)).toBe(72);
  });

  it('raises the delay to the receiver’s Retry-After', () => {
    const schedule = new RetrySchedule();
    expect(schedule.nextDelaySeconds(1, 120, middle)).toBe(120);
    expect(schedule.nextDelaySeconds(3, 120, middle)).toBe(300);
  });

  it('never delays past what SQS can hide a message for (12 h less a margin), even with jitter or Retry-After', () => {
    // Prepare
    const schedule = new RetrySchedule();

    // Act
    const jittered = schedule.nextDelaySeconds(7, 0, () => 0.999);
    const retryAfter = schedule.nextDelaySeconds(1, 24 * 3600, middle);

    // Assess
    expect(jittered).toBe(MAX_VISIBILITY_SECONDS);
    expect(retryAfter).toBe(MAX_VISIBILITY_SECONDS);
    expect(MAX_VISIBILITY_SECONDS).toBe(43200 - 300);
  });

  it('repeats the last delay when maxAttempts exceeds the schedule', () => {
    // Prepare
    const schedule = new RetrySchedule([0, 5], 4);

    // Act
    const delays = [1, 2, 3].map((attempt) => schedule.nextDelaySeconds(attempt, 0, middle));

    // Assess
    expect(schedule.maxAttempts).toBe(4);
    expect(delays).toEqual([5, 5, 5]);
    expect(schedule.hasNext(3)).toBe(true);
    expect(schedule.hasNext(4)).toBe(false);
  });

  it('limits maxAttempts to 20', () => {
    expect(new RetrySchedule([0], 50).maxAttempts).toBe(20);
  });

  it('refuses an empty schedule', () => {
    expect(() => new RetrySchedule([])).toThrow(RangeError);
  });

  it('parses a list of seconds', () => {
    // Act
    const schedule = RetrySchedule.parse('0,1,2');

    // Assess
    expect(schedule.delaysSeconds).toEqual([0, 1, 2]);
    expect(schedule.maxAttempts).toBe(3);
  });

  it('parses durations with units and spaces', () => {
    expect(RetrySchedule.parse('0, 10s,1m, 2h,500ms,1d').delaysSeconds).toEqual([
      0, 10, 60, 7200, 0.5, 86400,
    ]);
  });

  it.each(['', '0,,1', '10x', '0,-1', 'soon'])('refuses the schedule %j', (text) => {
    expect(() => RetrySchedule.parse(text)).toThrow(RangeError);
  });
});

describe('parseDurationSeconds', () => {
  it.each([
    ['10s', 10],
    ['5m', 300],
    ['2h', 7200],
    ['1d', 86400],
    ['250ms', 0.25],
    ['1.5h', 5400],
    [30, 30],
  ] as const)('reads %j as %d seconds', (value, seconds) => {
    expect(parseDurationSeconds(value)).toBe(seconds);
  });

  it.each(['10', '5 minutes', '-1s', 'h', -5, Number.NaN])('refuses %j', (value) => {
    expect(parseDurationSeconds(value)).toBeUndefined();
  });
});
