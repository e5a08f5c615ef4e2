/** `herald silences list|get|create|expire|delete`. */
import { randomBytes } from 'node:crypto';
import { type Command, InvalidArgumentError } from 'commander';
import { parseDurationSeconds } from '#shared/domain/duration.ts';
import { type SilenceInput, WEEKDAYS, type Weekday } from '#shared/domain/silence.ts';
import type { AdminClient, SilenceView, Written } from '../client.ts';
import { type CliContext, UsageError } from '../context.ts';
import { formatFields } from '../output.ts';
import { matchText } from './policies.ts';
import { describeWrite } from './shared.ts';

export interface CreateOptions {
  readonly id?: string;
  readonly match: string[];
  readonly events: string[];
  readonly channel: string[];
  readonly for?: number;
  readonly until?: string;
  readonly starts?: string;
  readonly window: string[];
  readonly timezone?: string;
  readonly comment?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const parseSeconds = (value: string): number => {
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined || seconds <= 0)
    throw new InvalidArgumentError('expected a duration like 30m, 2h, 1d');
  return seconds;
};

/** `environment=staging` pairs into a matcher; repeating an attribute lists several patterns. */
export const parseMatch = (pairs: readonly string[]): Record<string, string | string[]> => {
  const match: Record<string, string[]> = {};
  for (const pair of pairs) {
    const separator = pair.indexOf('=');
    if (separator <= 0) throw new UsageError(`--match ${pair}: expected attribute=pattern`);
    const attribute = pair.slice(0, separator);
    match[attribute] = [...(match[attribute] ?? []), pair.slice(separator + 1)];
  }
  return Object.fromEntries(
    Object.entries(match).map(([attribute, patterns]) => [
      attribute,
      patterns.length === 1 ? (patterns[0] ?? '') : patterns,
    ]),
  );
};

/** `sat,sun 01:00-05:00` (days optional: every day) into a window. */
export const parseWindow = (text: string): { days?: Weekday[]; from: string; to: string } => {
  const match = /^(?:([a-z,]+)\s+)?(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(text.trim().toLowerCase());
  if (match === null)
    throw new UsageError(`--window ${text}: expected [days ]HH:MM-HH:MM, e.g. "sat,sun 01:00-05:00"`);
  const [, days, from = '', to = ''] = match;
  if (days === undefined) return { from, to };
  const list = days.split(',');
  const isWeekday = (day: string): day is Weekday => (WEEKDAYS as readonly string[]).includes(day);
  const unknown = list.filter((day) => !isWeekday(day));
  if (unknown.length > 0)
    throw new UsageError(`--window ${text}: ${unknown.join(', ')} is not one of ${WEEKDAYS.join(', ')}`);
  return { days: list.filter(isWeekday), from, to };
};

/** The silence the flags describe (the server checks it whole). */
export const silenceFromFlags = (options: CreateOptions, now: Date): SilenceInput => {
  const windows = options.window.map(parseWindow);
  if (windows.length === 0 && options.for === undefined && options.until === undefined) {
    throw new UsageError(
      'create needs --for <duration> or --until <time> (a silence), or --window (a maintenance window)',
    );
  }
  if (options.for !== undefined && options.until !== undefined)
    throw new UsageError('give --for or --until, not both');
  const startsAt = options.starts ?? now.toISOString();
  const endsAt =
    options.until ??
    (options.for === undefined
      ? undefined
      : new Date(Date.parse(startsAt) + options.for * 1000).toISOString());
  return {
    ...(options.comment === undefined ? {} : { comment: options.comment }),
    ...(options.events.length === 0 ? {} : { events: options.events }),
    ...(options.match.length === 0 ? {} : { match: parseMatch(options.match) }),
    ...(options.channel.length === 0 ? {} : { channels: options.channel }),
    startsAt,
    ...(endsAt === undefined ? {} : { endsAt }),
    ...(windows.length === 0 ? {} : { schedule: { timezone: options.timezone ?? 'UTC', windows } }),
  };
};

/** Ends a silence at `now` (written back with `endsAt` now, against its ETag); it stays listed as expired. */
export const expireSilence = async (
  client: AdminClient,
  id: string,
  now: Date,
): Promise<Written<SilenceView>> => {
  const { view, etag } = await client.getSilence(id);
  const { status: _status, etag: _etag, createdAt: _created, updatedAt: _updated, ...body } = view;
  const at = now.getTime();
  // A silence that has not started yet ends before it starts: both move to now.
  const startsAt = Date.parse(body.startsAt) < at ? body.startsAt : new Date(at - 1).toISOString();
  return client.putSilence(id, { ...body, startsAt, endsAt: new Date(at).toISOString() }, { ifMatch: etag });
};

/** A new silence's id when none is given: `sil-` and a random suffix. */
export const newSilenceId = (): string => `sil-${randomBytes(4).toString('hex')}`;

const windowText = (silence: SilenceView): string =>
  silence.schedule === undefined
    ? ''
    : `${silence.schedule.windows
        .map(
          (window) =>
            `${window.days === undefined || window.days.length === 7 ? '' : `${window.days.join(',')} `}${window.from}-${window.to}`,
        )
        .join('; ')} ${silence.schedule.timezone}`;

export const silenceFields = (silence: SilenceView): [string, unknown][] => [
  ['id', silence.id],
  ['status', silence.status],
  ['comment', silence.comment],
  ['events', silence.events],
  ['match', matchText(silence.match)],
  ['channels', silence.channels ?? 'all'],
  ['starts', silence.startsAt],
  ['ends', silence.endsAt],
  ['windows', windowText(silence) || undefined],
  ['created', silence.createdAt],
  ['updated', silence.updatedAt],
  ['etag', silence.etag],
];

export const registerSilences = (program: Command, context: CliContext): void => {
  const silences = program
    .command('silences')
    .description('mute matching notifications for a while, or in recurring maintenance windows');

  silences
    .command('list')
    .description('every silence with its status now (active, pending, expired)')
    .option('--status <status>', 'only active, pending or expired ones')
    .action(async (options: { status?: string }, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const items = await out.progress('Listing silences', () => client.listAllSilences(options.status));
      if (out.json) return out.printJson({ items });
      out.table(
        items,
        [
          { header: 'id', value: (silence) => silence.id },
          { header: 'status', value: (silence) => silence.status },
          { header: 'events', value: (silence) => silence.events },
          { header: 'match', value: (silence) => matchText(silence.match) },
          { header: 'channels', value: (silence) => silence.channels ?? 'all' },
          { header: 'ends', value: (silence) => silence.endsAt ?? '' },
          { header: 'windows', value: windowText },
          { header: 'comment', value: (silence) => silence.comment ?? '' },
        ],
        '(no silences)',
      );
    });

  silences
    .command('get <id>')
    .description('show one silence')
    .action(async (id: string, _options: object, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const { view } = await out.progress(`Reading silence ${id}`, () => client.getSilence(id));
      if (out.json) return out.printJson(view);
      out.line(formatFields(silenceFields(view)));
    });

  silences
    .command('create')
    .description('create a silence (--for/--until) or a maintenance window (--window)')
    .option('--id <id>', 'its id (default: sil- and a random suffix)')
    .option('--match <attribute=pattern>', 'an attribute matcher, as in policies (repeatable)', collect, [])
    .option('--events <glob>', "event types to mute (repeatable; default all but Herald's own)", collect, [])
    .option(
      '--channel <id>',
      'only notifications to this channel (repeatable; default every channel)',
      collect,
      [],
    )
    .option('--for <duration>', 'from now (or --starts) for this long: 30m, 2h, 1d', parseSeconds)
    .option('--until <time>', 'until this RFC 3339 time')
    .option('--starts <time>', 'from this RFC 3339 time (default now)')
    .option(
      '--window <window>',
      'a weekly window, "[days ]HH:MM-HH:MM", e.g. "sat,sun 01:00-05:00" (repeatable)',
      collect,
      [],
    )
    .option('--timezone <zone>', 'the windows’ IANA time zone (default UTC)')
    .option('--comment <text>', 'why')
    .action(async (options: CreateOptions, command: Command) => {
      const out = context.output(command);
      const body = silenceFromFlags(options, new Date());
      const id = options.id ?? newSilenceId();
      const client = await context.client(command);
      const written = await out.progress(`Creating silence ${id}`, () => client.putSilence(id, body));
      if (out.json) return out.printJson(written.view);
      out.line(describeWrite('silence', id, written));
      out.line(formatFields(silenceFields(written.view)));
    });

  silences
    .command('expire <id>')
    .description('end a silence now (it stays listed as expired)')
    .action(async (id: string, _options: object, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const written = await out.progress(`Expiring silence ${id}`, () =>
        expireSilence(client, id, new Date()),
      );
      if (out.json) return out.printJson(written.view);
      out.line(`Silence ${id} expired at ${written.view.endsAt}.`);
    });

  silences
    .command('delete <id>')
    .description('delete a silence')
    .action(async (id: string, _options: object, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      await out.progress(`Deleting silence ${id}`, () => client.deleteSilence(id));
      if (!out.json) out.line(`Deleted silence ${id}.`);
    });
};
