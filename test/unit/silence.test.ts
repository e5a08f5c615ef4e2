import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HeraldEvent } from '../../shared/domain/event.ts';
import {
  inSchedule,
  localTime,
  mutedBy,
  mutes,
  Silence,
  SilenceInput,
  SilenceRecord,
  silenceStatus,
} from '../../shared/domain/silence.ts';

const event = (overrides: Partial<HeraldEvent> = {}): HeraldEvent => ({
  id: 'evt-1',
  type: 'deploy.finished',
  source: 'ci',
  time: '2026-11-25T10:00:00Z',
  subject: 'Deploy finished',
  severity: 'info',
  attributes: { environment: 'staging' },
  ...overrides,
});

const record = (overrides: Record<string, unknown> = {}): SilenceRecord =>
  SilenceRecord.parse({
    id: 'quiet',
    startsAt: '2026-11-25T09:00:00Z',
    endsAt: '2026-11-25T11:00:00Z',
    createdAt: '2026-11-25T09:00:00Z',
    updatedAt: '2026-11-25T09:00:00Z',
    version: 1,
    ...overrides,
  });

const at = (iso: string) => new Date(iso);

describe('silence validation', () => {
  it('needs an end or a schedule, an end after the start, and valid windows and zones', () => {
    const issues = (input: unknown) =>
      SilenceInput.safeParse(input).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(issues({ match: { environment: 'staging' } })).toEqual([
      'endsAt: give endsAt (a one-off silence) or schedule (a maintenance window)',
    ]);
    expect(issues({ startsAt: '2026-11-25T10:00:00Z', endsAt: '2026-11-25T09:00:00Z' })).toEqual([
      'endsAt: endsAt must be after startsAt',
    ]);
    expect(
      issues({
        schedule: { timezone: 'Mars/Olympus', windows: [{ days: ['sat'], from: '25:00', to: '01:00' }] },
      }),
    ).toEqual([
      'schedule.timezone: timezone must be an IANA time zone, e.g. Europe/Berlin or UTC',
      'schedule.windows.0.from: must be HH:MM (00:00 to 24:00)',
    ]);
    expect(
      issues({ schedule: { timezone: 'UTC', windows: [{ days: ['sun'], from: '01:00', to: '01:00' }] } }),
    ).toEqual(['schedule.windows.0.to: from and to must differ, and from must be before 24:00']);
    expect(Silence.safeParse({ id: 'x', endsAt: '2026-11-25T09:00:00Z', extra: 1 }).success).toBe(false);
  });
});

describe('silence status and matching', () => {
  it('is pending before its start, active until its end, expired from then on', () => {
    const silence = record();
    expect(silenceStatus(silence, at('2026-11-25T08:59:59Z'))).toBe('pending');
    expect(silenceStatus(silence, at('2026-11-25T09:00:00Z'))).toBe('active');
    expect(silenceStatus(silence, at('2026-11-25T10:59:59Z'))).toBe('active');
    expect(silenceStatus(silence, at('2026-11-25T11:00:00Z'))).toBe('expired');
  });

  it('mutes by type globs, attribute matchers (negations, source) and channels, only while active', () => {
    const now = at('2026-11-25T10:00:00Z');
    const silence = record({
      events: ['deploy.*'],
      match: { environment: ['staging', 'dev'], source: '!prod-*' },
    });
    expect(mutes(silence, event(), 'ops', now)).toBe(true);
    expect(mutes(silence, event({ type: 'backup.failed' }), 'ops', now)).toBe(false);
    expect(mutes(silence, event({ attributes: { environment: 'production' } }), 'ops', now)).toBe(false);
    expect(mutes(silence, event({ source: 'prod-ci' }), 'ops', now)).toBe(false);
    expect(mutes(silence, event(), 'ops', at('2026-11-25T12:00:00Z'))).toBe(false);
    const onlySlack = record({ channels: ['ops-slack'] });
    expect(mutes(onlySlack, event(), 'ops-slack', now)).toBe(true);
    expect(mutes(onlySlack, event(), 'ops-webhook', now)).toBe(false);
    expect(mutedBy([record({ id: 'other', match: { team: 'x' } }), silence], event(), 'ops', now)?.id).toBe(
      'quiet',
    );
  });

  it("mutes Herald's own events only when it names them", () => {
    const now = at('2026-11-25T10:00:00Z');
    const operational = event({ type: 'herald.channel.disabled', source: 'herald', attributes: {} });
    expect(mutes(record(), operational, 'ops', now)).toBe(false);
    expect(mutes(record({ events: ['*'] }), operational, 'ops', now)).toBe(false);
    expect(mutes(record({ events: ['herald.*'] }), operational, 'ops', now)).toBe(true);
    expect(mutes(record({ events: ['herald.delivery.*'] }), operational, 'ops', now)).toBe(false);
  });
});

describe('maintenance windows', () => {
  const window = (timezone: string, days: string[], from: string, to: string) =>
    SilenceRecord.parse({
      id: 'window',
      startsAt: '2026-01-01T00:00:00Z',
      schedule: { timezone, windows: [{ days, from, to }] },
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      version: 1,
    });

  it('reads local time in the zone (weekday and minute), Berlin, New York and Kathmandu', () => {
    // 2026-11-25 is a Wednesday.
    expect(localTime(at('2026-11-25T23:30:00Z'), 'Europe/Berlin')).toEqual({ day: 'thu', minute: 30 });
    expect(localTime(at('2026-11-25T03:00:00Z'), 'America/New_York')).toEqual({
      day: 'tue',
      minute: 22 * 60,
    });
    expect(localTime(at('2026-11-25T00:00:00Z'), 'Asia/Kathmandu')).toEqual({
      day: 'wed',
      minute: 5 * 60 + 45,
    });
  });

  it('matches weekday lists and windows running past midnight (on the day they start)', () => {
    const overnight = window('Europe/Berlin', ['fri'], '22:00', '06:00').schedule;
    if (overnight === undefined) throw new Error('no schedule');
    // Friday 2026-11-27 22:30 Berlin (21:30 UTC), Saturday 05:59, Saturday 06:00, Friday 21:59.
    expect(inSchedule(overnight, at('2026-11-27T21:30:00Z'))).toBe(true);
    expect(inSchedule(overnight, at('2026-11-28T04:59:00Z'))).toBe(true);
    expect(inSchedule(overnight, at('2026-11-28T05:00:00Z'))).toBe(false);
    expect(inSchedule(overnight, at('2026-11-27T20:59:00Z'))).toBe(false);
    // Saturday night is not a Friday window.
    expect(inSchedule(overnight, at('2026-11-28T21:30:00Z'))).toBe(false);
    const weekend = window('UTC', ['sat', 'sun'], '00:00', '24:00').schedule;
    if (weekend === undefined) throw new Error('no schedule');
    expect(inSchedule(weekend, at('2026-11-28T00:00:00Z'))).toBe(true);
    expect(inSchedule(weekend, at('2026-11-29T23:59:59Z'))).toBe(true);
    expect(inSchedule(weekend, at('2026-11-30T00:00:00Z'))).toBe(false);
  });

  it('keeps wall-clock windows across a daylight-saving change (Berlin, 29 March 2026)', () => {
    const nightly = window('Europe/Berlin', ['sun'], '01:00', '05:00').schedule;
    if (nightly === undefined) throw new Error('no schedule');
    // Clocks go from 02:00 CET to 03:00 CEST: 01:00 local is 00:00 UTC, 05:00 local is 03:00 UTC.
    expect(inSchedule(nightly, at('2026-03-28T23:59:00Z'))).toBe(false);
    expect(inSchedule(nightly, at('2026-03-29T00:00:00Z'))).toBe(true);
    expect(inSchedule(nightly, at('2026-03-29T02:59:00Z'))).toBe(true);
    expect(inSchedule(nightly, at('2026-03-29T03:00:00Z'))).toBe(false);
    // In winter the same window is 00:00 to 04:00 UTC.
    expect(inSchedule(nightly, at('2026-11-29T03:30:00Z'))).toBe(true);
    expect(inSchedule(nightly, at('2026-11-29T04:00:00Z'))).toBe(false);
  });

  it('a window and the window from its end to its start cover every instant exactly once (property)', () => {
    const clock = fc
      .integer({ min: 0, max: 23 * 60 + 59 })
      .map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
    fc.assert(
      fc.property(
        fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'),
        clock,
        clock,
        fc.date({
          min: new Date('2026-01-01T00:00:00Z'),
          max: new Date('2027-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        (zone, from, to, now) => {
          fc.pre(from !== to);
          const every = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
          const one = window(zone, every, from, to).schedule;
          const other = window(zone, every, to, from).schedule;
          if (one === undefined || other === undefined) return false;
          return inSchedule(one, now) !== inSchedule(other, now);
        },
      ),
    );
  });
});
