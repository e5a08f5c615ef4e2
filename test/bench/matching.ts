/**
 * Policy matching (issue 10): µs per event and events/s of the router's `PolicyIndex` beside the
 * linear scan `route()` over the same policies and events in the same run, for 10, 1,000, 100,000
 * and 1,000,000 policies; index build time; heap per 100,000 policies (after a forced collection: the
 * bench switches `gc` on itself, or takes it from `--expose-gc`). Run it alone with
 * `npx tsx test/bench/matching.ts` (Node 24 from `node_modules/.bin`) or
 * `node --import tsx test/bench/matching.ts` (the system Node); `benchMatching()` returns the rows for
 * the `npm run bench` table. About 30 s.
 *
 * The mix is a multi-tenant deployment: about ten policies per tenant (an exact tenant, sometimes two;
 * type globs and exact types; an exact, negated, listed or absent environment; a database glob;
 * minSeverity; a few disabled; a few naming a channel that does not exist), a few dozen operator-wide
 * policies (exact types with an exact environment, a tenant glob, `*` with a negation), 1,000
 * channels of which 20 have their own `events` filter. Events pick a tenant (a few unknown), an
 * environment, a type, a severity, a source, a region and a database, so each matches few policies.
 */
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type HeraldEvent, SEVERITIES, type Severity } from '#shared/domain/event.ts';
import {
  type MatchResult,
  type RoutableChannel,
  type RoutablePolicy,
  route,
} from '#shared/domain/matcher.ts';
import { PolicyIndex } from '#shared/domain/policy-index.ts';
import type { Row } from './table.ts';

const SIZES = [10, 1_000, 100_000, 1_000_000] as const;
const CHANNELS = 1_000;
const CHANNELS_WITH_EVENTS = 20;
const POLICIES_PER_TENANT = 10;
const EVENTS = 5_000;
/**
 * Each figure is the median of this many rounds (a round of the index covers every event at least
 * once; a round of the scan runs for its share of the budget, at least one event), so that a moment of
 * load on the machine moves it little.
 */
const ROUNDS = 7;
const INDEX_ROUND_EVENTS = 20_000;
const SCAN_BUDGET_MS = 2_000;
/** The size the targets are stated at, and the unit memory is reported in. */
const TARGET_SIZE = 100_000;
const TARGET_US_PER_EVENT = 2;
const TARGET_SPEED_UP = 100;

const TYPES = [
  'request.created',
  'request.approved',
  'request.denied',
  'request.expired',
  'deploy.started',
  'deploy.finished',
  'deploy.failed',
  'break_glass',
  'billing.invoice.paid',
  'billing.invoice.overdue',
  'alert.fired',
  'alert.resolved',
  'backup.completed',
  'backup.failed',
  'user.invited',
  'user.removed',
] as const;
const TYPE_FILTERS = [
  '*',
  'request.*',
  'deploy.*',
  'alert.*',
  'billing.invoice.*',
  'backup.*',
  'break_glass',
  'request.approved',
  'deploy.failed',
  'user.*',
] as const;
const ENVIRONMENTS = ['production', 'staging', 'dev'] as const;
const SOURCES = ['dbward', 'ci', 'monitor', 'billing'] as const;
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'ap-southeast-2'] as const;

/**
 * A small seeded generator (mulberry32), so every run measures the same policies and events. The
 * generators are exported for other benchmarks that need the same mix (policy loading, for one).
 */
export const random = (seed: number) => {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (below: number): number => Math.floor(next() * below);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { chance: (p: number) => next() < p, int, pick };
};
type Random = ReturnType<typeof random>;

const tenantId = (n: number) => `t${String(n).padStart(7, '0')}`;
const channelId = (n: number) => `ch-${String(n).padStart(4, '0')}`;
const severity = (rng: Random): Severity =>
  rng.chance(0.6) ? 'info' : (SEVERITIES[1 + rng.int(SEVERITIES.length - 1)] as Severity);

/** 1,000 channels, a few disabled, the first 20 with their own `events` filter. */
export const channelsFor = (rng: Random): RoutableChannel[] =>
  Array.from({ length: CHANNELS }, (_, n) => ({
    id: channelId(n),
    enabled: n % 97 !== 1,
    ...(n < CHANNELS_WITH_EVENTS ? { events: [rng.pick(TYPE_FILTERS.slice(1))] } : {}),
  }));

/** Operator-wide policies: few, and each matches only a slice of the events. */
const globalPolicy = (rng: Random, n: number): RoutablePolicy => {
  const base = { id: `global-${n}`, enabled: true, channels: [channelId(rng.int(CHANNELS))] };
  switch (n % 4) {
    case 0:
      return {
        ...base,
        events: [rng.pick(['break_glass', 'deploy.failed', 'backup.failed'])],
        match: { environment: 'production' },
        minSeverity: 'info',
      };
    case 1:
      return { ...base, events: ['alert.*'], match: { tenant: 't00000*' }, minSeverity: 'error' };
    case 2:
      return {
        ...base,
        events: ['billing.invoice.overdue'],
        match: { source: 'billing' },
        minSeverity: 'warning',
      };
    default:
      return {
        ...base,
        events: ['*'],
        match: { environment: '!dev', region: 'ap-*' },
        minSeverity: 'critical',
      };
  }
};

const tenantPolicy = (rng: Random, n: number, tenants: number): RoutablePolicy => {
  const tenant = tenantId(rng.int(tenants));
  const match: Record<string, string | string[]> = {
    tenant: rng.chance(0.1) ? [tenant, tenantId(rng.int(tenants))] : tenant,
  };
  const environment = rng.int(10);
  if (environment < 4) match.environment = 'production';
  else if (environment < 6) match.environment = '!dev';
  else if (environment < 7) match.environment = ['production', 'staging'];
  if (rng.chance(0.2)) match.database = 'app-*';
  return {
    id: `p-${n}`,
    enabled: rng.chance(0.95),
    events: rng.chance(0.8) ? [rng.pick(TYPE_FILTERS)] : [rng.pick(TYPE_FILTERS), rng.pick(TYPE_FILTERS)],
    match,
    minSeverity: severity(rng),
    channels: rng.chance(0.01)
      ? [channelId(rng.int(CHANNELS)), 'deleted-channel']
      : Array.from({ length: 1 + rng.int(3) }, () => channelId(rng.int(CHANNELS))),
  };
};

/** `size` policies: up to 40 operator-wide ones, the rest about ten per tenant. */
export const policiesFor = (rng: Random, size: number): RoutablePolicy[] => {
  const globals = Math.min(40, Math.max(1, Math.round(size * 0.02)));
  const tenants = Math.max(1, Math.round(size / POLICIES_PER_TENANT));
  return Array.from({ length: size }, (_, n) =>
    n < globals ? globalPolicy(rng, n) : tenantPolicy(rng, n, tenants),
  );
};

/** 5,000 events over the tenants of `policiesFor(rng, size)`. */
export const eventsFor = (rng: Random, size: number): HeraldEvent[] => {
  const tenants = Math.max(1, Math.round(size / POLICIES_PER_TENANT));
  return Array.from({ length: EVENTS }, (_, n) => ({
    id: `evt-${n}`,
    type: rng.pick(TYPES),
    source: rng.pick(SOURCES),
    time: '2026-11-23T09:00:00Z',
    subject: 'bench',
    severity: severity(rng),
    attributes: {
      // A few events come from tenants no policy names.
      tenant: rng.chance(0.05) ? `unknown-${n}` : tenantId(rng.int(tenants)),
      environment: rng.pick(ENVIRONMENTS),
      region: rng.pick(REGIONS),
      database: `app-${rng.int(20)}`,
    },
  }));
};

interface Timing {
  /** Median of the rounds. */
  readonly usPerEvent: number;
  readonly bestUsPerEvent: number;
  /** Events timed in all. */
  readonly events: number;
}

/** Times `match` over the events, cycled, in {@link ROUNDS} rounds of so many events or milliseconds. */
const time = (
  events: readonly HeraldEvent[],
  match: (event: HeraldEvent) => MatchResult,
  round: { events: number } | { ms: number },
): Timing => {
  const rounds: number[] = [];
  let count = 0;
  for (let n = 0; n < ROUNDS; n += 1) {
    const first = count;
    const started = performance.now();
    let elapsed = 0;
    while ('events' in round ? count - first < round.events : count === first || elapsed < round.ms) {
      match(events[count % events.length] as HeraldEvent);
      count += 1;
      if ('ms' in round) elapsed = performance.now() - started;
    }
    rounds.push(((performance.now() - started) * 1_000) / (count - first));
  }
  rounds.sort((a, b) => a - b);
  return {
    usPerEvent: rounds[Math.floor(ROUNDS / 2)] as number,
    bestUsPerEvent: rounds[0] as number,
    events: count,
  };
};

/** `global.gc`, from `--expose-gc` or switched on here; undefined when neither works. */
const gcFunction = (): (() => void) | undefined => {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
};

/** Heap in use, after a full collection when one can be forced. */
const heapUsed = (gc: (() => void) | undefined): number => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};

const sameResult = (a: MatchResult, b: MatchResult) => JSON.stringify(a) === JSON.stringify(b);

interface Measurement {
  readonly size: number;
  readonly buildMs: number;
  readonly index: Timing;
  readonly scan: Timing;
  readonly policiesBytes: number;
  readonly indexBytes: number;
  /** Events of the scan sample whose index result differed from the scan's. */
  readonly mismatches: number;
}

const measure = (size: number, gc: (() => void) | undefined): Measurement => {
  const rng = random(size);
  const channels = channelsFor(rng);
  const events = eventsFor(rng, size);
  const beforePolicies = heapUsed(gc);
  const policies = policiesFor(rng, size);
  const beforeIndex = heapUsed(gc);
  const started = performance.now();
  const policyIndex = new PolicyIndex(policies, channels);
  const buildMs = performance.now() - started;
  const afterIndex = heapUsed(gc);

  // Warm both paths (JIT) before timing.
  for (const event of events) policyIndex.match(event);
  for (const event of events.slice(0, size >= TARGET_SIZE ? 1 : 200)) route(event, policies, channels);

  const index = time(events, (event) => policyIndex.match(event), {
    events: Math.max(events.length, INDEX_ROUND_EVENTS),
  });
  const scan = time(events, (event) => route(event, policies, channels), { ms: SCAN_BUDGET_MS / ROUNDS });
  const sampled = events.slice(0, Math.min(scan.events, events.length));
  const mismatches = sampled.filter(
    (event) => !sameResult(policyIndex.match(event), route(event, policies, channels)),
  ).length;
  return {
    size,
    buildMs,
    index,
    scan,
    policiesBytes: beforeIndex - beforePolicies,
    indexBytes: afterIndex - beforeIndex,
    mismatches,
  };
};

const count = (n: number) => n.toLocaleString('en-US');
const micros = (us: number) => (us >= 100 ? `${count(Math.round(us))} µs` : `${us.toPrecision(3)} µs`);
const perSecond = (us: number) => `${count(Math.round(1e6 / us))} events/s`;
const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;

const rowsOf = (measurements: readonly Measurement[], exactHeap: boolean): Row[] => {
  const rows: Row[] = [];
  for (const m of measurements) {
    const speedUp = m.scan.usPerEvent / m.index.usPerEvent;
    const atTarget = m.size === TARGET_SIZE;
    rows.push({
      figure: `matching, ${count(m.size)} policies`,
      measured: `${micros(m.index.usPerEvent)}/event, ${perSecond(m.index.usPerEvent)} (index; best round ${micros(m.index.bestUsPerEvent)}); ${count(Math.round(speedUp))}× the scan`,
      baseline: `${micros(m.scan.usPerEvent)}/event, ${perSecond(m.scan.usPerEvent)} (linear scan of ${count(m.scan.events)} events)`,
      target: atTarget ? `≤ ${TARGET_US_PER_EVENT} µs/event, ≥ ${TARGET_SPEED_UP}× the scan` : '—',
      holds: atTarget ? m.index.usPerEvent <= TARGET_US_PER_EVENT && speedUp >= TARGET_SPEED_UP : undefined,
    });
  }
  for (const m of measurements) {
    rows.push({
      figure: `index build, ${count(m.size)} policies`,
      measured: `${count(Math.round(m.buildMs))} ms`,
      baseline: '— (the scan needs none)',
      target: '—',
      holds: undefined,
    });
  }
  const mismatches = measurements.reduce((sum, m) => sum + m.mismatches, 0);
  const compared = measurements.reduce((sum, m) => sum + Math.min(m.scan.events, EVENTS), 0);
  rows.push({
    figure: 'matching, same result as the scan',
    measured: `${count(compared - mismatches)} of ${count(compared)} timed events identical`,
    baseline: 'property test: test/unit/policy-index.test.ts',
    target: 'identical',
    holds: mismatches === 0,
  });
  const per = (m: Measurement, bytes: number) => (bytes * TARGET_SIZE) / m.size;
  const large = measurements.filter((m) => m.size >= TARGET_SIZE);
  const how = exactHeap ? 'heap after gc' : 'heap delta without gc, approximate';
  rows.push({
    figure: `memory per ${count(TARGET_SIZE)} policies`,
    measured: large
      .map((m) => `index ${mib(per(m, m.indexBytes))} (at ${count(m.size)})`)
      .join('; ')
      .concat(` (${how})`),
    baseline: large.map((m) => `policies ${mib(per(m, m.policiesBytes))} (at ${count(m.size)})`).join('; '),
    target: 'reported',
    holds: undefined,
  });
  return rows;
};

/** Measures every size and returns the rows for the bench table. */
export async function benchMatching(sizes: readonly number[] = SIZES): Promise<Row[]> {
  const gc = gcFunction();
  const measurements: Measurement[] = [];
  for (const size of sizes) {
    measurements.push(measure(size, gc));
    // Let the previous size's policies go before the next is generated.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return rowsOf(measurements, gc !== undefined);
}

/** Prints rows as a Markdown table. */
export const printTable = (rows: readonly Row[]): void => {
  const mark = (holds: boolean | undefined) => (holds === undefined ? '' : holds ? 'yes' : 'NO');
  console.log('| figure | measured | baseline | target | holds |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const row of rows) {
    console.log(`| ${row.figure} | ${row.measured} | ${row.baseline} | ${row.target} | ${mark(row.holds)} |`);
  }
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  console.log(`policy matching on Node ${process.version}, ${new Date().toISOString()}\n`);
  printTable(await benchMatching());
  console.log(`\n(${((performance.now() - started) / 1_000).toFixed(1)} s)`);
}
