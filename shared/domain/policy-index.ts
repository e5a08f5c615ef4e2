import { type HeraldEvent, severityRank } from './event.ts';
import { compileGlob, isLiteralGlob, literalPrefix } from './glob.ts';
import { attributeValue, type MatchResult, type RoutableChannel, type RoutablePolicy } from './matcher.ts';

type Test = (value: string) => boolean;

/** One `match` entry, split once into its positive and `!` patterns (see `matchesAttribute`). */
interface Condition {
  /** Tells conditions apart in the key of a list of them. */
  readonly id: number;
  readonly attribute: string;
  readonly positive: readonly Test[];
  readonly negative: readonly Test[];
}

/** A policy that matched an event. */
interface Match {
  /** Position among the enabled policies: matches are reported in this order, as `route()` scans. */
  readonly order: number;
  readonly policyId: string;
  /** Where the policy is filed (its channels follow). */
  readonly bucket: Bucket;
  readonly at: number;
}

/** A channel a policy names: routable when it exists and is enabled, else reported as missing. */
interface Target {
  readonly channelId: string;
  /** The channel's number (see `Routes`); -1 when it does not exist. */
  readonly channel: number;
  readonly routable: boolean;
}

/** An enabled channel with its own `events` filter. */
interface ChannelEntry {
  /** Position in the channel list: channels are added in this order, as `route()` scans. */
  readonly order: number;
  readonly channelId: string;
  /** The channel's number (see `Routes`). */
  readonly channel: number;
  /** The policy id `route()` reports for a channel's own filter. */
  readonly reason: string;
  readonly types: readonly Test[] | undefined;
}

/**
 * The policies filed under one key, flat: per policy {@link HEADER} slots (minimum severity rank, type
 * tests, conditions left to check, order, id, number of channels) and then its channels. Type tests,
 * conditions and channels are shared between policies with the same content, so a lookup reads one
 * array per key it reaches (however many policies are filed there) and objects most lookups share.
 */
type Bucket = (number | string | readonly Test[] | readonly Condition[] | Target | undefined)[];
const HEADER = 6;

/** Appends the policies of a bucket that match the event (severity, type, then conditions). */
const collectMatches = (
  bucket: Bucket | undefined,
  event: HeraldEvent,
  rank: number,
  into: Match[],
): void => {
  if (bucket === undefined) return;
  for (let at = 0; at < bucket.length; at += HEADER + (bucket[at + 5] as number)) {
    if (rank < (bucket[at] as number)) continue;
    if (!anyTypeMatches(bucket[at + 1] as readonly Test[] | undefined, event.type)) continue;
    if (!conditionsHold(bucket[at + 2] as readonly Condition[], event)) continue;
    into.push({ order: bucket[at + 3] as number, policyId: bucket[at + 4] as string, bucket, at });
  }
};

/**
 * A set of keys a policy can be filed under: every event it matches has at least one of them. Either
 * its `events` (an exact type for a literal glob, a literal prefix such as `request.` for any other),
 * or one attribute condition whose positive patterns are all literal (the attribute must equal one).
 */
type Choice =
  | { readonly kind: 'types'; readonly types: readonly string[]; readonly prefixes: readonly string[] }
  | { readonly kind: 'attribute'; readonly attribute: string; readonly values: readonly string[] };

/** The keys of `events`; none (undefined) when a glob has no literal prefix (`*`, `?x`) or the list is empty. */
const typeChoice = (globs: readonly string[]): Choice | undefined => {
  if (globs.length === 0) return undefined;
  const types: string[] = [];
  const prefixes: string[] = [];
  for (const glob of globs) {
    if (isLiteralGlob(glob)) types.push(glob);
    else {
      const prefix = literalPrefix(glob);
      if (prefix === '') return undefined;
      prefixes.push(prefix);
    }
  }
  return { kind: 'types', types, prefixes };
};

/** The keys of a condition; none when a positive pattern is a glob or there are only `!` patterns. */
const attributeChoice = (attribute: string, patterns: string | readonly string[]): Choice | undefined => {
  const values = (typeof patterns === 'string' ? [patterns] : patterns).filter(
    (pattern) => !pattern.startsWith('!'),
  );
  if (values.length === 0 || !values.every(isLiteralGlob)) return undefined;
  return { kind: 'attribute', attribute, values };
};

/** A policy as the build reads it: its conditions, and every choice of keys it could be filed under. */
interface Plan {
  readonly conditions: readonly (readonly [string, string | readonly string[]])[];
  readonly choices: readonly Choice[];
}

const planOf = (policy: RoutablePolicy): Plan => {
  const conditions = Object.entries(policy.match);
  const choices: Choice[] = [];
  const byType = typeChoice(policy.events);
  if (byType !== undefined) choices.push(byType);
  for (const [attribute, patterns] of conditions) {
    const byValue = attributeChoice(attribute, patterns);
    if (byValue !== undefined) choices.push(byValue);
  }
  return { conditions, choices };
};

/**
 * How many policies could be filed under each key. A policy is filed under the choice whose keys
 * fewest policies share in total (a prefix counting a little more than an exact type, as more types
 * have it): `tenant=acme` rather than `environment=production`.
 */
class KeyCounts {
  private readonly types = new Map<string, Count>();
  private readonly prefixes = new Map<string, Count>();
  private readonly values = new Map<string, Map<string, Count>>();

  add(choice: Choice): void {
    if (choice.kind === 'types') {
      for (const type of choice.types) increment(this.types, type);
      for (const prefix of choice.prefixes) increment(this.prefixes, prefix);
      return;
    }
    let counts = this.values.get(choice.attribute);
    if (counts === undefined) {
      counts = new Map();
      this.values.set(choice.attribute, counts);
    }
    for (const value of choice.values) increment(counts, value);
  }

  cheapest(choices: readonly Choice[]): Choice | undefined {
    if (choices.length < 2) return choices[0];
    let best: Choice | undefined;
    let bestCost = Number.POSITIVE_INFINITY;
    for (const choice of choices) {
      const cost = this.cost(choice);
      if (cost < bestCost) {
        best = choice;
        bestCost = cost;
      }
    }
    return best;
  }

  private cost(choice: Choice): number {
    let cost = 0;
    if (choice.kind === 'types') {
      for (const type of choice.types) cost += this.types.get(type)?.count ?? 0;
      for (const prefix of choice.prefixes) cost += (this.prefixes.get(prefix)?.count ?? 0) + 0.5;
    } else {
      const counts = this.values.get(choice.attribute);
      for (const value of choice.values) cost += counts?.get(value)?.count ?? 0;
    }
    return cost;
  }
}

/** A counter kept in its map, so that counting looks a key up once. */
interface Count {
  count: number;
}

const increment = (counts: Map<string, Count>, key: string): void => {
  const known = counts.get(key);
  if (known === undefined) counts.set(key, { count: 1 });
  else known.count += 1;
};

/**
 * Slots (buckets) keyed by an exact type and by type prefixes (a character trie): `slotsFor(type)`
 * gives the slot of the type itself and of each of its prefixes that has one.
 */
class TypeIndex<S> {
  private readonly exact = new Map<string, S>();
  private readonly root: TrieNode<S> = { children: new Map() };

  constructor(private readonly create: () => S) {}

  exactSlot(type: string): S {
    let slot = this.exact.get(type);
    if (slot === undefined) {
      slot = this.create();
      this.exact.set(type, slot);
    }
    return slot;
  }

  prefixSlot(prefix: string): S {
    let node = this.root;
    // By UTF-16 unit, as `slotsFor` walks and as globs match.
    for (let at = 0; at < prefix.length; at += 1) {
      const unit = prefix.charAt(at);
      let child = node.children.get(unit);
      if (child === undefined) {
        child = { children: new Map() };
        node.children.set(unit, child);
      }
      node = child;
    }
    node.slot ??= this.create();
    return node.slot;
  }

  slotsFor(type: string): S[] {
    const slots: S[] = [];
    const exact = this.exact.get(type);
    if (exact !== undefined) slots.push(exact);
    let node: TrieNode<S> | undefined = this.root;
    for (let at = 0; node !== undefined; at += 1) {
      if (node.slot !== undefined) slots.push(node.slot);
      if (at === type.length) break;
      node = node.children.get(type.charAt(at));
    }
    return slots;
  }
}

interface TrieNode<S> {
  readonly children: Map<string, TrieNode<S>>;
  slot?: S;
}

/** What depends on the event type alone, worked out once per type and remembered. */
interface ByType {
  /** The buckets filed under the type or one of its prefixes. */
  readonly buckets: readonly Bucket[];
  /** The channels whose own `events` take the type, in channel order. */
  readonly channels: readonly ChannelEntry[];
}

/**
 * Attributes policies are filed under, up to which an event looks each of them up; with more, it looks
 * up each of its own attributes instead.
 */
const FEW_ATTRIBUTES = 8;

/** Types remembered before the memory is cleared (producers may send any number of types). */
const MAX_REMEMBERED_TYPES = 10_000;

/**
 * Policies and channels indexed for routing, built once per config load: `match(event)` returns
 * exactly what `route(event, policies, channels)` returns (the same routes in the same order, with
 * the same policy ids in the same order, and the same missing channels), without scanning every
 * policy.
 *
 * Each enabled policy is filed under its most selective keys (those fewest policies share): the
 * values of an attribute condition whose positive patterns are all literal (`tenant=acme`; `source`
 * falls back to the event's source), or its `events` (exact types, and literal prefixes such as
 * `request.` for `request.*`). A policy with neither (every type, and only glob or `!` conditions) goes
 * to a remainder that every event checks. An event checks the policies filed under its type, its
 * type's prefixes and each of its attribute values, plus the remainder, and reports the matches in
 * policy order. Which buckets a type reaches, and which channels' own `events` take it, is worked out
 * once per type.
 */
export class PolicyIndex<P extends RoutablePolicy = RoutablePolicy> {
  /** Every policy by id (the first with an id wins, as `Array.find` would). */
  readonly policyById: ReadonlyMap<string, P>;
  private readonly policiesByType = new TypeIndex<Bucket>(() => []);
  private readonly byAttribute = new Map<string, Map<string, Bucket>>();
  private readonly remainder: Bucket = [];
  private readonly channelsByType = new TypeIndex<ChannelEntry[]>(() => []);
  private readonly channelRemainder: ChannelEntry[] = [];
  private readonly byType = new Map<string, ByType>();

  constructor(policies: readonly P[], channels: readonly RoutableChannel[]) {
    const policyById = new Map<string, P>();
    // Backwards, so that the first policy with an id is set last and wins.
    for (let at = policies.length - 1; at >= 0; at -= 1) {
      const policy = policies[at] as P;
      policyById.set(policy.id, policy);
    }
    this.policyById = policyById;
    // The last channel with an id decides, as `route()`'s map of channels does.
    const channelById = new Map(channels.map((channel) => [channel.id, channel]));
    const channelNumber = new Map([...channelById.keys()].map((id, number) => [id, number]));

    const enabled = policies.filter((policy) => policy.enabled);
    // Plans are made twice rather than kept: short-lived objects are cheap to collect, long-lived ones not.
    const counts = new KeyCounts();
    for (const policy of enabled) for (const choice of planOf(policy).choices) counts.add(choice);

    const compile = new Compiler();
    const targets = new Map<string, Target>();
    const target = (channelId: string): Target => {
      let known = targets.get(channelId);
      if (known === undefined) {
        known = {
          channelId,
          channel: channelNumber.get(channelId) ?? -1,
          routable: channelById.get(channelId)?.enabled === true,
        };
        targets.set(channelId, known);
      }
      return known;
    };
    enabled.forEach((policy, order) => {
      const { conditions, choices } = planOf(policy);
      const chosen = counts.cheapest(choices);
      const slots: Bucket = [
        severityRank(policy.minSeverity),
        compile.types(policy.events),
        compile.conditions(conditions, chosen),
        order,
        policy.id,
        policy.channels.length,
        ...policy.channels.map(target),
      ];
      this.file(slots, chosen);
    });

    channels.forEach((channel, order) => {
      if (!channel.enabled || channel.events === undefined) return;
      const entry: ChannelEntry = {
        order,
        channelId: channel.id,
        channel: channelNumber.get(channel.id) ?? -1,
        reason: `channel:${channel.id}`,
        types: compile.types(channel.events),
      };
      const choice = typeChoice(channel.events);
      if (choice?.kind !== 'types') this.channelRemainder.push(entry);
      else {
        for (const type of choice.types) this.channelsByType.exactSlot(type).push(entry);
        for (const prefix of choice.prefixes) this.channelsByType.prefixSlot(prefix).push(entry);
      }
    });
  }

  /** Routes an event: the same result as `route(event, policies, channels)`. */
  match(event: HeraldEvent): MatchResult {
    const rank = severityRank(event.severity);
    const byType = this.forType(event.type);
    const matched: Match[] = [];
    for (const bucket of byType.buckets) collectMatches(bucket, event, rank, matched);
    if (this.byAttribute.size <= FEW_ATTRIBUTES) {
      for (const [attribute, byValue] of this.byAttribute) {
        const value = attributeValue(event, attribute);
        if (value !== undefined) collectMatches(byValue.get(value), event, rank, matched);
      }
    } else {
      const { attributes } = event;
      for (const attribute of Object.keys(attributes)) {
        const value = attributes[attribute];
        const byValue = this.byAttribute.get(attribute);
        if (byValue !== undefined && value !== undefined)
          collectMatches(byValue.get(value), event, rank, matched);
      }
      if (!Object.hasOwn(attributes, 'source')) {
        collectMatches(this.byAttribute.get('source')?.get(event.source), event, rank, matched);
      }
    }
    collectMatches(this.remainder, event, rank, matched);
    // In policy order; a policy filed under two of the event's types or prefixes is then found twice in a row.
    sortByOrder(matched);

    const routes = new Routes();
    let missing: Set<string> | undefined;
    let previous = -1;
    for (const { order, policyId, bucket, at } of matched) {
      if (order === previous) continue;
      previous = order;
      const end = at + HEADER + (bucket[at + 5] as number);
      for (let next = at + HEADER; next < end; next += 1) {
        const { channelId, channel, routable } = bucket[next] as Target;
        if (routable) routes.add(channel, channelId, policyId);
        else {
          missing ??= new Set();
          missing.add(channelId);
        }
      }
    }
    for (const channel of byType.channels) routes.add(channel.channel, channel.channelId, channel.reason);
    return { routes: routes.list, missingChannels: missing === undefined ? [] : [...missing] };
  }

  /** Files a policy's slots under each key of its choice, or in the remainder when it has none. */
  private file(slots: Bucket, choice: Choice | undefined): void {
    if (choice === undefined) {
      this.remainder.push(...slots);
    } else if (choice.kind === 'types') {
      for (const type of choice.types) this.policiesByType.exactSlot(type).push(...slots);
      for (const prefix of choice.prefixes) this.policiesByType.prefixSlot(prefix).push(...slots);
    } else {
      let byValue = this.byAttribute.get(choice.attribute);
      if (byValue === undefined) {
        byValue = new Map();
        this.byAttribute.set(choice.attribute, byValue);
      }
      for (const value of choice.values) {
        const bucket = byValue.get(value);
        if (bucket === undefined) byValue.set(value, [...slots]);
        else bucket.push(...slots);
      }
    }
  }

  /** What the type alone decides, remembered per type. */
  private forType(type: string): ByType {
    const known = this.byType.get(type);
    if (known !== undefined) return known;
    const channels = new Set<ChannelEntry>(this.channelRemainder);
    for (const slot of this.channelsByType.slotsFor(type)) for (const channel of slot) channels.add(channel);
    const byType: ByType = {
      buckets: this.policiesByType.slotsFor(type),
      channels: [...channels]
        .filter((channel) => anyTypeMatches(channel.types, type))
        .sort((a, b) => a.order - b.order),
    };
    if (this.byType.size >= MAX_REMEMBERED_TYPES) this.byType.clear();
    this.byType.set(type, byType);
    return byType;
  }
}

/**
 * Compiles globs once per distinct pattern, and type lists, conditions and lists of conditions once
 * per distinct content: policies repeat `*`, `request.*`, `environment: production`, a tenant's
 * condition.
 */
class Compiler {
  private readonly globs = new Map<string, Test>();
  private readonly typeLists = new Map<string, readonly Test[]>();
  private readonly conditionsByAttribute = new Map<string, Map<string, Condition>>();
  private readonly conditionLists = new Map<string, readonly Condition[]>();
  private conditionCount = 0;

  glob(glob: string): Test {
    let test = this.globs.get(glob);
    if (test === undefined) {
      test = compileGlob(glob);
      this.globs.set(glob, test);
    }
    return test;
  }

  /** The type tests of an `events` list; undefined for an empty list (every type). */
  types(globs: readonly string[]): readonly Test[] | undefined {
    if (globs.length === 0) return undefined;
    const content = contentKey(globs.length === 1 ? (globs[0] as string) : globs);
    let tests = this.typeLists.get(content);
    if (tests === undefined) {
      tests = globs.map((glob) => this.glob(glob));
      this.typeLists.set(content, tests);
    }
    return tests;
  }

  /**
   * The conditions left to check once the policy was found under `chosen`: a condition found by one
   * of its values and without `!` patterns already holds.
   */
  conditions(
    conditions: readonly (readonly [string, string | readonly string[]])[],
    chosen: Choice | undefined,
  ): readonly Condition[] {
    const left: Condition[] = [];
    let content = '';
    for (const [attribute, patterns] of conditions) {
      const list = typeof patterns === 'string' ? [patterns] : patterns;
      const negated = list.some((pattern) => pattern.startsWith('!'));
      if (chosen?.kind === 'attribute' && chosen.attribute === attribute && !negated) continue;
      const condition = this.condition(attribute, patterns, list);
      left.push(condition);
      content += `${condition.id},`;
    }
    const known = this.conditionLists.get(content);
    if (known !== undefined) return known;
    this.conditionLists.set(content, left);
    return left;
  }

  private condition(
    attribute: string,
    patterns: string | readonly string[],
    list: readonly string[],
  ): Condition {
    let byContent = this.conditionsByAttribute.get(attribute);
    if (byContent === undefined) {
      byContent = new Map();
      this.conditionsByAttribute.set(attribute, byContent);
    }
    const content = contentKey(patterns);
    let condition = byContent.get(content);
    if (condition === undefined) {
      condition = {
        id: this.conditionCount++,
        attribute,
        positive: list.filter((pattern) => !pattern.startsWith('!')).map((pattern) => this.glob(pattern)),
        negative: list
          .filter((pattern) => pattern.startsWith('!'))
          .map((pattern) => this.glob(pattern.slice(1))),
      };
      byContent.set(content, condition);
    }
    return condition;
  }
}

/** A key that tells a single pattern from a list (`x` from `["x"]`). */
const contentKey = (patterns: string | readonly string[]): string =>
  typeof patterns === 'string' ? `s${patterns}` : `l${JSON.stringify(patterns)}`;

/** Matches sorted by insertion below this many, by `Array.prototype.sort` from it. */
const INSERTION_SORT_LIMIT = 32;

/** Sorts matches by policy order in place (an event's matches are few, and come in sorted runs). */
const sortByOrder = (matches: Match[]): void => {
  if (matches.length >= INSERTION_SORT_LIMIT) {
    matches.sort((a, b) => a.order - b.order);
    return;
  }
  for (let at = 1; at < matches.length; at += 1) {
    const match = matches[at] as Match;
    let to = at;
    for (; to > 0 && (matches[to - 1] as Match).order > match.order; to -= 1) {
      matches[to] = matches[to - 1] as Match;
    }
    matches[to] = match;
  }
};

/** Routes beyond which `Routes` finds a channel's route through a map rather than by a linear search. */
const LINEAR_ROUTES = 16;

/**
 * The routes of one event, in the order channels were first added, each channel once (as `route()`).
 * Channels are found by number (their position among the distinct channel ids), which compares
 * faster than their ids.
 */
class Routes {
  readonly list: { readonly channelId: string; readonly policyIds: string[] }[] = [];
  private readonly channels: number[] = [];
  private byChannel: Map<number, string[]> | undefined;

  /** Adds a policy (or a channel's own filter) to the route to a channel, each once. */
  add(channel: number, channelId: string, policyId: string): void {
    const policyIds = this.find(channel);
    if (policyIds === undefined) {
      const added = { channelId, policyIds: [policyId] };
      this.list.push(added);
      this.channels.push(channel);
      this.byChannel?.set(channel, added.policyIds);
      if (this.byChannel === undefined && this.list.length > LINEAR_ROUTES) {
        this.byChannel = new Map(this.channels.map((number, at) => [number, this.list[at]?.policyIds ?? []]));
      }
    } else if (!policyIds.includes(policyId)) policyIds.push(policyId);
  }

  private find(channel: number): string[] | undefined {
    if (this.byChannel !== undefined) return this.byChannel.get(channel);
    const at = this.channels.indexOf(channel);
    return at < 0 ? undefined : this.list[at]?.policyIds;
  }
}

const anyTypeMatches = (types: readonly Test[] | undefined, type: string): boolean => {
  if (types === undefined) return true;
  for (const test of types) if (test(type)) return true;
  return false;
};

/** The attribute part of `policyMatches`, for the conditions a bucket leaves to check. */
const conditionsHold = (conditions: readonly Condition[], event: HeraldEvent): boolean => {
  for (const condition of conditions) {
    if (!satisfies(condition, attributeValue(event, condition.attribute))) return false;
  }
  return true;
};

/** `matchesAttribute` for a compiled condition. */
const satisfies = (condition: Condition, value: string | undefined): boolean => {
  if (value === undefined) return condition.positive.length === 0;
  for (const test of condition.negative) if (test(value)) return false;
  if (condition.positive.length === 0) return true;
  for (const test of condition.positive) if (test(value)) return true;
  return false;
};
