import * as z from 'zod';
import { lazySchema } from '../runtime/lazy-schema.ts';

/**
 * A channel's `rateLimit` (SPEC §3): `{"perSecond": n}` or `{"perMinute": n}`. Deliveries to the channel
 * are spread out to stay under it across every deliver instance; none is dropped.
 */
export const RateLimit = lazySchema(() =>
  z
    .strictObject({
      perSecond: z.number().int().min(1).max(100).optional(),
      perMinute: z.number().int().min(1).max(6000).optional(),
    })
    .check((context) => {
      const given = [context.value.perSecond, context.value.perMinute].filter((n) => n !== undefined);
      if (given.length !== 1) {
        context.issues.push({
          code: 'custom',
          input: context.value,
          path: [],
          message: 'give one of perSecond or perMinute',
        });
      }
    }),
);
export type RateLimit = z.infer<typeof RateLimit>;

/**
 * How a limit is kept: each send takes a slot from a schedule shared by every deliver instance, slots
 * `intervalMs` apart, and starts only while its slot is at most `toleranceMs` old (a late one takes a
 * new slot). A request may still take up to `jitterMs` longer than another to reach the receiver
 * (connecting, a slower instance). Both are added to the window before it is divided, so any n + 1
 * sends span more than the window at the receiver too: the limit holds there, at the price of a rate a
 * little under it (5 per second → one every 231 ms, 4.3 per second).
 */
export interface RateSpacing {
  readonly intervalMs: number;
  readonly toleranceMs: number;
}

export const rateSpacing = (limit: RateLimit): RateSpacing => {
  const [count, windowMs] =
    limit.perSecond !== undefined ? [limit.perSecond, 1000] : [limit.perMinute ?? 1, 60_000];
  const toleranceMs = Math.round(25 + windowMs * 0.01);
  const jitterMs = Math.round(100 + windowMs * 0.02);
  return { intervalMs: Math.ceil((windowMs + toleranceMs + jitterMs) / count), toleranceMs };
};

/** The part of the spacing that covers requests that take different times to arrive. */
export const arrivalJitterMs = (limit: RateLimit): number =>
  Math.round(100 + (limit.perSecond !== undefined ? 1000 : 60_000) * 0.02);
