import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HeraldEvent, SEVERITIES } from '#shared/domain/event.ts';
import { compileGlob, globMatches } from '#shared/domain/glob.ts';
import { type RoutableChannel, type RoutablePolicy, route } from '#shared/domain/matcher.ts';
import { PolicyIndex } from '#shared/domain/policy-index.ts';
import { channel, event, policy } from './routing-fixtures.ts';

/** Both answers, so a failure shows what the scan and the index each said. */
const both = (
  routed: HeraldEvent,
  policies: readonly RoutablePolicy[],
  channels: readonly RoutableChannel[],
) => ({
  scan: route(routed, policies, channels),
  index: new PolicyIndex(policies, channels).match(routed),
});

describe('PolicyIndex (examples)', () => {
  it('finds a policy filed under an exact attribute value, and not for another value', () => {
    // Prepare
    const index = new PolicyIndex([policy({ id: 'acme', match: { tenant: 'acme' } })], [channel('ops')]);

    // Act
    const acme = index.match(event());
    const other = index.match(event({ attributes: { tenant: 'globex' } }));

    // Assess
    expect(acme.routes).toEqual([{ channelId: 'ops', policyIds: ['acme'] }]);
    expect(other.routes).toEqual([]);
  });

  it('finds a policy by a literal type prefix, an exact type, and source falling back to the event source', () => {
    // Prepare
    const policies = [
      policy({ id: 'requests', events: ['request.*'], channels: ['a'] }),
      policy({ id: 'approved', events: ['request.approved'], channels: ['b'] }),
      policy({ id: 'deploys', events: ['deploy.*'], channels: ['c'] }),
      policy({ id: 'from-dbward', match: { source: 'dbward' }, channels: ['d'] }),
    ];
    const channels = ['a', 'b', 'c', 'd'].map((id) => channel(id));

    // Act
    const { scan, index } = both(event(), policies, channels);

    // Assess
    expect(index.routes.map((target) => target.channelId)).toEqual(['a', 'b', 'd']);
    expect(index).toEqual(scan);
  });

  it('checks the remainder (every type, only glob and ! conditions) for every event', () => {
    // Prepare
    const policies = [
      policy({ id: 'not-staging', match: { environment: '!staging' } }),
      policy({ id: 'eu', match: { region: 'eu-*' } }),
    ];

    // Act
    const { scan, index } = both(event(), policies, [channel('ops')]);

    // Assess
    expect(index.routes).toEqual([{ channelId: 'ops', policyIds: ['not-staging'] }]);
    expect(index).toEqual(scan);
  });

  it('keeps the scan order of policy ids within a route and of routes, and reports missing channels', () => {
    // Prepare: the type-filed policy comes first in the list, the attribute-filed one second.
    const policies = [
      policy({ id: 'typed', events: ['request.approved'], channels: ['audit', 'ghost'] }),
      policy({ id: 'tenant', match: { tenant: 'acme' }, channels: ['ops', 'audit', 'off'] }),
    ];
    const channels = [
      channel('ops', { events: ['request.*'] }),
      channel('audit'),
      channel('off', { enabled: false }),
    ];

    // Act
    const { scan, index } = both(event(), policies, channels);

    // Assess
    expect(index).toEqual({
      routes: [
        { channelId: 'audit', policyIds: ['typed', 'tenant'] },
        { channelId: 'ops', policyIds: ['tenant', 'channel:ops'] },
      ],
      missingChannels: ['ghost', 'off'],
    });
    expect(index).toEqual(scan);
  });

  it('reports many matches found under different keys in policy order', () => {
    // Prepare: 40 policies, filed alternately under the event's type and under its tenant.
    const policies = Array.from({ length: 40 }, (_, n) =>
      n % 2 === 0
        ? policy({ id: `p${n}`, events: ['request.approved'] })
        : policy({ id: `p${n}`, match: { tenant: 'acme' } }),
    );

    // Act
    const { scan, index } = both(event(), policies, [channel('ops')]);

    // Assess
    expect(index.routes).toEqual([{ channelId: 'ops', policyIds: policies.map(({ id }) => id) }]);
    expect(index).toEqual(scan);
  });

  it('ignores a disabled policy and one whose minSeverity the event does not reach', () => {
    // Prepare
    const policies = [
      policy({ id: 'off', enabled: false, match: { tenant: 'acme' } }),
      policy({ id: 'loud', minSeverity: 'critical', match: { tenant: 'acme' } }),
    ];

    // Act
    const { scan, index } = both(event(), policies, [channel('ops')]);

    // Assess
    expect(index.routes).toEqual([]);
    expect(index).toEqual(scan);
  });

  it('does not take an inherited property for an attribute (constructor is absent, not a function)', () => {
    // Prepare
    const policies = [policy({ id: 'ctor', match: { constructor: '*' } })];

    // Act
    const { scan, index } = both(event(), policies, [channel('ops')]);

    // Assess
    expect(index.routes).toEqual([]);
    expect(index).toEqual(scan);
  });

  it('answers many events from one index (a candidate collected for one event is collected for the next)', () => {
    // Prepare
    const policies = [policy({ id: 'acme', match: { tenant: 'acme' }, events: ['request.*'] })];
    const index = new PolicyIndex(policies, [channel('ops')]);

    // Act
    const answers = [event(), event(), event({ type: 'deploy.done' }), event()].map((each) =>
      index.match(each),
    );

    // Assess
    expect(answers.map((answer) => answer.routes.length)).toEqual([1, 1, 0, 1]);
  });

  it('looks policies up by id, the first of a repeated id winning as Array.find would', () => {
    // Prepare
    const first = policy({ id: 'p', channels: ['a'] });
    const index = new PolicyIndex([first, policy({ id: 'p', channels: ['b'] })], []);

    // Act
    const found = index.policyById.get('p');

    // Assess
    expect(found).toBe(first);
  });
});

/** Small alphabets so that types, globs and values collide often (`?` and `*` included, `!` as a value). */
const typeGlob = fc.oneof(
  fc.constantFrom('*', 'a.*', 'a.b', 'a', 'b.*', 'a?', '*.b', ''),
  fc.string({ unit: fc.constantFrom('a', 'b', '.', '*', '?'), maxLength: 4 }),
);
const eventType = fc.string({ unit: fc.constantFrom('a', 'b', '.'), maxLength: 4 });
const valueGlob = fc.oneof(
  fc.constantFrom('x', 'y', 'xy', '*', 'x*', '*y', '?', ''),
  fc.string({ unit: fc.constantFrom('x', 'y', '*', '?', '!'), maxLength: 3 }),
);
const pattern = fc.tuple(fc.boolean(), valueGlob).map(([negated, glob]) => (negated ? `!${glob}` : glob));
const eventValue = fc.oneof(
  fc.constantFrom('x', 'y', 'xy', 'src'),
  fc.string({ unit: fc.constantFrom('x', 'y', '*', '!'), maxLength: 3 }),
);
interface Pools {
  readonly attributes: readonly string[];
  readonly channels: readonly string[];
  readonly typeGlob: fc.Arbitrary<string>;
  readonly pattern: fc.Arbitrary<string>;
  readonly eventValue: fc.Arbitrary<string>;
  /** How many attributes an event has, at least and at most. */
  readonly eventAttributes: readonly [number, number];
}
const few: Pools = {
  attributes: ['tenant', 'env', 'source', 'region', 'constructor'],
  channels: ['c0', 'c1', 'c2', 'c3', 'c4'],
  typeGlob,
  pattern,
  eventValue,
  eventAttributes: [0, 6],
};
/**
 * Many attribute names and channels, mostly literal patterns that events' values meet: policies are
 * filed under many attributes and an event matches many of them, reaching many channels.
 */
const many: Pools = {
  attributes: [...few.attributes, ...Array.from({ length: 12 }, (_, n) => `k${n}`)],
  channels: Array.from({ length: 40 }, (_, n) => `c${n}`),
  typeGlob: fc.oneof({ arbitrary: fc.constant('*'), weight: 4 }, { arbitrary: typeGlob, weight: 1 }),
  pattern: fc.oneof(
    { arbitrary: fc.constantFrom('x', 'y', '!y'), weight: 4 },
    { arbitrary: pattern, weight: 1 },
  ),
  eventValue: fc.oneof({ arbitrary: fc.constant('x'), weight: 4 }, { arbitrary: eventValue, weight: 1 }),
  eventAttributes: [8, 16],
};

const arbitraryPolicy = (pools: Pools): fc.Arbitrary<RoutablePolicy> =>
  fc.record({
    id: fc.constantFrom('p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'),
    enabled: fc.oneof(
      { arbitrary: fc.constant(true), weight: 4 },
      { arbitrary: fc.constant(false), weight: 1 },
    ),
    events: fc.array(pools.typeGlob, { maxLength: 3 }),
    match: fc.dictionary(
      fc.constantFrom(...pools.attributes),
      fc.oneof(pools.pattern, fc.array(pools.pattern, { minLength: 1, maxLength: 3 })),
      { maxKeys: 3 },
    ),
    minSeverity: fc.constantFrom(...SEVERITIES),
    channels: fc.array(fc.constantFrom(...pools.channels, 'ghost'), { minLength: 1, maxLength: 4 }),
  });

const arbitraryChannel = (pools: Pools): fc.Arbitrary<RoutableChannel> =>
  fc.record(
    {
      id: fc.constantFrom(...pools.channels),
      enabled: fc.oneof(
        { arbitrary: fc.constant(true), weight: 3 },
        { arbitrary: fc.constant(false), weight: 1 },
      ),
      events: fc.array(pools.typeGlob, { maxLength: 2 }),
    },
    { requiredKeys: ['id', 'enabled'] },
  );

const arbitraryEvent = (pools: Pools): fc.Arbitrary<HeraldEvent> =>
  fc.record({
    id: fc.constant('evt'),
    type: eventType,
    source: fc.constantFrom('src', 'x', 'y'),
    time: fc.constant('2026-11-23T09:00:00Z'),
    subject: fc.constant('subject'),
    severity: fc.constantFrom(...SEVERITIES),
    attributes: fc.dictionary(
      fc.constantFrom(...pools.attributes.filter((name) => name !== 'constructor'), 'other'),
      pools.eventValue,
      { minKeys: pools.eventAttributes[0], maxKeys: pools.eventAttributes[1] },
    ),
  });

/** Routes sorted by channel with policy ids as sets, and missing channels as a set. */
const normalized = (result: ReturnType<typeof route>) => ({
  routes: [...result.routes]
    .sort((a, b) => a.channelId.localeCompare(b.channelId))
    .map((target) => ({ channelId: target.channelId, policyIds: new Set(target.policyIds) })),
  missingChannels: new Set(result.missingChannels),
});

/** The index answers each event as the scan does, for random policies, channels and events. */
const agreesWithTheScan = (
  pools: Pools,
  sizes: { policies: readonly [number, number]; channels: readonly [number, number] },
) =>
  fc.property(
    fc.array(arbitraryPolicy(pools), { minLength: sizes.policies[0], maxLength: sizes.policies[1] }),
    fc.array(arbitraryChannel(pools), { minLength: sizes.channels[0], maxLength: sizes.channels[1] }),
    fc.array(arbitraryEvent(pools), { minLength: 1, maxLength: 4 }),
    (policies, channels, events) => {
      // Prepare
      const index = new PolicyIndex(policies, channels);

      for (const routed of events) {
        // Act
        const indexed = index.match(routed);
        const scanned = route(routed, policies, channels);

        // Assess: the same up to order, and in fact in the same order
        expect(normalized(indexed)).toEqual(normalized(scanned));
        expect(indexed).toEqual(scanned);
      }
    },
  );

describe('PolicyIndex (properties)', () => {
  it('returns what the linear scan returns, for any policies, channels and events', () => {
    fc.assert(agreesWithTheScan(few, { policies: [0, 12], channels: [0, 6] }), { numRuns: 2000 });
  });

  it('returns what the linear scan returns with many attribute names and many routes per event', () => {
    fc.assert(agreesWithTheScan(many, { policies: [20, 40], channels: [30, 40] }), { numRuns: 300 });
  });

  it('compiles a glob to a test that agrees with globMatches', () => {
    const text = (units: string[]) => fc.string({ unit: fc.constantFrom(...units), maxLength: 6 });
    fc.assert(
      fc.property(text(['a', 'b', '*', '?']), text(['a', 'b']), (glob, value) => {
        expect(compileGlob(glob)(value)).toBe(globMatches(glob, value));
      }),
      { numRuns: 2000 },
    );
  });
});
