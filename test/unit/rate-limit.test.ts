import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrivalJitterMs, RateLimit, rateSpacing } from '#shared/domain/rate-limit.ts';

describe('rateLimit', () => {
  it.each([
    [{ perSecond: 5 }, 231, 35],
    [{ perSecond: 1 }, 1155, 35],
    [{ perMinute: 30 }, 2065, 625],
  ])('spaces %j sends %i ms apart, each sent at most %i ms late', (limit, intervalMs, toleranceMs) => {
    expect(rateSpacing(limit)).toEqual({ intervalMs, toleranceMs });
  });

  it('never lets n + 1 arrivals fall in one window when each send starts within the tolerance of its slot and arrives within the jitter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 101, maxLength: 101 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 101, maxLength: 101 }),
        (perSecond, lateness, transit) => {
          const { intervalMs, toleranceMs } = rateSpacing({ perSecond });
          const jitterMs = arrivalJitterMs({ perSecond });
          const sends = Array.from(
            { length: perSecond + 1 },
            (_, n) => n * intervalMs + (lateness[n] ?? 0) * toleranceMs + (transit[n] ?? 0) * jitterMs,
          );
          return (sends.at(-1) ?? 0) - (sends[0] ?? 0) >= 1000;
        },
      ),
    );
  });

  it.each([
    [{}, 'give one of perSecond or perMinute'],
    [{ perSecond: 5, perMinute: 100 }, 'give one of perSecond or perMinute'],
    [{ perSecond: 0 }, undefined],
    [{ perSecond: 1.5 }, undefined],
    [{ perHour: 5 }, undefined],
  ])('refuses %j', (input, message) => {
    const result = RateLimit.safeParse(input);
    expect(result.success).toBe(false);
    if (message !== undefined) expect(result.error?.issues[0]?.message).toBe(message);
  });
});
