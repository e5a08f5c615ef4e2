import type { ChannelRecord } from '../channels/record.ts';
import { type HeraldEvent, severityRank } from './event.ts';
import { globMatches } from './glob.ts';
import type { Policy } from './policy.ts';

/** What the matcher needs of a channel. */
export type RoutableChannel = Pick<ChannelRecord, 'id' | 'enabled' | 'events'>;
/** What the matcher needs of a policy. */
export type RoutablePolicy = Pick<Policy, 'id' | 'enabled' | 'events' | 'match' | 'minSeverity' | 'channels'>;

/** One channel an event goes to, and the policies that sent it there. */
export interface Route {
  readonly channelId: string;
  readonly policyIds: readonly string[];
}

export interface MatchResult {
  readonly routes: readonly Route[];
  /** Channels named by a matching policy that do not exist (or are disabled). */
  readonly missingChannels: readonly string[];
}

/** `events` globs over the type: empty or containing `*` matches everything. */
export const matchesType = (globs: readonly string[], type: string): boolean =>
  globs.length === 0 || globs.some((glob) => globMatches(glob, type));

/**
 * One attribute condition. Positive patterns need the attribute present and matching at least one of
 * them; `!` patterns need it not to match any (an absent attribute satisfies a purely negative
 * condition, as in Alertmanager's `!=`).
 */
export const matchesAttribute = (
  patterns: string | readonly string[],
  value: string | undefined,
): boolean => {
  const list = typeof patterns === 'string' ? [patterns] : patterns;
  const positive = list.filter((pattern) => !pattern.startsWith('!'));
  const negative = list.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1));
  if (value === undefined) return positive.length === 0;
  if (negative.some((pattern) => globMatches(pattern, value))) return false;
  return positive.length === 0 || positive.some((pattern) => globMatches(pattern, value));
};

/**
 * The value a policy's `match` sees for an attribute: the event's attribute (attributes are strings,
 * so an inherited property such as `constructor`, a function, is no attribute), and for `source` the
 * event's source when no attribute overrides it.
 */
export const attributeValue = (event: HeraldEvent, attribute: string): string | undefined => {
  const value: unknown = event.attributes[attribute];
  const own = typeof value === 'string' ? value : undefined;
  return attribute === 'source' ? (own ?? event.source) : own;
};

/** Whether an enabled policy selects the event (type, attributes with `source`, severity). */
export const policyMatches = (policy: RoutablePolicy, event: HeraldEvent): boolean =>
  policy.enabled &&
  severityRank(event.severity) >= severityRank(policy.minSeverity) &&
  matchesType(policy.events, event.type) &&
  Object.entries(policy.match).every(([attribute, patterns]) =>
    matchesAttribute(patterns, attributeValue(event, attribute)),
  );

/**
 * Routes an event: the union of the channels of every matching policy, plus every enabled channel
 * whose own `events` filter matches; each channel at most once. Scans every policy: the reference
 * that `PolicyIndex` (policy-index.ts), which the router uses, must agree with.
 */
export const route = (
  event: HeraldEvent,
  policies: readonly RoutablePolicy[],
  channels: readonly RoutableChannel[],
): MatchResult => {
  const byId = new Map(channels.map((channel) => [channel.id, channel]));
  const routes = new Map<string, string[]>();
  const missing = new Set<string>();
  const add = (channelId: string, policyId: string) => {
    const policyIds = routes.get(channelId);
    if (policyIds === undefined) routes.set(channelId, [policyId]);
    else if (!policyIds.includes(policyId)) policyIds.push(policyId);
  };

  for (const policy of policies) {
    if (!policyMatches(policy, event)) continue;
    for (const channelId of policy.channels) {
      if (byId.get(channelId)?.enabled) add(channelId, policy.id);
      else missing.add(channelId);
    }
  }
  for (const channel of channels) {
    if (channel.enabled && channel.events !== undefined && matchesType(channel.events, event.type)) {
      add(channel.id, `channel:${channel.id}`);
    }
  }
  return {
    routes: [...routes].map(([channelId, policyIds]) => ({ channelId, policyIds })),
    missingChannels: [...missing],
  };
};
