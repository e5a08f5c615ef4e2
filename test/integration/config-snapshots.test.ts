import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { signedFetch } from '../../scripts/lib/signed-fetch.ts';
import { ConfigRepository } from '../../shared/aws/config-repository.ts';
import { ConfigSnapshotStore } from '../../shared/aws/config-snapshots.ts';
import { newSigningSecret } from '../../shared/channels/webhook/index.ts';
import type { PolicyRecord } from '../../shared/domain/policy.ts';
import { LiveConfig } from '../../shared/runtime/live-config.ts';
import { admin, configPropagated, output, postEvents, sleep, unique } from './support.ts';

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** Warnings a store or repository logged, by message. */
const recorder = () => {
  const warnings: string[] = [];
  return { warnings, warn: (message: string) => void warnings.push(message) };
};

/** A policy with random ids and tenants, so that the snapshot hardly compresses (several parts). */
const randomPolicy = (index: number): PolicyRecord => ({
  id: `p-${String(index).padStart(5, '0')}-${randomUUID()}`,
  enabled: true,
  events: [`app.${randomUUID().slice(0, 8)}.*`],
  match: { tenant: randomUUID(), environment: ['prod', randomUUID().slice(0, 12)] },
  minSeverity: 'info',
  channels: [`ch-${randomUUID()}`, `ch-${randomUUID()}`],
  createdAt: '2026-12-07T00:00:00.000Z',
  updatedAt: '2026-12-07T00:00:00.000Z',
  version: 1,
});

/** What routing would see: each policy by id and version. */
const viewOf = (policies: readonly PolicyRecord[]) =>
  policies.map((policy) => `${policy.id}@${policy.version}`).sort();

/** A router's config: the real repository, store and LiveConfig on `table`, counting full reads. */
const router = (table: string, log = recorder()) => {
  const repository = new ConfigRepository(db, table, log);
  let fullReads = 0;
  const listPolicies = repository.listPolicies.bind(repository);
  repository.listPolicies = async () => {
    fullReads += 1;
    return listPolicies();
  };
  const live = new LiveConfig(repository, (policies) => viewOf(policies), {
    snapshots: new ConfigSnapshotStore(db, table, log),
  });
  return { live, repository, log, fullReads: () => fullReads };
};

describe('config snapshots (routers share what one of them read whole)', () => {
  const table = `HeraldSnapshotTest-${randomUUID().slice(0, 8)}`;
  const POLICIES = 6000;

  beforeAll(async () => {
    await db.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'kind', AttributeType: 'S' },
          { AttributeName: 'id', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'kind', KeyType: 'HASH' },
          { AttributeName: 'id', KeyType: 'RANGE' },
        ],
      }),
    );
    const items = Array.from({ length: POLICIES }, (_, index) => ({
      ...randomPolicy(index),
      kind: 'policy',
    }));
    for (let start = 0; start < items.length; start += 25) {
      let requests = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
      while (requests.length > 0) {
        const result = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
        requests = (result.UnprocessedItems?.[table] ?? []) as typeof requests;
      }
    }
  });

  afterAll(async () => {
    await db.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
  });

  const snapshotItems = async () =>
    (
      await db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'kind = :kind',
          ExpressionAttributeValues: { ':kind': 'snapshot' },
        }),
      )
    ).Items ?? [];

  it('begins a cold start from the snapshot a full read saved, and the changes logged since', async () => {
    // Prepare: one router reads everything (and saves it); then three changes through the repository
    const first = router(table);
    expect(await first.live.sync()).toBe('full');
    await first.live.settled();
    const parts = (await snapshotItems()).filter((item) => item.id !== 'latest');
    expect(parts.length).toBeGreaterThan(1);
    const [changed, deleted] = (await first.repository.listPolicies()).slice(0, 2) as [
      PolicyRecord,
      PolicyRecord,
    ];
    const update: PolicyRecord = { ...changed, events: ['changed.*'], version: 2 };
    await first.repository.putVersioned('policy', update, 1);
    await first.repository.bumpGeneration({ kind: 'policy', id: changed.id });
    await first.repository.deleteVersioned('policy', deleted.id, 1);
    await first.repository.bumpGeneration({ kind: 'policy', id: deleted.id });
    const added = randomPolicy(POLICIES);
    await first.repository.putVersioned('policy', added, undefined);
    await first.repository.bumpGeneration({ kind: 'policy', id: added.id });

    // Act: another router's cold start
    const second = router(table);
    const kind = await second.live.sync();

    // Assess: no full read, and the same view as a router that reads everything
    expect(kind).toBe('snapshot');
    expect(second.fullReads()).toBe(0);
    const view = await second.live.get();
    expect(view).toHaveLength(POLICIES);
    expect(view).toContain(`${changed.id}@2`);
    expect(view).not.toContain(`${deleted.id}@1`);
    expect(view).toContain(`${added.id}@1`);
    expect(view).toEqual(viewOf(await second.repository.listPolicies()));
    expect(second.log.warnings).toEqual([]);
  });

  it('reads the table when a part of the latest snapshot is missing, saying so', async () => {
    // Prepare: a part of the latest snapshot deleted
    const latest = (
      await db.send(new GetCommand({ TableName: table, Key: { kind: 'snapshot', id: 'latest' } }))
    ).Item as { snapshotId: string };
    await db.send(
      new DeleteCommand({ TableName: table, Key: { kind: 'snapshot', id: `${latest.snapshotId}#0000` } }),
    );

    // Act
    const cold = router(table);
    const kind = await cold.live.sync();

    // Assess: a full read, which saved a complete snapshot again (the broken one, seconds old, did not
    // count as a fresh one to skip saving for)
    expect(kind).toBe('full');
    await cold.live.settled();
    expect(cold.fullReads()).toBe(1);
    expect(cold.log.warnings).toEqual(['config snapshot incomplete, reading the table']);
    expect(await router(table).live.sync()).toBe('snapshot');
  });

  it('never names an older snapshot latest over a newer one', async () => {
    // Prepare
    const store = new ConfigSnapshotStore(db, table, recorder());
    const newest = await store.latest(0);
    expect(newest).toBeDefined();
    const takenAt = newest?.takenAt ?? 0;

    // Act: routers that began reading earlier save after it
    await store.save({ generation: 0, takenAt: takenAt - 1, policies: [], channels: [], silences: [] });
    await store.save({ generation: 0, takenAt: takenAt - 600_000, policies: [], channels: [], silences: [] });

    // Assess
    const latest = await store.latest(0);
    expect(latest?.takenAt).toBe(takenAt);
    expect(latest?.policies).toHaveLength(POLICIES);
  });

  it('ignores a snapshot stamped far in the future, and replaces it with the next save', async () => {
    // Prepare: a clock an hour ahead saved one
    const log = recorder();
    const store = new ConfigSnapshotStore(db, table, log);
    const future = Date.now() + 3_600_000;
    await store.save({ generation: 0, takenAt: future, policies: [], channels: [], silences: [] });
    expect(await store.latest(0)).toBeUndefined();
    expect(log.warnings).toEqual(['config snapshot stamped in the future, reading the table']);

    // Act: a router with a right clock saves
    const now = Date.now();
    await store.save({
      generation: 0,
      takenAt: now,
      policies: [randomPolicy(1)],
      channels: [],
      silences: [],
    });

    // Assess
    expect((await store.latest(0))?.takenAt).toBe(now);
  });

  it('validates the records of a snapshot other code saved, and trusts those its own code saved', async () => {
    // Prepare: code `a` saves a snapshot holding a record no schema accepts
    const valid = randomPolicy(0);
    const invalid = { ...randomPolicy(1), minSeverity: 'loud' } as unknown as PolicyRecord;
    await new ConfigSnapshotStore(db, table, recorder(), 'a').save({
      generation: 1,
      // Two minutes ahead: newer than the last test's by more than the minute a save is skipped within.
      takenAt: Date.now() + 120_000,
      policies: [valid, invalid],
      channels: [],
      silences: [],
    });

    // Act
    const other = recorder();
    const byOther = await new ConfigSnapshotStore(db, table, other, 'b').latest(0);
    const bySame = await new ConfigSnapshotStore(db, table, recorder(), 'a').latest(0);

    // Assess
    expect(byOther?.policies.map((policy) => policy.id)).toEqual([valid.id]);
    expect(other.warnings).toEqual(['skipping an invalid config record']);
    expect(bySame?.policies.map((policy) => policy.id)).toEqual([valid.id, invalid.id]);
  });
});

/** A request to the Lambda API of the emulator, signed as the SDK would sign it. */
const lambdaApi = async (method: string, path: string, body?: unknown): Promise<unknown> => {
  const response = await signedFetch({
    method,
    url: `${inject('endpoint')}/2015-03-31${path}`,
    service: 'lambda',
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`Lambda ${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
};

interface FunctionConfiguration {
  readonly FunctionName: string;
  readonly LastUpdateStatus?: string;
  readonly Environment?: { Variables?: Record<string, string> };
}

/**
 * Makes the test stack's router start cold on its next event, as a new instance would: its
 * configuration is written again unchanged, which retires the emulator's warm instance.
 */
const coldStartRouter = async (): Promise<FunctionConfiguration> => {
  const { Functions } = (await lambdaApi('GET', '/functions/')) as { Functions: FunctionConfiguration[] };
  const router = Functions.find((fn) => fn.FunctionName.startsWith('HeraldTest-HeraldRoutingRouterFunction'));
  if (router === undefined) throw new Error('no router function in the test stack');
  const path = `/functions/${router.FunctionName}/configuration`;
  await lambdaApi('PUT', path, { Environment: { Variables: router.Environment?.Variables ?? {} } });
  for (let waited = 0; waited < 30_000; waited += 250) {
    const current = (await lambdaApi('GET', path)) as FunctionConfiguration;
    if (current.LastUpdateStatus === 'Successful') return current;
    await sleep(250);
  }
  throw new Error('the router configuration update did not finish');
};

describe('config snapshots on the test stack', () => {
  const receiver = new WebhookReceiver();
  beforeAll(async () => {
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
    // The planted snapshot is dropped: the next cold start reads the table and saves its own.
    await db.send(
      new DeleteCommand({ TableName: output('ConfigTableName'), Key: { kind: 'snapshot', id: 'latest' } }),
    );
  });

  it('a router cold start without a snapshot reads the table and saves what it read, with its code hash', async () => {
    // Prepare: a policy, no snapshot, and a router that starts cold
    const table = output('ConfigTableName');
    const policyId = unique('pol');
    const put = await admin('PUT', `/v1/policies/${policyId}`, {
      events: ['probe.*'],
      channels: ['nowhere'],
    });
    expect(put.status).toBe(201);
    await db.send(new DeleteCommand({ TableName: table, Key: { kind: 'snapshot', id: 'latest' } }));
    const router = await coldStartRouter();

    // Act: an event, so that the router runs
    const posted = await postEvents({ type: unique('snapshot.probe'), source: 'tests' });
    expect(posted.status).toBe(202);
    const store = new ConfigSnapshotStore(db, table, recorder());
    let snapshot = await store.latest(0);
    for (let waited = 0; snapshot === undefined && waited < 20_000; waited += 500) {
      await sleep(500);
      snapshot = await store.latest(0);
    }

    // Assess: the table's records at most as new as they are now, saved by this router's code
    expect(snapshot).toBeDefined();
    const repository = new ConfigRepository(db, table, recorder());
    expect(snapshot?.generation).toBeLessThanOrEqual(await repository.generation());
    const policies = new Map((await repository.listPolicies()).map((policy) => [policy.id, policy]));
    expect(snapshot?.policies.find((policy) => policy.id === policyId)?.version).toBe(1);
    for (const policy of snapshot?.policies ?? []) {
      expect(policy.version).toBeLessThanOrEqual(
        policies.get(policy.id)?.version ?? Number.POSITIVE_INFINITY,
      );
    }
    const latest = await db.send(
      new GetCommand({ TableName: table, Key: { kind: 'snapshot', id: 'latest' } }),
    );
    expect(latest.Item?.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(latest.Item?.codeHash).toBe(router.Environment?.Variables?.HERALD_CODE_HASH);
  });

  it('a router cold start routes by the snapshot it began from', async () => {
    // Prepare: a channel in the table, and a policy to it that only a planted snapshot holds (the
    // table's records besides it, at the table's generation)
    const table = output('ConfigTableName');
    const type = unique('snapshot.only');
    const channelId = unique('ch');
    const signingSecret = newSigningSecret();
    const created = await admin('PUT', `/v1/channels/${channelId}`, {
      type: 'webhook',
      config: { url: receiver.url('/snapshot'), signingSecret },
    });
    expect(created.status).toBe(201);
    receiver.expect('/snapshot', signingSecret);
    await configPropagated();
    const repository = new ConfigRepository(db, table, recorder());
    const generation = await repository.generation();
    const phantom: PolicyRecord = {
      ...randomPolicy(0),
      id: unique('only-in-snapshot'),
      events: [type],
      match: {},
      channels: [channelId],
    };
    await new ConfigSnapshotStore(db, table, recorder()).save({
      generation,
      // Newer than the router's own (seconds old) by more than the minute a save is skipped within.
      takenAt: Date.now() + 120_000,
      policies: [...(await repository.listPolicies()), phantom],
      channels: await repository.listChannels(),
      silences: await repository.listSilences(),
    });
    expect((await repository.getPolicy(phantom.id)) === undefined).toBe(true);

    // Act: the router starts cold, then an event of the policy's type
    await coldStartRouter();
    const posted = await postEvents({ type, source: 'tests' });
    expect(posted.status).toBe(202);

    // Assess: delivered, signed, by the policy only the snapshot had
    const [delivery] = await receiver.waitFor('/snapshot', 1, 30_000);
    expect(delivery?.verified).toBe(true);
    const payload = delivery?.payload as { herald?: { policy?: string } } | undefined;
    expect(payload?.herald?.policy).toBe(phantom.id);
  });
});
