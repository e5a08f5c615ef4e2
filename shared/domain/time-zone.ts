/**
 * IANA time zones as silences and digests take them: validated and formatted with `Intl` (the
 * platform's time-zone data), never by hand.
 */
import * as z from 'zod';
import { lazySchema } from '../runtime/lazy-schema.ts';

const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** An IANA time zone name (`Europe/Berlin`, `UTC`). */
export const TimeZone = lazySchema(() =>
  z
    .string()
    .min(1)
    .max(64)
    .refine(isTimeZone, 'timezone must be an IANA time zone, e.g. Europe/Berlin or UTC'),
);

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * A date-time format in a zone, built once per (locale, zone, options) and kept: building one costs
 * far more than using it.
 */
export const zonedFormat = (
  locale: string,
  timezone: string,
  options: Omit<Intl.DateTimeFormatOptions, 'timeZone'>,
): Intl.DateTimeFormat => {
  const key = JSON.stringify([locale, timezone, options]);
  let format = formats.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat(locale, { ...options, timeZone: timezone });
    formats.set(key, format);
  }
  return format;
};
