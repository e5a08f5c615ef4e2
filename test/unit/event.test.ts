import { describe, expect, it } from 'vitest';
import { ChannelInput } from '#shared/channels/input.ts';
import {
  EventInput,
  HeraldEvent,
  jsonBytes,
  MAX_DATA_DEPTH,
  nestsDeeperThan,
  normalizeEvent,
  type Severity,
  severityRank,
} from '#shared/domain/event.ts';

const valid = { type: 'request_created', source: 'dbward' };

const issuesOf = (input: unknown) => {
  const result = EventInput.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
};

describe('EventInput', () => {
  it("refuses source herald, which is reserved for Herald's own operational events", () => {
    const result = EventInput.safeParse({ type: 'deploy.finished', source: 'herald' });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['source'],
        message: "source herald is reserved for Herald's own operational events",
      }),
    ]);
  });

  it('accepts the full envelope from the contract', () => {
    // Prepare
    const envelope = {
      id: 'evt_01:abc-DEF',
      type: 'request_created',
      source: 'dbward',
      time: '2026-11-23T09:00:00Z',
      subject: 'Break-glass access used on app/production',
      severity: 'critical',
      attributes: { database: 'app', environment: 'production' },
      data: { any: 'json', nested: [1, null, true] },
    };

    // Act
    const result = EventInput.safeParse(envelope);

    // Assess
    expect(result.success).toBe(true);
    expect(result.data).toEqual(envelope);
  });

  it.each(['request_created', 'request.approved', 'a', '0', 'ns:thing-happened', `a${'b'.repeat(127)}`])(
    'accepts the type %s',
    (type) => {
      expect(issuesOf({ ...valid, type })).toEqual([]);
    },
  );

  it.each([
    ['has spaces', 'request created'],
    ['has upper case', 'RequestCreated'],
    ['starts with a dot', '.request'],
    ['starts with a dash', '-request'],
    ['is empty', ''],
    ['is over 128 characters', `a${'b'.repeat(128)}`],
    ['has a slash', 'request/created'],
  ])('rejects an event whose type %s', (_why, type) => {
    expect(issuesOf({ ...valid, type })).toEqual([
      { path: 'type', message: expect.stringContaining('type') },
    ]);
  });

  it.each([
    ['has spaces', 'db ward'],
    ['has upper case', 'DBWard'],
    ['starts with an underscore', '_dbward'],
  ])('rejects an event whose source %s', (_why, source) => {
    expect(issuesOf({ ...valid, source }).map((issue) => issue.path)).toEqual(['source']);
  });

  it('rejects an event without type or source', () => {
    expect(
      issuesOf({})
        .map((issue) => issue.path)
        .sort(),
    ).toEqual(['source', 'type']);
  });

  it.each(['ABC-123_x:y', 'a', 'x'.repeat(128), '01JD5X7Y8Z9ABCDEFGHJKMNPQR'])('accepts the id %s', (id) => {
    expect(issuesOf({ ...valid, id })).toEqual([]);
  });

  it.each([
    ['has a space', 'a b'],
    ['has a dot', 'a.b'],
    ['has a slash', 'a/b'],
    ['is empty', ''],
    ['is over 128 characters', 'x'.repeat(129)],
  ])('rejects an id that %s', (_why, id) => {
    expect(issuesOf({ ...valid, id }).map((issue) => issue.path)).toEqual(['id']);
  });

  it.each([
    '2026-11-23T09:00:00Z',
    '2026-11-23T09:00:00+01:00',
    '2026-11-23T09:00:00.123Z',
    '2026-11-23T09:00:00-05:30',
  ])('accepts the RFC 3339 time %s', (time) => {
    expect(issuesOf({ ...valid, time })).toEqual([]);
  });

  it.each([
    ['a date only', '2026-11-23'],
    ['no offset', '2026-11-23T09:00:00'],
    ['an impossible day', '2026-02-30T09:00:00Z'],
    ['free text', 'yesterday'],
    ['a number', 1795424400],
  ])('rejects a time that is %s', (_why, time) => {
    expect(issuesOf({ ...valid, time }).map((issue) => issue.path)).toEqual(['time']);
  });

  it('accepts a subject of exactly 256 characters', () => {
    expect(issuesOf({ ...valid, subject: 's'.repeat(256) })).toEqual([]);
  });

  it('rejects a subject over 256 characters', () => {
    expect(issuesOf({ ...valid, subject: 's'.repeat(257) })).toEqual([
      { path: 'subject', message: 'subject is at most 256 characters' },
    ]);
  });

  it.each(['two\nlines', 'carriage\rreturn'])(
    'rejects a subject that is not a single line (%j)',
    (subject) => {
      expect(issuesOf({ ...valid, subject })).toEqual([
        { path: 'subject', message: 'subject must be a single line' },
      ]);
    },
  );

  it.each(['info', 'warning', 'error', 'critical'])('accepts the severity %s', (severity) => {
    expect(issuesOf({ ...valid, severity })).toEqual([]);
  });

  it.each(['fatal', 'CRITICAL', 'warn', ''])('rejects the severity %j', (severity) => {
    expect(issuesOf({ ...valid, severity }).map((issue) => issue.path)).toEqual(['severity']);
  });

  it('accepts 32 attributes', () => {
    const attributes = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, 'v']));
    expect(issuesOf({ ...valid, attributes })).toEqual([]);
  });

  it('rejects 33 attributes', () => {
    const attributes = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
    expect(issuesOf({ ...valid, attributes })).toEqual([
      { path: 'attributes', message: 'at most 32 attributes' },
    ]);
  });

  it.each(['env', 'Env.Name_1-x', 'k'.repeat(64)])('accepts the attribute key %s', (key) => {
    expect(issuesOf({ ...valid, attributes: { [key]: 'v' } })).toEqual([]);
  });

  it.each([
    ['has a space', 'bad key'],
    ['has a colon', 'a:b'],
    ['is over 64 characters', 'k'.repeat(65)],
    ['is empty', ''],
  ])('rejects an attribute key that %s', (_why, key) => {
    expect(issuesOf({ ...valid, attributes: { [key]: 'v' } }).map((issue) => issue.path)).toEqual([
      `attributes.${key}`,
    ]);
  });

  it('rejects an attribute value over 256 characters with the attribute in the path', () => {
    expect(issuesOf({ ...valid, attributes: { environment: 'p'.repeat(257) } })).toEqual([
      { path: 'attributes.environment', message: 'attribute values are at most 256 characters' },
    ]);
  });

  it('rejects attribute values that are not strings', () => {
    expect(issuesOf({ ...valid, attributes: { replicas: 3 } }).map((issue) => issue.path)).toEqual([
      'attributes.replicas',
    ]);
  });

  it('rejects nested attributes', () => {
    expect(issuesOf({ ...valid, attributes: { env: { name: 'prod' } } }).map((issue) => issue.path)).toEqual([
      'attributes.env',
    ]);
  });

  it('rejects unknown top-level fields', () => {
    expect(issuesOf({ ...valid, priority: 'high' })).toEqual([
      { path: '', message: expect.stringContaining('priority') },
    ]);
  });

  it('accepts any JSON as data', () => {
    for (const data of [null, 1, 'text', [1, 2], { deep: { deeper: [{}] } }]) {
      expect(issuesOf({ ...valid, data })).toEqual([]);
    }
  });
});

/** A value `depth` containers deep, alternating objects and arrays, with a scalar at the bottom. */
const nested = (depth: number): unknown => {
  let value: unknown = 'bottom';
  for (let level = 0; level < depth; level += 1) value = level % 2 === 0 ? { next: value } : [value];
  return value;
};

describe('EventInput data nesting', () => {
  const tooDeep = { path: 'data', message: `data must not nest more than ${MAX_DATA_DEPTH} levels deep` };

  it('accepts data nested exactly 64 deep', () => {
    expect(MAX_DATA_DEPTH).toBe(64);
    expect(issuesOf({ ...valid, data: nested(64) })).toEqual([]);
  });

  it('rejects data nested 65 deep with one issue on data naming the limit', () => {
    expect(issuesOf({ ...valid, data: nested(65) })).toEqual([tooDeep]);
  });

  it.each([1_500, 2_500, 10_000, 100_000])('rejects data nested %i deep without throwing', (depth) => {
    // Prepare
    const event = { ...valid, data: nested(depth) };

    // Act
    const parse = () => EventInput.safeParse(event);

    // Assess
    expect(parse).not.toThrow();
    expect(issuesOf(event)).toEqual([tooDeep]);
  });

  it('rejects deep data sent as JSON text, as an ingest body arrives', () => {
    const event = JSON.parse(`{"type":"t","source":"s","data":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    expect(issuesOf(event)).toEqual([tooDeep]);
  });

  it('rejects deep data in an already accepted event too (queue messages)', () => {
    const event = {
      id: 'e1',
      ...valid,
      time: '2026-11-23T09:00:00Z',
      subject: 's',
      severity: 'info',
      attributes: {},
      data: nested(10_000),
    };
    expect(HeraldEvent.safeParse(event).error?.issues).toEqual([
      expect.objectContaining({ path: ['data'], message: tooDeep.message }),
    ]);
  });

  it('still rejects data that is not JSON within the depth limit', () => {
    expect(issuesOf({ ...valid, data: { when: new Date(0) } }).map((issue) => issue.path)).toEqual(['data']);
  });
});

describe('nestsDeeperThan', () => {
  it.each([
    ['a scalar', 'text', 0],
    ['null', null, 0],
    ['an empty object', {}, 1],
    ['an empty array', [], 1],
    ['an array of objects', [{ a: 1 }, { b: [] }], 3],
    ['the deepest branch, not the first', { a: 1, b: { c: { d: [] } } }, 4],
  ])('measures %s as %i deep', (_what, value, depth) => {
    expect(nestsDeeperThan(value, depth)).toBe(false);
    if (depth > 0) expect(nestsDeeperThan(value, depth - 1)).toBe(true);
  });

  it('walks a million levels without recursion', () => {
    expect(nestsDeeperThan(nested(1_000_000), MAX_DATA_DEPTH)).toBe(true);
  });
});

describe('normalizeEvent', () => {
  const acceptedAt = new Date('2026-11-23T09:00:00.000Z');

  it('applies the contract defaults to a minimal event', () => {
    // Prepare
    const input = EventInput.parse({ type: 'deploy.finished', source: 'ci' });

    // Act
    const event = normalizeEvent(input, acceptedAt, () => 'generated-id');

    // Assess
    expect(event).toEqual({
      id: 'generated-id',
      type: 'deploy.finished',
      source: 'ci',
      time: '2026-11-23T09:00:00.000Z',
      subject: 'deploy.finished',
      severity: 'info',
      attributes: {},
    });
    expect('data' in event).toBe(false);
  });

  it('keeps every field the producer set and does not call the id generator', () => {
    // Prepare
    const input = EventInput.parse({
      id: 'mine',
      type: 't',
      source: 's',
      time: '2020-01-01T00:00:00Z',
      subject: 'Hello',
      severity: 'error',
      attributes: { a: 'b' },
      data: null,
    });
    let generated = 0;

    // Act
    const event = normalizeEvent(input, acceptedAt, () => {
      generated += 1;
      return 'unused';
    });

    // Assess
    expect(event).toEqual({
      id: 'mine',
      type: 't',
      source: 's',
      time: '2020-01-01T00:00:00Z',
      subject: 'Hello',
      severity: 'error',
      attributes: { a: 'b' },
      data: null,
    });
    expect(generated).toBe(0);
  });
});

describe('severityRank', () => {
  it('orders info < warning < error < critical', () => {
    const severities: Severity[] = ['critical', 'info', 'error', 'warning'];
    expect(severities.sort((a, b) => severityRank(a) - severityRank(b))).toEqual([
      'info',
      'warning',
      'error',
      'critical',
    ]);
  });
});

describe('jsonBytes', () => {
  it('counts UTF-8 bytes of the serialized value', () => {
    expect(jsonBytes({ a: 'é' })).toBe(Buffer.byteLength('{"a":"é"}', 'utf8'));
  });
});

describe('ChannelInput webhook headers', () => {
  const channel = (headers: Record<string, string>) =>
    ChannelInput.safeParse({ type: 'webhook', config: { url: 'https://example.com/x', headers } });

  it('accepts ordinary custom headers', () => {
    expect(channel({ authorization: 'Bearer x', 'x-team': 'ops' }).success).toBe(true);
  });

  it.each([['Content-Type'], ['webhook-signature'], ['Host']])('refuses the reserved header %s', (name) => {
    expect(channel({ [name]: 'x' }).success).toBe(false);
  });

  it('refuses a header value with a line break', () => {
    expect(channel({ 'x-team': 'ops\r\nx-evil: 1' }).success).toBe(false);
  });
});
