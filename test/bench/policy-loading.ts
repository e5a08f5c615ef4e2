/**
 * Policy loading (issue 10): what a router cold start costs with 100,000 policies (time and DynamoDB
 * read units), both ways a router starts: the first one reads every record (and saves a snapshot),
 * the next ones begin from that snapshot and the changes logged since; and what one policy change
 * costs to reach a warm router. Runs the router's own loading code (ConfigRepository,
 * ConfigSnapshotStore, LiveConfig, PolicyIndex) in this process against a config table on the
 * emulator, created for the benchmark and deleted after it, so the other benchmarks' stack never holds
 * 100,000 policies.
 */
import { DeleteTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { startEmulator, stopEmulator, useEmulator } from '../../scripts/lib/local-aws.ts';
import { ConfigRepository } from '../../shared/aws/config-repository.ts';
import { ConfigSnapshotStore } from '../../shared/aws/config-snapshots.ts';
import type { ChannelRecord } from '../../shared/channels/record.ts';
import type { PolicyRecord } from '../../shared/domain/policy.ts';
import { PolicyIndex } from '../../shared/domain/policy-index.ts';
import { type ConfigSnapshot, LiveConfig } from '../../shared/runtime/live-config.ts';
import { createKeyedTable, log, sleep } from './stack.ts';
import type { Row } from './table.ts';

const TABLE = 'HeraldBenchPolicyLoading';
const CHANNELS = 1000;
const WRITERS = 8;

/** Counts DynamoDB requests and the read units they consumed (as the service reports them). */
const meter = (client: DynamoDBClient) => {
  const totals = { requests: 0, readUnits: 0, reported: false, bytes: 0, busyMs: 0, inFlight: 0, since: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = (args as { input: Record<string, unknown> }).input;
      input.ReturnConsumedCapacity = 'TOTAL';
      // Time with at least one request in flight: what the load spent waiting for DynamoDB.
      if (totals.inFlight === 0) totals.since = performance.now();
      totals.inFlight += 1;
      const result = await next(args).finally(() => {
        totals.inFlight -= 1;
        if (totals.inFlight === 0) totals.busyMs += performance.now() - totals.since;
      });
      totals.requests += 1;
      const output = result.output as {
        ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[];
        Items?: Record<string, unknown>[];
        Responses?: Record<string, Record<string, unknown>[]>;
      };
      const consumed = [output.ConsumedCapacity ?? []].flat();
      for (const entry of consumed) {
        if (typeof entry.CapacityUnits === 'number') {
          totals.readUnits += entry.CapacityUnits;
          totals.reported = true;
        }
      }
      const items = [...(output.Items ?? []), ...Object.values(output.Responses ?? {}).flat()];
      for (const item of items) totals.bytes += itemBytes(item);
      return result;
    },
    { step: 'initialize', name: 'benchMeter' },
  );
  return totals;
};

/** About what DynamoDB counts for an item: its JSON, binary attributes (snapshot parts) by their bytes. */
const itemBytes = (item: Record<string, unknown>): number =>
  Object.entries(item).reduce(
    (sum, [name, value]) =>
      sum + name.length + (value instanceof Uint8Array ? value.byteLength : JSON.stringify(value).length),
    0,
  );

const policyRecord = (index: number): PolicyRecord => {
  const tenant = `tenant-${index % 5000}`;
  return {
    id: `policy-${String(index).padStart(7, '0')}`,
    enabled: true,
    events: index % 3 === 0 ? ['billing.*'] : [`app.${index % 100}.*`],
    match: {
      tenant,
      ...(index % 4 === 0 ? { environment: ['prod', 'staging'] } : {}),
      ...(index % 10 === 0 ? { region: '!eu-*' } : {}),
    },
    minSeverity: index % 7 === 0 ? 'warning' : 'info',
    channels: [`channel-${index % CHANNELS}`],
    createdAt: '2026-11-25T00:00:00.000Z',
    updatedAt: '2026-11-25T00:00:00.000Z',
    version: 1,
  };
};

const channelRecord = (index: number): ChannelRecord => ({
  id: `channel-${index}`,
  type: 'webhook',
  enabled: true,
  settings: { url: `https://hooks.example.com/${index}` },
  target: 'hooks.example.com',
  inlineSecrets: ['signingSecret'],
  secretRefs: {},
  createdAt: '2026-11-25T00:00:00.000Z',
  updatedAt: '2026-11-25T00:00:00.000Z',
  version: 1,
});

const createTable = async (client: DynamoDBClient) => {
  await client.send(new DeleteTableCommand({ TableName: TABLE })).catch((error: unknown) => {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  });
  await createKeyedTable(client, TABLE, 'kind', 'id');
};

const seed = async (db: DynamoDBDocumentClient, items: Record<string, unknown>[]) => {
  let next = 0;
  const writer = async () => {
    while (next < items.length) {
      const batch = items.slice(next, next + 25);
      next += 25;
      let requests = batch.map((Item) => ({ PutRequest: { Item } }));
      while (requests.length > 0) {
        const result = await db.send(new BatchWriteCommand({ RequestItems: { [TABLE]: requests } }));
        requests = (result.UnprocessedItems?.[TABLE] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
};

/** One router cold start: its time, requests and read units, and how it loaded. */
interface ColdStart {
  readonly ms: number;
  /** Of it, the time some DynamoDB request was in flight. */
  readonly readMs: number;
  readonly requests: number;
  /** Consistent reads: 1 unit per 4 KiB read (the emulator reports 1 per request, so it is estimated). */
  readonly readUnits: number;
  readonly indexBuildMs: number;
  /** Saving the snapshot after it (a full read only; the router does it once its batch is routed). */
  readonly saveMs: number;
  readonly kind: string;
  readonly live: LiveConfig<PolicyIndex>;
  readonly meter: ReturnType<typeof meter>;
}

/**
 * A router's cold start in this process: a fresh client, repository, snapshot store and LiveConfig,
 * running code `codeHash` (a snapshot another code saved is validated record by record).
 */
const coldStart = async (codeHash: string): Promise<ColdStart> => {
  const client = new DynamoDBClient({});
  const totals = meter(client);
  const db = DynamoDBDocumentClient.from(client);
  const repository = new ConfigRepository(db, TABLE, console);
  const store = new ConfigSnapshotStore(db, TABLE, console, codeHash);
  let saveMs = 0;
  let indexBuildMs = 0;
  const snapshots = {
    latest: (notBefore: number) => store.latest(notBefore),
    save: async (snapshot: ConfigSnapshot) => {
      const started = performance.now();
      await store.save(snapshot);
      saveMs = performance.now() - started;
    },
  };
  const live = new LiveConfig(
    repository,
    (policies, channels) => {
      const started = performance.now();
      const index = new PolicyIndex(policies, channels);
      indexBuildMs = performance.now() - started;
      return index;
    },
    { snapshots },
  );
  const started = performance.now();
  const kind = await live.sync();
  const ms = performance.now() - started;
  const { busyMs, requests, bytes } = totals;
  // The router saves after routing its batch (not part of the cold start's wait).
  await live.settled();
  return {
    ms,
    readMs: busyMs,
    requests,
    readUnits: Math.ceil(bytes / 4096),
    indexBuildMs,
    saveMs,
    kind,
    live,
    meter: totals,
  };
};

export interface PolicyLoadingFigures {
  readonly policies: number;
  /** The first router: no snapshot yet, every record read (and a snapshot saved). */
  readonly full: ColdStart;
  /** The next router: from the first one's snapshot. */
  readonly fromSnapshot: ColdStart;
  /** A router of another version of the code (the first after a deployment): validates the snapshot. */
  readonly fromOtherSnapshot: ColdStart;
  /** The same items read raw (the same queries, no parsing, no index). */
  readonly rawReadMs: number;
  readonly changeMs: number;
  readonly changeRequests: number;
  readonly changeSync: string;
}

/** Seeds `count` policies, then measures both cold starts and one change (the emulator must be running). */
export const measurePolicyLoading = async (count: number): Promise<PolicyLoadingFigures> => {
  const raw = new DynamoDBClient({});
  await createTable(raw);
  try {
    const db = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
    log(`seeding ${count} policies and ${CHANNELS} channels…`);
    const seeded = performance.now();
    await seed(db, [
      ...Array.from({ length: CHANNELS }, (_, index) => ({ ...channelRecord(index), kind: 'channel' })),
      ...Array.from({ length: count }, (_, index) => ({ ...policyRecord(index), kind: 'policy' })),
    ]);
    log(`seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);

    const full = await coldStart('bench');
    log(`first router (${full.kind}): ${(full.ms / 1000).toFixed(2)} s`);
    const fromSnapshot = await coldStart('bench');
    log(`next router (${fromSnapshot.kind}): ${(fromSnapshot.ms / 1000).toFixed(2)} s`);
    const fromOtherSnapshot = await coldStart('bench-next-version');
    log(`next version's router (${fromOtherSnapshot.kind}): ${(fromOtherSnapshot.ms / 1000).toFixed(2)} s`);

    // Baseline: the same records read raw, as plain paginated queries of the two partitions.
    const rawStarted = performance.now();
    for (const kind of ['policy', 'channel']) {
      for await (const _page of paginateQuery(
        { client: db },
        {
          TableName: TABLE,
          KeyConditionExpression: 'kind = :kind',
          ExpressionAttributeValues: { ':kind': kind },
          ConsistentRead: true,
        },
      )) {
        // read and dropped
      }
    }
    const rawReadMs = performance.now() - rawStarted;

    // One policy changed as the admin API changes it, then the warm router's next check.
    const writer = new ConfigRepository(db, TABLE, console);
    const changed = { ...policyRecord(42), events: ['app.changed.*'], version: 2 };
    await writer.putVersioned('policy', changed, 1);
    await writer.bumpGeneration({ kind: 'policy', id: changed.id });
    await sleep(1000);
    fromSnapshot.meter.requests = 0;
    const changeStarted = performance.now();
    const changeSync = await fromSnapshot.live.sync();
    const changeMs = performance.now() - changeStarted;

    return {
      policies: count,
      full,
      fromSnapshot,
      fromOtherSnapshot,
      rawReadMs,
      changeMs,
      changeRequests: fromSnapshot.meter.requests,
      changeSync,
    };
  } finally {
    await raw.send(new DeleteTableCommand({ TableName: TABLE })).catch(() => undefined);
  }
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const describeColdStart = (start: ColdStart) =>
  `${seconds(start.ms)}: DynamoDB reads in flight ${seconds(start.readMs)}, index ${start.indexBuildMs.toFixed(0)} ms${start.saveMs > 0 ? `, then saving the snapshot ${start.saveMs.toFixed(0)} ms` : ''}; ${start.requests} requests, ${start.readUnits} read units (estimated from the bytes read)`;

/** The policy-loading rows of the `npm run bench` table. */
export const benchPolicyLoading = async (count = 100_000): Promise<Row[]> => {
  const figures = await measurePolicyLoading(count);
  const { full, fromSnapshot, fromOtherSnapshot } = figures;
  const policies = count.toLocaleString('en');
  return [
    {
      figure: `policy loading: router cold start, ${policies} policies, from the snapshot another router saved (${fromSnapshot.kind})`,
      measured: describeColdStart(fromSnapshot),
      baseline: `the same records as two raw paginated queries: ${seconds(figures.rawReadMs)}`,
      target: '≤ 2 s',
      holds: fromSnapshot.kind === 'snapshot' && fromSnapshot.ms <= 2000,
    },
    {
      figure: `policy loading: router cold start, ${policies} policies, from a snapshot another version of the code saved, validated (${fromOtherSnapshot.kind}: the first cold start after a deployment)`,
      measured: describeColdStart(fromOtherSnapshot),
      baseline: `the same records as two raw paginated queries: ${seconds(figures.rawReadMs)}`,
      target: '≤ 2 s',
      holds: fromOtherSnapshot.kind === 'snapshot' && fromOtherSnapshot.ms <= 2000,
    },
    {
      figure: `policy loading: router cold start, ${policies} policies, reading every record (${full.kind}: the first router, or no snapshot from the last hour)`,
      measured: describeColdStart(full),
      baseline: `the same records as two raw paginated queries: ${seconds(figures.rawReadMs)}`,
      target: '– (≤ 2 s is for the cold start above)',
      holds: undefined,
    },
    {
      figure: `policy loading: Herald's own share of the full read (parsing, index)`,
      measured: seconds(full.ms - full.readMs),
      baseline: '',
      target: '',
      holds: undefined,
    },
    {
      figure: 'policy loading: one policy change reaching a warm router',
      measured: `${figures.changeSync}: ${figures.changeRequests} requests, ${figures.changeMs.toFixed(0)} ms (index rebuilt)`,
      baseline: `full reload: ${full.requests} requests`,
      target: 'does not reload everything',
      holds: figures.changeSync === 'changes' && figures.changeRequests <= 3,
    },
  ];
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const emulator = await startEmulator(log);
  useEmulator(emulator.endpoint);
  try {
    const count = Number(process.argv[2] ?? 100_000);
    console.table(await benchPolicyLoading(count));
  } finally {
    if (emulator.started) stopEmulator(log);
  }
}
