import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDurationSeconds } from '#shared/domain/duration.ts';
import {
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  MAX_SCHEDULE_SECONDS,
  MAX_VISIBILITY_SECONDS,
  RetryOverride,
  RetrySchedule,
  totalScheduleSeconds,
  visibilitySeconds,
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
    expect(delays).toEqual([10, 60, 300, 1800, 7200, 21600, 43200]);
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

  it('returns the full delay past what SQS can hide a message for at once, with jitter and Retry-After', () => {
    // Prepare
    const schedule = new RetrySchedule();

    // Act
    const jittered = schedule.nextDelaySeconds(7, 0, () => 0.999);
    const retryAfter = schedule.nextDelaySeconds(1, 24 * 3600, middle);

    // Assess
    expect(jittered).toBe(Math.round(43200 * (1 + 0.2 * (2 * 0.999 - 1))));
    expect(jittered).toBeGreaterThan(MAX_VISIBILITY_SECONDS);
    expect(retryAfter).toBe(24 * 3600);
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

describe('RetrySchedule.backoff', () => {
  it('waits 1 s, 2 s, 4 s … after each failure, capped at max, the first attempt at once', () => {
    // Act
    const schedule = RetrySchedule.backoff({ initial: 1, factor: 2, max: 30 }, 8);

    // Assess
    expect(schedule.maxAttempts).toBe(8);
    expect(schedule.delaysSeconds).toEqual([0, 1, 2, 4, 8, 16, 30, 30]);
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => schedule.nextDelaySeconds(attempt, 0, middle))).toEqual([
      1, 2, 4, 8, 16, 30, 30,
    ]);
    expect(schedule.hasNext(7)).toBe(true);
    expect(schedule.hasNext(8)).toBe(false);
  });

  it('grows by the given factor', () => {
    expect(RetrySchedule.backoff({ initial: 10, factor: 3, max: 1000 }, 6).delaysSeconds).toEqual([
      0, 10, 30, 90, 270, 810,
    ]);
  });

  it('spreads each backoff delay by at most ±20 %', () => {
    const schedule = RetrySchedule.backoff({ initial: 60, factor: 2, max: 3600 }, 10);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const base = Math.min(60 * 2 ** (attempt - 1), 3600);
          const delay = schedule.nextDelaySeconds(attempt, 0, () => r);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
          expect(delay).toBeLessThanOrEqual(Math.ceil(base * 1.2));
        },
      ),
    );
  });
});

describe('RetrySchedule.from', () => {
  const fallback = new RetrySchedule([0, 10, 60, 300]);

  it('uses the fallback without an override', () => {
    expect(RetrySchedule.from(undefined, fallback)).toBe(fallback);
  });

  it('takes the delays and the number of attempts from an override schedule', () => {
    // Act
    const schedule = RetrySchedule.from({ schedule: [0, 5] }, fallback);

    // Assess
    expect(schedule.delaysSeconds).toEqual([0, 5]);
    expect(schedule.maxAttempts).toBe(2);
  });

  it('repeats the last step of an override schedule up to its maxAttempts', () => {
    // Act
    const schedule = RetrySchedule.from({ schedule: [0, 5], maxAttempts: 4 }, fallback);

    // Assess
    expect(schedule.maxAttempts).toBe(4);
    expect([1, 2, 3].map((attempt) => schedule.nextDelaySeconds(attempt, 0, middle))).toEqual([5, 5, 5]);
  });

  it('builds a backoff schedule from an override backoff', () => {
    // Act
    const schedule = RetrySchedule.from(
      { maxAttempts: 5, backoff: { initial: 1, factor: 2, max: 4 } },
      fallback,
    );

    // Assess
    expect(schedule.delaysSeconds).toEqual([0, 1, 2, 4, 4]);
    expect(schedule.maxAttempts).toBe(5);
  });

  it('keeps the fallback delays with only maxAttempts, repeating the last one', () => {
    // Act
    const fewer = RetrySchedule.from({ maxAttempts: 2 }, fallback);
    const more = RetrySchedule.from({ maxAttempts: 6 }, fallback);

    // Assess
    expect(fewer.delaysSeconds).toEqual([0, 10, 60, 300]);
    expect(fewer.maxAttempts).toBe(2);
    expect(more.maxAttempts).toBe(6);
    expect([4, 5].map((attempt) => more.nextDelaySeconds(attempt, 0, middle))).toEqual([300, 300]);
  });
});

describe('visibilitySeconds', () => {
  it('hides a job for the whole delay when SQS allows it', () => {
    expect(visibilitySeconds(600)).toBe(600);
  });

  it('hides a job for at most 11 h 55 min, to be hidden again when it comes back early', () => {
    expect(visibilitySeconds(24 * 3600)).toBe(MAX_VISIBILITY_SECONDS);
    expect(MAX_VISIBILITY_SECONDS).toBe(43200 - 300);
  });
});

describe('totalScheduleSeconds', () => {
  it('adds the delays between attempts, at their jitter upper bound unless told otherwise', () => {
    // Prepare
    const schedule = new RetrySchedule([0, 10, 60], 4);

    // Act & Assess
    expect(totalScheduleSeconds(schedule, false)).toBe(130);
    expect(totalScheduleSeconds(schedule)).toBeCloseTo(156);
  });
});

describe('RetryOverride', () => {
  const issues = (input: unknown) => {
    const result = RetryOverride.safeParse(input);
    return result.success ? [] : result.error.issues.map(({ path, message }) => ({ path, message }));
  };

  it('accepts a schedule of durations and reads them as seconds', () => {
    expect(RetryOverride.parse({ maxAttempts: 3, schedule: ['0s', '10s', '1m'] })).toEqual({
      maxAttempts: 3,
      schedule: [0, 10, 60],
    });
  });

  it('accepts a backoff and defaults its factor to 2', () => {
    expect(RetryOverride.parse({ maxAttempts: 5, backoff: { initial: '1s', max: '1m' } })).toEqual({
      maxAttempts: 5,
      backoff: { initial: 1, factor: 2, max: 60 },
    });
  });

  it('refuses a schedule and a backoff together, at backoff', () => {
    expect(issues({ maxAttempts: 3, schedule: [0, 10], backoff: { initial: 1, max: 10 } })).toEqual([
      { path: ['backoff'], message: expect.stringMatching(/either schedule or backoff/) },
    ]);
  });

  it('refuses a backoff without maxAttempts, at maxAttempts', () => {
    expect(issues({ backoff: { initial: 1, max: 10 } })).toEqual([
      { path: ['maxAttempts'], message: 'required with backoff' },
    ]);
  });

  it.each([0.5, 11])('refuses a backoff factor of %d', (factor) => {
    expect(issues({ maxAttempts: 3, backoff: { initial: 1, factor, max: 10 } })).toEqual([
      { path: ['backoff', 'factor'], message: expect.any(String) },
    ]);
  });

  it('refuses a backoff whose max is below its initial delay', () => {
    expect(issues({ maxAttempts: 3, backoff: { initial: '1m', max: '10s' } })).toEqual([
      { path: ['backoff', 'max'], message: 'must be at least initial' },
    ]);
  });

  it('refuses unknown keys', () => {
    expect(issues({ maxAttempts: 3, jitter: 0 })).toHaveLength(1);
  });

  it('accepts a step longer than 12 h, which nextDelaySeconds returns uncapped', () => {
    // Prepare
    const override = RetryOverride.parse({ schedule: ['0s', '24h'] });

    // Act
    const delay = RetrySchedule.from(override, new RetrySchedule()).nextDelaySeconds(1, 0, middle);

    // Assess
    expect(delay).toBe(24 * 3600);
    expect(visibilitySeconds(delay)).toBe(MAX_VISIBILITY_SECONDS);
  });

  it('refuses a step longer than 7 days', () => {
    expect(issues({ schedule: ['0s', '8d'] })).toEqual([
      { path: ['schedule', 1], message: 'a retry step is at most 7d' },
    ]);
    expect(issues({ maxAttempts: 3, backoff: { initial: '1h', max: '8d' } })).toEqual([
      { path: ['backoff', 'max'], message: 'a retry step is at most 7d' },
    ]);
  });

  it('refuses a schedule longer than the delivery queue keeps a job, naming the total and the limit', () => {
    // Act
    const found = issues({ schedule: Array.from({ length: 20 }, () => '7d') });

    // Assess
    expect(MAX_SCHEDULE_SECONDS).toBe(13 * 86400);
    expect(found).toEqual([{ path: ['schedule'], message: expect.stringContaining('13d') }]);
    expect(found[0]?.message).toContain('159d 14h 24m');
  });

  it('refuses a backoff whose retries outlast the queue, at backoff', () => {
    expect(issues({ maxAttempts: 20, backoff: { initial: '1h', max: '7d' } })).toEqual([
      { path: ['backoff'], message: expect.stringContaining('13d') },
    ]);
  });

  it('refuses a maxAttempts that repeats a schedule’s last step past the queue’s retention, at maxAttempts', () => {
    expect(issues({ maxAttempts: 5, schedule: ['0s', '4d'] })).toEqual([
      { path: ['maxAttempts'], message: expect.stringContaining('13d') },
    ]);
  });

  it('accepts a schedule that fits the queue’s retention at its jitter upper bound', () => {
    // 10 × 1 d 1 h × 1.2 = 12.5 d
    expect(issues({ schedule: ['0s', ...Array.from({ length: 10 }, () => '25h')] })).toEqual([]);
    // maxAttempts alone, with the default delays: about 8.2 d
    expect(issues({ maxAttempts: 20 })).toEqual([]);
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
