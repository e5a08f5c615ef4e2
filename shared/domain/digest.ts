/**
 * Digests (SPEC §3 `digest`): a channel that gets one message per period listing what arrived in it,
 * instead of one message per event. This module is pure: the period an instant falls in (wall-clock
 * time in the digest's zone, read with `Intl`, so a daily digest at 09:00 stays at 09:00 across a
 * daylight-saving change), the digest's derived delivery id, and the summary every channel type
 * renders (counts by type and severity, the events newest first, cut to the type's limits with
 * "and N more").
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { lazySchema } from '../runtime/lazy-schema.ts';
import { parseDurationSeconds } from './duration.ts';
import { type HeraldEvent, SEVERITIES, type Severity, severityRank } from './event.ts';
import { OPERATIONAL_SOURCE } from './operational.ts';
import { TimeZone, zonedFormat } from './time-zone.ts';

/** The shortest period: the flush runs once a minute, so shorter periods mostly wait for it anyway. */
export const MIN_DIGEST_SECONDS = 10;
const DAY_SECONDS = 86_400;
/** The longest period: a week. */
export const MAX_DIGEST_SECONDS = 7 * DAY_SECONDS;
/** The event type of a digest as the channel receives it. */
export const DIGEST_EVENT_TYPE = 'herald.digest';

/** Why an `every` is not a digest period, or undefined when it is one. */
const everyProblem = (every: string): string | undefined => {
  const seconds = parseDurationSeconds(every);
  if (seconds === undefined || typeof every !== 'string') {
    return 'every must be a duration such as "15m", "1h" or "1d"';
  }
  if (seconds < MIN_DIGEST_SECONDS) return `every must be at least ${MIN_DIGEST_SECONDS}s`;
  if (seconds > MAX_DIGEST_SECONDS) return 'every must be at most 7d';
  if (seconds > DAY_SECONDS && seconds % DAY_SECONDS !== 0)
    return 'every longer than a day must be whole days';
  if (!Number.isInteger(seconds)) return 'every must be whole seconds';
  return undefined;
};

/** A channel's `digest` (SPEC §3). */
export const DigestSettings = lazySchema(() =>
  z.strictObject({
    /** The period: `1h`, `1d`, or any duration from 10 s to 7 days (whole days past one day). */
    every: z.string().superRefine((every, ctx) => {
      const problem = everyProblem(every);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
    /** Where periods are anchored each day (local time in `timezone`). @default "00:00" */
    at: z
      .string()
      .regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, 'at must be HH:MM (00:00 to 23:59)')
      .optional(),
    /** An IANA time zone. @default "UTC" */
    timezone: TimeZone.optional(),
    /** Whether `critical` events go into the digest too (by default they go out at once). */
    includeCritical: z.boolean().optional(),
  }),
);
export type DigestSettings = z.infer<typeof DigestSettings>;

/** Whether an event routed to a digest channel goes into the digest (else it is sent at once). */
export const digestible = (digest: DigestSettings, event: Pick<HeraldEvent, 'severity'>): boolean =>
  event.severity !== 'critical' || digest.includeCritical === true;

// --- Wall-clock time in a zone -------------------------------------------------------------------------

const formatterFor = (timezone: string): Intl.DateTimeFormat =>
  zonedFormat('en-US', timezone, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });

interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** The local calendar date and the zone's offset from UTC (ms) at `instant`. */
const zoned = (instant: number, timezone: string): LocalDate & { offsetMs: number } => {
  const parts = Object.fromEntries(
    formatterFor(timezone)
      .formatToParts(new Date(instant))
      .map((part) => [part.type, Number(part.value)]),
  );
  const year = parts.year ?? 1970;
  const month = parts.month ?? 1;
  const day = parts.day ?? 1;
  const asUtc = Date.UTC(year, month - 1, day, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return { year, month, day, offsetMs: asUtc - Math.floor(instant / 1000) * 1000 };
};

/** The date `days` after `date` on the calendar. */
const addDays = (date: LocalDate, days: number): LocalDate => {
  const moved = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: moved.getUTCFullYear(), month: moved.getUTCMonth() + 1, day: moved.getUTCDate() };
};

/** The zone's offset from UTC (ms) at `instant`. */
const offsetAt = (instant: number, timezone: string): number => zoned(instant, timezone).offsetMs;

/**
 * The instant the zone's clocks show `minute` (of the day) on `date`. A local time shown twice (the
 * clocks went back) is its first showing; one skipped (the clocks went forward) is read with the offset
 * before the change, so it comes out that much later on the clock, east or west of UTC alike.
 */
const instantOf = (date: LocalDate, minute: number, timezone: string): number => {
  const wall = Date.UTC(date.year, date.month - 1, date.day) + minute * 60_000;
  const before = wall - offsetAt(wall - DAY_SECONDS * 1000, timezone);
  const after = wall - offsetAt(wall + DAY_SECONDS * 1000, timezone);
  const shows = (instant: number) => instant + offsetAt(instant, timezone) === wall;
  const candidates = [before, after].filter(shows).sort((a, b) => a - b);
  return candidates[0] ?? before;
};

/** Days since Monday 1970-01-05, so that periods of 7 days start on Mondays. */
const dayNumber = (date: LocalDate): number =>
  Math.floor((Date.UTC(date.year, date.month - 1, date.day) - Date.UTC(1970, 0, 5)) / (DAY_SECONDS * 1000));

const minutesOf = (clock: string | undefined): number => {
  const [hours = 0, minutes = 0] = (clock ?? '00:00').split(':').map(Number);
  return hours * 60 + minutes;
};

export interface DigestPeriod {
  readonly start: Date;
  readonly end: Date;
}

/**
 * The period `now` falls in. Each local day starts a new run of periods at `at` (periods of a day or
 * less: `at`, `at` + every, … up to the next day's `at`, the last one cut short when `every` does not
 * divide the day, or the day has 23 or 25 hours); periods of several days start at `at` on every
 * `every`-th day counted from a Monday.
 */
export const digestPeriod = (digest: DigestSettings, now: Date): DigestPeriod => {
  const timezone = digest.timezone ?? 'UTC';
  const everySeconds = parseDurationSeconds(digest.every) ?? DAY_SECONDS;
  const at = minutesOf(digest.at);
  const nowMs = now.getTime();
  const today = zoned(nowMs, timezone);
  if (everySeconds > DAY_SECONDS) {
    const days = everySeconds / DAY_SECONDS;
    const number = dayNumber(today);
    let first = addDays(today, -(((number % days) + days) % days));
    if (instantOf(first, at, timezone) > nowMs) first = addDays(first, -days);
    return {
      start: new Date(instantOf(first, at, timezone)),
      end: new Date(instantOf(addDays(first, days), at, timezone)),
    };
  }
  let day: LocalDate = today;
  if (instantOf(day, at, timezone) > nowMs) day = addDays(day, -1);
  const anchor = instantOf(day, at, timezone);
  const nextAnchor = instantOf(addDays(day, 1), at, timezone);
  const everyMs = everySeconds * 1000;
  const dayMs = nextAnchor - anchor;
  let periods = Math.ceil(dayMs / everyMs);
  // A day the clocks went back on is longer than 24 h: when periods fill a 24-hour day exactly, the
  // extra time joins the day's last period instead of making a short one of its own.
  if (dayMs > DAY_SECONDS * 1000 && (DAY_SECONDS * 1000) % everyMs === 0 && dayMs % everyMs !== 0) {
    periods -= 1;
  }
  const index = Math.min(Math.floor((nowMs - anchor) / everyMs), periods - 1);
  const start = anchor + index * everyMs;
  return { start: new Date(start), end: new Date(index === periods - 1 ? nextAnchor : start + everyMs) };
};

/**
 * A digest's delivery id, derived from its channel and period (and, when a period was flushed early
 * because the channel's `digest` changed, the generation that came after): stable across every retry
 * and redrive, and the `webhook-id` receivers see.
 */
export const digestIdFor = (channelId: string, periodStart: Date, generation: number): string =>
  `dgst_${createHash('sha256')
    .update(`${channelId}\0${periodStart.toISOString()}\0${generation}`)
    .digest('base64url')
    .slice(0, 27)}`;

// --- What a digest lists -------------------------------------------------------------------------------

/** One event in a digest: what its line shows (never the event's data). */
export const DigestEntry = lazySchema(() =>
  z.object({
    eventId: z.string(),
    type: z.string(),
    source: z.string(),
    subject: z.string(),
    severity: z.enum(SEVERITIES),
    time: z.string(),
    /** The event's link (see `eventLink`), when it carries one. */
    link: z.string().optional(),
    /** The notification's own delivery id (recorded `digested`). */
    deliveryId: z.string(),
  }),
);
export type DigestEntry = z.infer<typeof DigestEntry>;

/** A closed period's digest, as every channel type renders it. */
export interface Digest {
  readonly digestId: string;
  readonly channelId: string;
  readonly period: { readonly start: string; readonly end: string; readonly timezone: string };
  readonly total: number;
  /** Count by event type, the most frequent first. */
  readonly byType: readonly { readonly type: string; readonly count: number }[];
  /** Count by severity, every severity present in the digest, the most severe first. */
  readonly bySeverity: readonly { readonly severity: Severity; readonly count: number }[];
  /** The highest severity among the events. */
  readonly severity: Severity;
  /** Every event, the newest first. */
  readonly entries: readonly DigestEntry[];
}

/** Builds a digest from its entries (in any order). */
export const buildDigest = (
  meta: { digestId: string; channelId: string; periodStart: string; periodEnd: string; timezone: string },
  entries: readonly DigestEntry[],
): Digest => {
  const instant = (time: string) => {
    const parsed = Date.parse(time);
    return Number.isNaN(parsed) ? 0 : parsed;
  };
  const sorted = [...entries].sort(
    (a, b) =>
      instant(b.time) - instant(a.time) || (a.eventId < b.eventId ? 1 : a.eventId > b.eventId ? -1 : 0),
  );
  const types = new Map<string, number>();
  const severities = new Map<Severity, number>();
  for (const entry of sorted) {
    types.set(entry.type, (types.get(entry.type) ?? 0) + 1);
    severities.set(entry.severity, (severities.get(entry.severity) ?? 0) + 1);
  }
  const bySeverity = [...severities.entries()]
    .map(([severity, count]) => ({ severity, count }))
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  return {
    digestId: meta.digestId,
    channelId: meta.channelId,
    period: { start: meta.periodStart, end: meta.periodEnd, timezone: meta.timezone },
    total: sorted.length,
    byType: [...types.entries()]
      .map(([type, count]) => ({ type, count }))
      .sort((a, b) => b.count - a.count || (a.type < b.type ? -1 : 1)),
    bySeverity,
    severity: bySeverity[0]?.severity ?? 'info',
    entries: sorted,
  };
};

/** `12 events (3 error, 9 info)`. */
export const digestCounts = (digest: Pick<Digest, 'total' | 'bySeverity'>): string =>
  `${digest.total} ${digest.total === 1 ? 'event' : 'events'} (${digest.bySeverity
    .map(({ severity, count }) => `${count} ${severity}`)
    .join(', ')})`;

const clock = (iso: string, timezone: string): string => {
  const format = zonedFormat('en-GB', timezone, {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return format.format(new Date(iso));
};

/** `07 Dec 2026, 09:00 – 10:00 (Europe/Berlin)`: the period in the digest's zone. */
export const digestPeriodText = (digest: Pick<Digest, 'period'>): string => {
  const { start, end, timezone } = digest.period;
  const from = clock(start, timezone);
  const to = clock(end, timezone);
  const sameDay = from.slice(0, 11) === to.slice(0, 11);
  return `${from} – ${sameDay ? to.slice(13) : to} (${timezone})`;
};

/** The one-line title of a digest: `Digest: 12 events (3 error, 9 info)`. */
export const digestTitle = (digest: Pick<Digest, 'total' | 'bySeverity'>): string =>
  `Digest: ${digestCounts(digest)}`;

/** `and 12 more`. */
export const moreText = (count: number): string => `and ${count} more`;

/**
 * The longest prefix of `items` (newest first) whose rendered lines fit `maxChars` in total (each line
 * plus a separator of `separatorChars`) and `maxLines`, with room kept for the "and N more" line when
 * not all fit. Returns the lines and how many were left out.
 */
export const fitLines = <T>(
  items: readonly T[],
  line: (item: T) => string,
  limits: { readonly maxChars: number; readonly maxLines: number; readonly separatorChars?: number },
): { lines: string[]; more: number } => {
  const separator = limits.separatorChars ?? 1;
  const lines: string[] = [];
  let used = 0;
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index] as T;
    const text = line(item);
    const left = items.length - index - 1;
    // Room for this line, and for the "and N more" line if anything after it is left out.
    const reserve = left > 0 ? moreText(left).length + separator : 0;
    const fitsCount = lines.length + 1 + (left > 0 ? 1 : 0) <= limits.maxLines || left === 0;
    if (
      lines.length + 1 > limits.maxLines ||
      !fitsCount ||
      used + text.length + separator + reserve > limits.maxChars
    ) {
      return { lines, more: items.length - index };
    }
    lines.push(text);
    used += text.length + separator;
  }
  return { lines, more: 0 };
};

/**
 * The digest as an event envelope: what the JSON channel types (`webhook`, `sns`, `sqs`,
 * `eventbridge`) send. `data` lists every event with its id (cut to `maxEvents`, newest first, with
 * the count left out in `more`).
 */
export const digestEvent = (digest: Digest, maxEvents = digest.entries.length): HeraldEvent => {
  const listed = digest.entries.slice(0, Math.max(0, maxEvents));
  return {
    id: digest.digestId,
    type: DIGEST_EVENT_TYPE,
    source: OPERATIONAL_SOURCE,
    time: digest.period.end,
    subject: digestTitle(digest),
    severity: digest.severity,
    attributes: { channel: digest.channelId },
    data: {
      period: digest.period,
      total: digest.total,
      byType: digest.byType.map((entry) => ({ ...entry })),
      bySeverity: digest.bySeverity.map((entry) => ({ ...entry })),
      events: listed.map(({ deliveryId: _deliveryId, ...entry }) => entry),
      more: digest.total - listed.length,
    },
  };
};
