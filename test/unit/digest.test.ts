/**
 * The digest domain (SPEC §3 `digest`): the period an instant falls in, in wall-clock time of the
 * digest's zone (daylight-saving changes included), the settings' validation, the summary every
 * channel renders, and fitting lines into a budget.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildDigest,
  type DigestEntry,
  DigestSettings,
  digestCounts,
  digestEvent,
  digestPeriod,
  digestPeriodText,
  digestTitle,
  fitLines,
  moreText,
} from '#shared/domain/digest.ts';
import { SEVERITIES } from '#shared/domain/event.ts';

const HOUR_MS = 3_600_000;

/** The period as ISO strings and its length in hours. */
const periodAt = (settings: DigestSettings, now: string) => {
  const { start, end } = digestPeriod(settings, new Date(now));
  return {
    start: start.toISOString(),
    end: end.toISOString(),
    hours: (end.getTime() - start.getTime()) / HOUR_MS,
  };
};

/** `HH:MM` of an instant in a zone. */
const localClock = (instant: Date, timezone: string): string =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(instant);

/** Every period from `from` until `until`, in order. */
const periodsBetween = (settings: DigestSettings, from: string, until: string) => {
  const periods: { start: Date; end: Date }[] = [];
  let next = new Date(from);
  while (next.getTime() < Date.parse(until)) {
    const period = digestPeriod(settings, next);
    periods.push(period);
    next = period.end;
  }
  return periods;
};

describe('digestPeriod in UTC', () => {
  it.each([
    [{ every: '10s' }, '2026-12-07T09:00:07Z', '2026-12-07T09:00:00.000Z', '2026-12-07T09:00:10.000Z'],
    [{ every: '15m' }, '2026-12-07T09:07:00Z', '2026-12-07T09:00:00.000Z', '2026-12-07T09:15:00.000Z'],
    [
      { every: '15m', at: '00:05' },
      '2026-12-07T09:07:00Z',
      '2026-12-07T09:05:00.000Z',
      '2026-12-07T09:20:00.000Z',
    ],
    [
      { every: '1h', at: '00:30' },
      '2026-12-07T09:10:00Z',
      '2026-12-07T08:30:00.000Z',
      '2026-12-07T09:30:00.000Z',
    ],
    [{ every: '4h' }, '2026-12-07T09:10:00Z', '2026-12-07T08:00:00.000Z', '2026-12-07T12:00:00.000Z'],
    [{ every: '1d' }, '2026-12-07T09:10:00Z', '2026-12-07T00:00:00.000Z', '2026-12-08T00:00:00.000Z'],
    [
      { every: '1d', at: '09:00' },
      '2026-12-07T08:59:59Z',
      '2026-12-06T09:00:00.000Z',
      '2026-12-07T09:00:00.000Z',
    ],
    [
      { every: '1d', at: '09:00' },
      '2026-12-07T09:00:00Z',
      '2026-12-07T09:00:00.000Z',
      '2026-12-08T09:00:00.000Z',
    ],
  ])('%o at %s runs from %s to %s', (settings, now, start, end) => {
    // Act
    const period = periodAt(settings, now);

    // Assess
    expect(period).toMatchObject({ start, end });
  });

  it('cuts the last 5h period of a day short at the next day anchor', () => {
    // Act
    const periods = periodsBetween(
      { every: '5h', at: '06:00' },
      '2026-12-07T06:00:00Z',
      '2026-12-08T06:00:00Z',
    );

    // Assess
    expect(periods.map(({ start }) => start.toISOString().slice(11, 16))).toEqual([
      '06:00',
      '11:00',
      '16:00',
      '21:00',
      '02:00',
    ]);
    expect(periods.at(-1)?.end.toISOString()).toBe('2026-12-08T06:00:00.000Z');
    expect(periods.map(({ start, end }) => (end.getTime() - start.getTime()) / HOUR_MS)).toEqual([
      5, 5, 5, 5, 4,
    ]);
  });
});

describe('digestPeriod in Europe/Berlin', () => {
  const daily = { every: '1d', at: '09:00', timezone: 'Europe/Berlin' };

  it('runs a daily digest from 09:00 to 09:00 local in winter', () => {
    // Act
    const period = periodAt(daily, '2026-12-07T07:30:00Z');

    // Assess: 08:30 CET is still in the period that began yesterday at 09:00 CET.
    expect(period).toEqual({ start: '2026-12-06T08:00:00.000Z', end: '2026-12-07T08:00:00.000Z', hours: 24 });
  });

  it('makes the daily period across the spring change (2026-03-29) 23 hours long', () => {
    // Act
    const period = periodAt(daily, '2026-03-28T12:00:00Z');

    // Assess: 09:00 CET on the 28th to 09:00 CEST on the 29th.
    expect(period).toEqual({ start: '2026-03-28T08:00:00.000Z', end: '2026-03-29T07:00:00.000Z', hours: 23 });
    expect(periodAt(daily, '2026-03-29T07:00:00Z')).toMatchObject({
      start: '2026-03-29T07:00:00.000Z',
      hours: 24,
    });
  });

  it('makes the daily period across the autumn change (2026-10-25) 25 hours long', () => {
    // Act
    const period = periodAt(daily, '2026-10-24T12:00:00Z');

    // Assess: 09:00 CEST on the 24th to 09:00 CET on the 25th. digest.ts ends it after 24 hours
    // (08:00 CET) and then makes a 1-hour period 08:00–09:00 CET: two digests that day.
    expect(period).toEqual({ start: '2026-10-24T07:00:00.000Z', end: '2026-10-25T08:00:00.000Z', hours: 25 });
  });

  it.each([
    ['2026-03-29', '2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z', 23],
    ['2026-10-25', '2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z', 25],
    ['2026-12-07', '2026-12-06T23:00:00Z', '2026-12-07T23:00:00Z', 24],
  ])('splits %s into %#: whole local hours, one per hour of the day', (_day, from, until, hours) => {
    // Act
    const periods = periodsBetween({ every: '1h', timezone: 'Europe/Berlin' }, from, until);

    // Assess
    expect(periods).toHaveLength(hours);
    for (const { start, end } of periods) {
      expect(end.getTime() - start.getTime()).toBe(HOUR_MS);
      expect(localClock(start, 'Europe/Berlin').endsWith(':00')).toBe(true);
    }
  });

  it('starts 7-day periods on Mondays at `at`', () => {
    // Act: Thursday 10 December, and Monday 7 December before 09:00.
    const thursday = periodAt(
      { every: '7d', at: '09:00', timezone: 'Europe/Berlin' },
      '2026-12-10T12:00:00Z',
    );
    const earlyMonday = periodAt(
      { every: '7d', at: '09:00', timezone: 'Europe/Berlin' },
      '2026-12-07T07:00:00Z',
    );

    // Assess
    expect(thursday).toEqual({
      start: '2026-12-07T08:00:00.000Z',
      end: '2026-12-14T08:00:00.000Z',
      hours: 168,
    });
    expect(earlyMonday).toEqual({
      start: '2026-11-30T08:00:00.000Z',
      end: '2026-12-07T08:00:00.000Z',
      hours: 168,
    });
  });

  it('makes the 7-day period across the spring change 167 hours long, still Monday to Monday', () => {
    // Act
    const period = periodAt({ every: '7d', at: '09:00', timezone: 'Europe/Berlin' }, '2026-03-26T12:00:00Z');

    // Assess
    expect(period).toEqual({
      start: '2026-03-23T08:00:00.000Z',
      end: '2026-03-30T07:00:00.000Z',
      hours: 167,
    });
  });
});

describe('digestPeriod in America/New_York and Asia/Kathmandu', () => {
  it('makes the daily period across the spring change (2026-03-08) 23 hours long', () => {
    // Act
    const period = periodAt(
      { every: '1d', at: '09:00', timezone: 'America/New_York' },
      '2026-03-08T12:00:00Z',
    );

    // Assess: 09:00 EST on the 7th to 09:00 EDT on the 8th.
    expect(period).toEqual({ start: '2026-03-07T14:00:00.000Z', end: '2026-03-08T13:00:00.000Z', hours: 23 });
  });

  it('reads an `at` skipped by the spring change an hour later on the clock, as documented', () => {
    // Act: 02:30 does not exist in New York on 2026-03-08 (02:00 EST jumps to 03:00 EDT).
    const period = periodAt(
      { every: '1d', at: '02:30', timezone: 'America/New_York' },
      '2026-03-08T12:00:00Z',
    );

    // Assess: "read with the offset before it" is 02:30 EST = 03:30 EDT = 07:30Z. digest.ts gives
    // 06:30Z (01:30 EST, an hour earlier); in Europe/Berlin it does come out an hour later.
    expect(period.start).toBe('2026-03-08T07:30:00.000Z');
  });

  it('reads an `at` skipped by the spring change in Berlin as an hour later on the clock', () => {
    // Act
    const period = periodAt({ every: '1d', at: '02:30', timezone: 'Europe/Berlin' }, '2026-03-29T12:00:00Z');

    // Assess: 02:30 CET = 03:30 CEST.
    expect(period.start).toBe('2026-03-29T01:30:00.000Z');
  });

  it('makes hourly periods whole local hours at +05:45', () => {
    // Act
    const period = periodAt({ every: '1h', timezone: 'Asia/Kathmandu' }, '2026-12-07T22:00:00Z');

    // Assess: 03:45 local falls in 03:00–04:00 local.
    expect(period).toEqual({ start: '2026-12-07T21:15:00.000Z', end: '2026-12-07T22:15:00.000Z', hours: 1 });
  });

  it('anchors 15-minute periods and 7-day periods at `at` local time at +05:45', () => {
    // Act
    const quarter = periodAt(
      { every: '15m', at: '09:00', timezone: 'Asia/Kathmandu' },
      '2026-12-07T03:20:00Z',
    );
    const week = periodAt({ every: '7d', at: '09:00', timezone: 'Asia/Kathmandu' }, '2026-12-10T12:00:00Z');

    // Assess: 09:05 local is in 09:00–09:15; the week starts Monday 7 December, 09:00 local.
    expect(quarter).toMatchObject({ start: '2026-12-07T03:15:00.000Z', end: '2026-12-07T03:30:00.000Z' });
    expect(week).toMatchObject({ start: '2026-12-07T03:15:00.000Z', end: '2026-12-14T03:15:00.000Z' });
  });
});

describe('digestPeriod properties', () => {
  const settings = fc.record({
    every: fc.constantFrom(
      '10s',
      '45s',
      '1m',
      '15m',
      '1h',
      '90m',
      '4h',
      '5h',
      '7h',
      '12h',
      '1d',
      '24h',
      '2d',
      '3d',
      '7d',
    ),
    at: fc.option(
      fc
        .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
        .map(([hours, minutes]) => `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`),
      { nil: undefined },
    ),
    timezone: fc.constantFrom(
      'UTC',
      'Europe/Berlin',
      'America/New_York',
      'Asia/Kathmandu',
      'Australia/Lord_Howe',
      'America/St_Johns',
      'Pacific/Chatham',
    ),
  });
  const instant = fc.date({
    min: new Date('2020-01-01T00:00:00Z'),
    max: new Date('2030-12-31T00:00:00Z'),
    noInvalidDate: true,
  });

  it('puts every instant in a period that starts at or before it and ends after it, tiling time', () => {
    fc.assert(
      fc.property(settings, instant, (digest, now) => {
        // Act
        const period = digestPeriod(digest, now);
        const next = digestPeriod(digest, period.end);
        const same = digestPeriod(digest, period.start);

        // Assess
        expect(period.start.getTime()).toBeLessThanOrEqual(now.getTime());
        expect(period.end.getTime()).toBeGreaterThan(now.getTime());
        expect(next.start.getTime()).toBe(period.end.getTime());
        expect(same).toEqual(period);
      }),
      { numRuns: 400 },
    );
  });
});

describe('DigestSettings', () => {
  it('accepts a period with its anchor, zone and critical events', () => {
    // Act
    const parsed = DigestSettings.safeParse({
      every: '7d',
      at: '09:00',
      timezone: 'Europe/Berlin',
      includeCritical: true,
    });

    // Assess
    expect(parsed.success).toBe(true);
    expect(DigestSettings.safeParse({ every: '10s' }).success).toBe(true);
    expect(DigestSettings.safeParse({ every: '48h' }).success).toBe(true);
  });

  it.each([
    [{ every: '5s' }, 'every must be at least 10s'],
    [{ every: '8d' }, 'every must be at most 7d'],
    [{ every: '36h' }, 'every longer than a day must be whole days'],
    [{ every: '10.5s' }, 'every must be whole seconds'],
    [{ every: 'soon' }, 'every must be a duration such as "15m", "1h" or "1d"'],
    [
      { every: '1d', timezone: 'Mars/Olympus_Mons' },
      'timezone must be an IANA time zone, e.g. Europe/Berlin or UTC',
    ],
    [{ every: '1d', at: '24:00' }, 'at must be HH:MM (00:00 to 23:59)'],
    [{ every: '1d', at: '9:00' }, 'at must be HH:MM (00:00 to 23:59)'],
  ])('refuses %o: %s', (input, message) => {
    // Act
    const parsed = DigestSettings.safeParse(input);

    // Assess
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.message)).toContain(message);
  });

  it('refuses fields it does not know', () => {
    expect(DigestSettings.safeParse({ every: '1h', cron: '* * * * *' }).success).toBe(false);
  });
});

const entry = (parts: Partial<DigestEntry> & Pick<DigestEntry, 'eventId' | 'time'>): DigestEntry => ({
  type: 'deploy.finished',
  source: 'ci',
  subject: `Event ${parts.eventId}`,
  severity: 'info',
  deliveryId: `msg-${parts.eventId}`,
  ...parts,
});

const META = {
  digestId: 'dgst_1',
  channelId: 'ops',
  periodStart: '2026-12-07T08:00:00.000Z',
  periodEnd: '2026-12-07T09:00:00.000Z',
  timezone: 'Europe/Berlin',
};

describe('buildDigest', () => {
  it('lists events newest first (ties by id) and counts them by type and severity', () => {
    // Prepare
    const entries = [
      entry({ eventId: 'a', time: '2026-12-07T08:10:00Z', type: 'build.failed', severity: 'error' }),
      entry({ eventId: 'c', time: '2026-12-07T08:50:00Z' }),
      entry({ eventId: 'b', time: '2026-12-07T08:50:00Z', severity: 'warning' }),
      entry({ eventId: 'd', time: '2026-12-07T08:20:00Z', type: 'build.failed' }),
      entry({ eventId: 'e', time: '2026-12-07T08:30:00Z', type: 'audit.read' }),
    ];

    // Act
    const digest = buildDigest(META, entries);

    // Assess
    expect(digest.entries.map((item) => item.eventId)).toEqual(['c', 'b', 'e', 'd', 'a']);
    expect(digest.total).toBe(5);
    expect(digest.byType).toEqual([
      { type: 'build.failed', count: 2 },
      { type: 'deploy.finished', count: 2 },
      { type: 'audit.read', count: 1 },
    ]);
    expect(digest.bySeverity).toEqual([
      { severity: 'error', count: 1 },
      { severity: 'warning', count: 1 },
      { severity: 'info', count: 3 },
    ]);
    expect(digest.severity).toBe('error');
    expect(digest.period).toEqual({
      start: META.periodStart,
      end: META.periodEnd,
      timezone: 'Europe/Berlin',
    });
  });

  it('orders by instant, not by the text of the time', () => {
    // Prepare: the same instant written three ways producers may write RFC 3339.
    const entries = [
      entry({ eventId: 'whole', time: '2026-12-07T09:00:00Z' }),
      entry({ eventId: 'half', time: '2026-12-07T09:00:00.500Z' }),
      entry({ eventId: 'offset', time: '2026-12-07T10:30:00+02:00' }),
    ];

    // Act
    const digest = buildDigest(META, entries);

    // Assess: 09:00:00.5Z is the newest, 08:30Z the oldest; digest.ts compares the strings and gives
    // offset, whole, half.
    expect(digest.entries.map((item) => item.eventId)).toEqual(['half', 'whole', 'offset']);
  });
});

describe('digest texts', () => {
  it('titles and counts a digest', () => {
    // Prepare
    const one = buildDigest(META, [entry({ eventId: 'a', time: '2026-12-07T08:10:00Z' })]);
    const many = buildDigest(
      META,
      Array.from({ length: 30 }, (_, index) =>
        entry({ eventId: `e${index}`, time: '2026-12-07T08:10:00Z', severity: index < 2 ? 'error' : 'info' }),
      ),
    );

    // Act & Assess
    expect(digestTitle(one)).toBe('Digest: 1 event (1 info)');
    expect(digestTitle(many)).toBe('Digest: 30 events (2 error, 28 info)');
    expect(digestCounts(many)).toBe('30 events (2 error, 28 info)');
    expect(moreText(12)).toBe('and 12 more');
  });

  it('shows the period in its zone, the date once when it is one day', () => {
    // Act
    const hour = digestPeriodText({
      period: { start: META.periodStart, end: META.periodEnd, timezone: 'Europe/Berlin' },
    });
    const day = digestPeriodText({
      period: {
        start: '2026-12-06T08:00:00.000Z',
        end: '2026-12-07T08:00:00.000Z',
        timezone: 'Europe/Berlin',
      },
    });

    // Assess
    expect(hour).toBe('07 Dec 2026, 09:00 – 10:00 (Europe/Berlin)');
    expect(day).toBe('06 Dec 2026, 09:00 – 07 Dec 2026, 09:00 (Europe/Berlin)');
  });

  it('makes the digest an envelope listing every event id, or the newest with the rest in `more`', () => {
    // Prepare
    const digest = buildDigest(
      META,
      Array.from({ length: 5 }, (_, index) =>
        entry({ eventId: `e${index}`, time: `2026-12-07T08:1${index}:00Z` }),
      ),
    );

    // Act
    const whole = digestEvent(digest);
    const cut = digestEvent(digest, 2);

    // Assess
    expect(whole).toMatchObject({
      id: 'dgst_1',
      type: 'herald.digest',
      source: 'herald',
      time: META.periodEnd,
    });
    expect(whole.data).toMatchObject({ total: 5, more: 0 });
    expect(cut.data).toMatchObject({ total: 5, more: 3, events: [{ eventId: 'e4' }, { eventId: 'e3' }] });
    expect(JSON.stringify(whole)).not.toContain('deliveryId');
  });
});

describe('fitLines', () => {
  it('keeps room for "and N more" and never passes its budget', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 200 }), { maxLength: 300 }),
        fc.integer({ min: 20, max: 5000 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 3 }),
        (items, maxChars, maxLines, separatorChars) => {
          // Act
          const { lines, more } = fitLines(items, (item) => `• ${item}`, {
            maxChars,
            maxLines,
            separatorChars,
          });

          // Assess
          expect(lines.length + more).toBe(items.length);
          expect(lines).toEqual(items.slice(0, lines.length).map((item) => `• ${item}`));
          const shown = more === 0 ? lines : [...lines, moreText(more)];
          expect(shown.length).toBeLessThanOrEqual(maxLines);
          const used = shown.reduce((sum, line) => sum + line.length + separatorChars, 0);
          expect(used).toBeLessThanOrEqual(maxChars);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('shows every line when all fit', () => {
    // Act
    const fitted = fitLines(['a', 'b', 'c'], (item) => item, { maxChars: 100, maxLines: 3 });

    // Assess
    expect(fitted).toEqual({ lines: ['a', 'b', 'c'], more: 0 });
  });

  it('counts what it left out when the lines run out', () => {
    // Act
    const fitted = fitLines(['a', 'b', 'c', 'd'], (item) => item, { maxChars: 100, maxLines: 3 });

    // Assess
    expect(fitted).toEqual({ lines: ['a', 'b'], more: 2 });
  });
});

describe('digest severities', () => {
  it.each(SEVERITIES)('takes %s as the digest severity when it is the highest', (severity) => {
    // Act
    const digest = buildDigest(META, [
      entry({ eventId: 'a', time: '2026-12-07T08:10:00Z', severity: 'info' }),
      entry({ eventId: 'b', time: '2026-12-07T08:11:00Z', severity }),
    ]);

    // Assess
    expect(digest.severity).toBe(severity);
  });
});
