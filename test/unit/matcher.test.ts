import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HeraldEvent } from '#shared/domain/event.ts';
import { globMatches } from '#shared/domain/glob.ts';
import {
  matchesAttribute,
  matchesType,
  type RoutableChannel,
  type RoutablePolicy,
  route,
} from '#shared/domain/matcher.ts';
import { channel, event, policy } from './routing-fixtures.ts';

const routedChannels = (
  policies: readonly RoutablePolicy[],
  channels: readonly RoutableChannel[] = [channel('ops')],
  routedEvent: HeraldEvent = event(),
) => route(routedEvent, policies, channels).routes.map((target) => target.channelId);

describe('globMatches', () => {
  it.each([
    ['*', 'anything', true],
    ['*', '', true],
    ['request.*', 'request.approved', true],
    ['request.*', 'requestXapproved', false],
    ['request.*', 'other.request.approved', false],
    ['re?uest', 'request', true],
    ['re?uest', 'reuest', false],
    ['app', 'app', true],
    ['app', 'apps', false],
    ['a+b', 'aab', false],
    ['a+b', 'a+b', true],
    ['(x)', '(x)', true],
    ['*-prod', 'eu-prod', true],
  ])('glob %j against %j is %s', (glob, value, expected) => {
    expect(globMatches(glob, value)).toBe(expected);
  });
});

describe('matchesType', () => {
  it('matches every type when the globs are empty', () => {
    expect(matchesType([], 'anything')).toBe(true);
  });

  it('matches when any glob matches', () => {
    expect(matchesType(['break_glass', 'request.*'], 'request.created')).toBe(true);
    expect(matchesType(['break_glass', 'request.*'], 'deploy.finished')).toBe(false);
  });
});

describe('matchesAttribute', () => {
  it('needs the attribute present for *', () => {
    expect(matchesAttribute('*', 'x')).toBe(true);
    expect(matchesAttribute('*', undefined)).toBe(false);
  });

  it('matches a list when any positive pattern matches', () => {
    expect(matchesAttribute(['staging', 'prod*'], 'production')).toBe(true);
    expect(matchesAttribute(['staging', 'prod*'], 'dev')).toBe(false);
  });

  it('excludes values matching a negated pattern', () => {
    expect(matchesAttribute('!production', 'production')).toBe(false);
    expect(matchesAttribute('!production', 'staging')).toBe(true);
    expect(matchesAttribute('!prod*', 'production')).toBe(false);
  });

  it('lets an absent attribute satisfy a purely negative condition', () => {
    expect(matchesAttribute('!production', undefined)).toBe(true);
  });

  it('needs both: a positive match and no negative match', () => {
    expect(matchesAttribute(['eu-*', '!eu-test'], 'eu-prod')).toBe(true);
    expect(matchesAttribute(['eu-*', '!eu-test'], 'eu-test')).toBe(false);
    expect(matchesAttribute(['eu-*', '!eu-test'], 'us-prod')).toBe(false);
    expect(matchesAttribute(['eu-*', '!eu-test'], undefined)).toBe(false);
  });
});

describe('route (examples)', () => {
  it('routes by type glob', () => {
    expect(routedChannels([policy({ events: ['request.*'] })])).toEqual(['ops']);
    expect(routedChannels([policy({ events: ['deploy.*'] })])).toEqual([]);
  });

  it('treats empty events as all types', () => {
    expect(routedChannels([policy({ events: [] })])).toEqual(['ops']);
  });

  it('routes by attribute glob', () => {
    expect(routedChannels([policy({ match: { environment: 'prod*' } })])).toEqual(['ops']);
    expect(routedChannels([policy({ match: { environment: 'stag*' } })])).toEqual([]);
  });

  it('needs every attribute condition to match', () => {
    expect(routedChannels([policy({ match: { environment: 'production', database: 'other' } })])).toEqual([]);
    expect(routedChannels([policy({ match: { environment: 'production', database: 'app' } })])).toEqual([
      'ops',
    ]);
  });

  it('does not match * on an attribute the event lacks', () => {
    expect(routedChannels([policy({ match: { region: '*' } })])).toEqual([]);
    expect(routedChannels([policy({ match: { database: '*' } })])).toEqual(['ops']);
  });

  it('treats an inherited property name as an absent attribute, not as a value', () => {
    expect(routedChannels([policy({ match: { constructor: '*' } })])).toEqual([]);
    expect(routedChannels([policy({ match: { toString: '!x' } })])).toEqual(['ops']);
  });

  it('applies ! negation', () => {
    expect(routedChannels([policy({ match: { environment: '!production' } })])).toEqual([]);
    expect(routedChannels([policy({ match: { environment: '!staging' } })])).toEqual(['ops']);
  });

  it('matches an attribute against a list of patterns', () => {
    expect(routedChannels([policy({ match: { environment: ['staging', 'production'] } })])).toEqual(['ops']);
    expect(routedChannels([policy({ match: { environment: ['staging', 'dev'] } })])).toEqual([]);
  });

  it('matches source as if it were an attribute', () => {
    expect(routedChannels([policy({ match: { source: 'dbward' } })])).toEqual(['ops']);
    expect(routedChannels([policy({ match: { source: 'db*' } })])).toEqual(['ops']);
    expect(routedChannels([policy({ match: { source: 'ci' } })])).toEqual([]);
  });

  it.each([
    ['info', true],
    ['warning', true],
    ['error', false],
    ['critical', false],
  ] as const)('with minSeverity %s routes a warning: %s', (minSeverity, routed) => {
    expect(routedChannels([policy({ minSeverity })])).toEqual(routed ? ['ops'] : []);
  });

  it('ignores a disabled policy', () => {
    expect(routedChannels([policy({ enabled: false })])).toEqual([]);
  });

  it('does not route to a disabled channel and reports it as missing', () => {
    // Act
    const result = route(event(), [policy()], [channel('ops', { enabled: false })]);

    // Assess
    expect(result.routes).toEqual([]);
    expect(result.missingChannels).toEqual(['ops']);
  });

  it('reports a channel that does not exist and still routes to the others', () => {
    // Act
    const result = route(event(), [policy({ channels: ['ghost', 'ops'] })], [channel('ops')]);

    // Assess
    expect(result.routes).toEqual([{ channelId: 'ops', policyIds: ['p'] }]);
    expect(result.missingChannels).toEqual(['ghost']);
  });

  it("uses a channel's own events filter as a policy in every scope", () => {
    // Prepare
    const channels = [
      channel('audit', { events: ['request.*'] }),
      channel('deploys', { events: ['deploy.*'] }),
    ];

    // Act
    const result = route(event({ attributes: {} }), [], channels);

    // Assess
    expect(result.routes).toEqual([{ channelId: 'audit', policyIds: ['channel:audit'] }]);
  });

  it("ignores a disabled channel's own events filter", () => {
    expect(routedChannels([], [channel('audit', { events: ['*'], enabled: false })])).toEqual([]);
  });

  it('does not route to a channel without an events filter that no policy names', () => {
    expect(routedChannels([], [channel('ops')])).toEqual([]);
  });

  it('routes to a channel once when a policy and its own filter both select it, keeping both reasons', () => {
    // Act
    const result = route(event(), [policy()], [channel('ops', { events: ['*'] })]);

    // Assess
    expect(result.routes).toEqual([{ channelId: 'ops', policyIds: ['p', 'channel:ops'] }]);
  });
});

/** Values that contain no glob metacharacters and no leading `!`: literal patterns. */
const literal = fc.string({ maxLength: 12 }).filter((value) => !/[*?]/.test(value) && !value.startsWith('!'));
const attributeKey = fc.stringMatching(/^[a-z]{1,6}$/);
const attributes = fc.dictionary(attributeKey, fc.string({ maxLength: 12 }), { maxKeys: 6 });

describe('route (properties)', () => {
  it('pattern * matches every value of a present attribute and never an absent one', () => {
    fc.assert(
      fc.property(attributes, attributeKey, (attrs, key) => {
        const routed = routedChannels(
          [policy({ match: { [key]: '*' } })],
          [channel('ops')],
          event({ attributes: attrs }),
        );
        expect(routed.length === 1).toBe(key in attrs);
      }),
    );
  });

  it('!x matches exactly when the value does not match x', () => {
    fc.assert(
      fc.property(literal, fc.string({ maxLength: 12 }), fc.boolean(), (x, other, same) => {
        const value = same ? x : other;
        expect(matchesAttribute(`!${x}`, value)).toBe(!matchesAttribute(x, value));
        expect(matchesAttribute(`!${x}`, value)).toBe(value !== x);
      }),
    );
  });

  it('routes to the union of channels of matching policies, each channel once with each naming policy', () => {
    const channelIds = ['a', 'b', 'c', 'd', 'e'];
    const arbitraryPolicy = fc.record({
      enabled: fc.boolean(),
      environment: fc.constantFrom('production', 'staging', '*', '!production'),
      channels: fc.subarray(channelIds, { minLength: 1 }),
      duplicates: fc.subarray(channelIds),
    });
    fc.assert(
      fc.property(fc.array(arbitraryPolicy, { maxLength: 8 }), (specs) => {
        // Prepare: a policy may name a channel twice
        const policies = specs.map((spec, index) =>
          policy({
            id: `p${index}`,
            enabled: spec.enabled,
            match: { environment: spec.environment },
            channels: [...spec.channels, ...spec.duplicates],
          }),
        );
        const matching = policies.filter(
          (candidate) =>
            candidate.enabled && matchesAttribute(candidate.match.environment ?? [], 'production'),
        );

        // Act
        const { routes } = route(
          event(),
          policies,
          channelIds.map((id) => channel(id)),
        );

        // Assess
        const routedIds = routes.map((target) => target.channelId);
        expect(new Set(routedIds).size).toBe(routedIds.length);
        expect(new Set(routedIds)).toEqual(new Set(matching.flatMap((candidate) => candidate.channels)));
        for (const target of routes) {
          expect(target.policyIds).toEqual(
            matching
              .filter((candidate) => candidate.channels.includes(target.channelId))
              .map((candidate) => candidate.id),
          );
        }
      }),
    );
  });
});

describe('globMatches on adversarial patterns', () => {
  it('answers patterns that make backtracking regular expressions explode (within the test timeout)', () => {
    // A regex of `.*` runs took over a minute on this input; the linear matcher answers at once.
    expect(globMatches(`${'*a'.repeat(12)}b`, 'a'.repeat(64))).toBe(false);
    expect(globMatches(`${'*a'.repeat(12)}b`, `${'a'.repeat(64)}b`)).toBe(true);
  });
});
