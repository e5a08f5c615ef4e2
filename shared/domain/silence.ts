/**
 * Silences and maintenance windows (SPEC §4): what mutes a notification, when. A silence matches
 * events like a policy (`events` globs over the type, `match` over attributes and `source`), optionally
 * only for some `channels`, and is in force either between `startsAt` and `endsAt` (a one-off silence)
 * or, as a maintenance window, during the weekly windows of its `schedule` in its time zone (until
 * `endsAt`, when given). Local times are read with `Intl` in the schedule's zone, so a window is
 * wall-clock time across a daylight-saving change: `01:00`–`05:00` is four hours most nights, three
 * or five on the night the clocks move.
 */
import * as z from 'zod';
import { lazySchema } from '../runtime/lazy-schema.ts';
import type { HeraldEvent } from './event.ts';
import { globMatches } from './glob.ts';
import { attributeValue, matchesAttribute, matchesType } from './matcher.ts';
import { ResourceId } from './policy.ts';
import { TimeZone, zonedFormat } from './time-zone.ts';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const Pattern = lazySchema(() => z.string().min(1).max(256));
/** `HH:MM`, 24-hour; `24:00` ends a window at midnight. */
const ClockTime = lazySchema(() =>
  z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be HH:MM (00:00 to 24:00)'),
);

/** A weekly window: on `days`, from `from` to `to` local time; `to` before `from` runs past midnight. */
export const SilenceWindow = lazySchema(() =>
  z
    .strictObject({
      days: z
        .array(z.enum(WEEKDAYS))
        .min(1)
        .max(7)
        .default([...WEEKDAYS]),
      from: ClockTime,
      to: ClockTime,
    })
    .refine((window) => window.from !== window.to && window.from !== '24:00', {
      message: 'from and to must differ, and from must be before 24:00',
      path: ['to'],
    }),
);
export type SilenceWindow = z.infer<typeof SilenceWindow>;

export const SilenceSchedule = lazySchema(() =>
  z.strictObject({
    timezone: TimeZone,
    windows: z.array(SilenceWindow).min(1).max(20),
  }),
);
export type SilenceSchedule = z.infer<typeof SilenceSchedule>;

const DateTime = lazySchema(() =>
  z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time with an offset' }),
);

/** What a silence says, as users write it (the rules between fields are in {@link checkTimes}). */
export const SilenceFields = lazySchema(() =>
  z.strictObject({
    id: ResourceId,
    comment: z.string().max(1024).optional(),
    /** Globs over the event type; empty or `["*"]`: every type (but Herald's own, see `mutes`). */
    events: z.array(Pattern).max(100).default(['*']),
    /** Attribute → glob or list of globs, as in a policy. */
    match: z
      .record(z.string().min(1).max(64), z.union([Pattern, z.array(Pattern).min(1).max(100)]))
      .default({}),
    /** Only notifications to these channels; absent: to every channel. */
    channels: z.array(ResourceId).min(1).max(100).optional(),
    startsAt: DateTime.optional(),
    endsAt: DateTime.optional(),
    schedule: SilenceSchedule.optional(),
  }),
);

/** A one-off silence needs an end; an end comes after the start. */
const checkTimes = (
  context: z.core.ParsePayload<{
    startsAt?: string | undefined;
    endsAt?: string | undefined;
    schedule?: unknown;
  }>,
) => {
  const { value } = context;
  if (value.schedule === undefined && value.endsAt === undefined) {
    context.issues.push({
      code: 'custom',
      input: value,
      path: ['endsAt'],
      message: 'give endsAt (a one-off silence) or schedule (a maintenance window)',
    });
  }
  if (
    value.startsAt !== undefined &&
    value.endsAt !== undefined &&
    Date.parse(value.endsAt) <= Date.parse(value.startsAt)
  ) {
    context.issues.push({
      code: 'custom',
      input: value,
      path: ['endsAt'],
      message: 'endsAt must be after startsAt',
    });
  }
};

/** A silence as users write it. */
export const Silence = lazySchema(() => SilenceFields.check(checkTimes));
export type Silence = z.infer<typeof Silence>;

/** A silence as the config table keeps it. */
export const SilenceRecord = lazySchema(() =>
  SilenceFields.extend({
    /** When it begins: `startsAt` as given, or when it was created. */
    startsAt: DateTime,
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int().min(1),
  }).check(checkTimes),
);
export type SilenceRecord = z.infer<typeof SilenceRecord>;

/** A silence as users write it: the id comes from the path (and must match when also given). */
export const SilenceInput = lazySchema(() =>
  SilenceFields.extend({ id: ResourceId.optional() }).check(checkTimes),
);
export type SilenceInput = z.input<typeof SilenceInput>;

export type SilenceStatus = 'pending' | 'active' | 'expired';

/** Pending before it starts, expired from its end on, active between. */
export const silenceStatus = (
  silence: Pick<SilenceRecord, 'startsAt' | 'endsAt'>,
  now: Date,
): SilenceStatus =>
  silence.endsAt !== undefined && Date.parse(silence.endsAt) <= now.getTime()
    ? 'expired'
    : Date.parse(silence.startsAt) > now.getTime()
      ? 'pending'
      : 'active';

const minutesOf = (clock: string): number => {
  const [hours = 0, minutes = 0] = clock.split(':').map(Number);
  return hours * 60 + minutes;
};

/** The weekday and minute of the day at `now` in `timezone`. */
export const localTime = (now: Date, timezone: string): { day: Weekday; minute: number } => {
  const format = zonedFormat('en-US', timezone, {
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const parts = Object.fromEntries(format.formatToParts(now).map((part) => [part.type, part.value]));
  const day = String(parts.weekday).toLowerCase().slice(0, 3) as Weekday;
  return { day, minute: Number(parts.hour) * 60 + Number(parts.minute) };
};

/** Whether `now` falls in one of the schedule's windows (a window past midnight belongs to its start day). */
export const inSchedule = (schedule: SilenceSchedule, now: Date): boolean => {
  const { day, minute } = localTime(now, schedule.timezone);
  const yesterday = WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7] as Weekday;
  return schedule.windows.some((window) => {
    const from = minutesOf(window.from);
    const to = minutesOf(window.to);
    if (from < to) return window.days.includes(day) && minute >= from && minute < to;
    return (window.days.includes(day) && minute >= from) || (window.days.includes(yesterday) && minute < to);
  });
};

/** Whether the silence is in force at `now`: active, and inside a window when it has a schedule. */
export const silenceInForce = (silence: SilenceRecord, now: Date): boolean =>
  silenceStatus(silence, now) === 'active' &&
  (silence.schedule === undefined || inSchedule(silence.schedule, now));

/** Herald's own operational events (`herald.*` from source `herald`). */
const isOperational = (event: HeraldEvent): boolean =>
  event.source === 'herald' && event.type.startsWith('herald.');

/**
 * Whether the silence mutes the notification of `event` to `channelId` at `now`. An operational event
 * is muted only by a silence whose `events` name Herald's own types (a glob starting `herald.`), never
 * by a catch-all.
 */
export const mutes = (silence: SilenceRecord, event: HeraldEvent, channelId: string, now: Date): boolean => {
  if (silence.channels !== undefined && !silence.channels.includes(channelId)) return false;
  const typeMatches = isOperational(event)
    ? silence.events.some((glob) => glob.startsWith('herald.') && globMatches(glob, event.type))
    : matchesType(silence.events, event.type);
  return (
    typeMatches &&
    Object.entries(silence.match).every(([attribute, patterns]) =>
      matchesAttribute(patterns, attributeValue(event, attribute)),
    ) &&
    silenceInForce(silence, now)
  );
};

/** The first silence (by id) that mutes the notification, if any. */
export const mutedBy = (
  silences: readonly SilenceRecord[],
  event: HeraldEvent,
  channelId: string,
  now: Date,
): SilenceRecord | undefined => silences.find((silence) => mutes(silence, event, channelId, now));
