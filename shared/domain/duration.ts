import * as z from 'zod';
import { lazySchema } from '../runtime/lazy-schema.ts';

const UNIT_SECONDS = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 } as const;
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses `500ms`, `10s`, `5m`, `2h`, `1d` (or a bare number of seconds) into seconds. */
export const parseDurationSeconds = (value: string | number): number | undefined => {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
};

/** A duration given as `10s`/`5m`/`2h` or a number of seconds, read as seconds. */
export const DurationSeconds = lazySchema(() =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const seconds = parseDurationSeconds(value);
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected a duration such as "30s", "5m", "2h" or seconds' });
      return z.NEVER;
    }
    return seconds;
  }),
);
