import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { newSigningSecret } from '../../shared/channels/webhook/index.ts';
import {
  admin,
  configPropagated,
  deliveryRecords,
  postEvents,
  postWithKey,
  putEvent,
  putStateItem,
  redriveAndWait,
  sendToQueue,
  sleep,
  unique,
  waitForDead,
  webhookRoute,
} from './support.ts';

const DELIVERY_TIMEOUT_MS = 30_000;

/** Every page of an admin listing (`path` with its query), `limit` at a time, following `nextToken`. */
const everyPage = async <Page extends { nextToken?: string }>(
  path: string,
  limit: number,
): Promise<Page[]> => {
  const separator = path.includes('?') ? '&' : '?';
  const pages: Page[] = [];
  let token: string | undefined;
  do {
    const next = token === undefined ? '' : `&nextToken=${encodeURIComponent(token)}`;
    pages.push((await admin('GET', `${path}${separator}limit=${limit}${next}`)).json as Page);
    token = pages.at(-1)?.nextToken;
  } while (token !== undefined && pages.length < 100);
  return pages;
};

/**
 * Plants a delivery record as a Herald from before the index shards wrote it (every index key
 * unsharded), created (and, dead, dead-lettered) `at`; returns its delivery id.
 */
const plantUnshardedDelivery = async (record: {
  channelId: string;
  eventType: string;
  status: 'delivered' | 'dead';
  at: string;
}): Promise<string> => {
  const { channelId, eventType, status, at } = record;
  const id = `msg_${unique('legacy')}`;
  await putStateItem({
    pk: `delivery#${id}`,
    sk: 'delivery',
    eventId: unique('legacy-event'),
    channelId,
    eventType,
    status,
    attempts: 1,
    createdAt: at,
    updatedAt: at,
    gsi1pk: 'delivery',
    gsi1sk: `${at}#${id}`,
    byChannel: `channel#${channelId}`,
    ...(status === 'dead'
      ? {
          reason: 'receiver answered 404',
          byStatus: 'status#dead',
          byChannelStatus: `${channelId}#dead`,
          byTypeStatus: `${eventType}#dead`,
          statusSk: `${at}#${id}`,
        }
      : {}),
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  });
  return id;
};

const receiver = new WebhookReceiver();

beforeAll(async () => {
  await receiver.start();
});

afterAll(async () => {
  await receiver.stop();
});

const webhookChannel = (url: string, extra: Record<string, unknown> = {}) => ({
  type: 'webhook',
  config: { url, signingSecret: newSigningSecret(), ...extra },
});

describe('admin API: channels', () => {
  it('creates, reads, replaces and deletes a channel, with ETags guarding changes', async () => {
    // Prepare
    const id = unique('crud');
    const path = `/v1/channels/${id}`;

    // Act and assess, step by step.
    const created = await admin('PUT', path, webhookChannel(receiver.url('/crud'), { timeoutMs: 5000 }));
    expect(created.status).toBe(201);
    const etag = created.headers.get('etag') ?? '';
    expect(etag).not.toBe('');

    const read = await admin('GET', path);
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe(etag);
    expect(read.json).toMatchObject({
      id,
      type: 'webhook',
      enabled: true,
      config: { method: 'POST', timeoutMs: 5000 },
    });

    const replaced = await admin(
      'PUT',
      path,
      { ...webhookChannel(receiver.url('/crud')), enabled: false },
      { 'if-match': etag },
    );
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ enabled: false, config: { timeoutMs: 10000 } });
    const newEtag = replaced.headers.get('etag') ?? '';
    expect(newEtag).not.toBe(etag);

    const stalePut = await admin('PUT', path, webhookChannel(receiver.url('/crud')), { 'if-match': etag });
    expect(stalePut).toMatchObject({ status: 412, json: { error: 'precondition_failed' } });
    const staleDelete = await admin('DELETE', path, undefined, { 'if-match': etag });
    expect(staleDelete.status).toBe(412);

    const deleted = await admin('DELETE', path, undefined, { 'if-match': newEtag });
    expect(deleted.status).toBe(204);
    expect((await admin('GET', path)).status).toBe(404);
  });

  it('never returns a secret value in any read, only that it is configured or where it is referenced', async () => {
    // Prepare: every secret field inline, with recognisable values.
    const id = unique('secret');
    const token = `tok-${unique('x')}`;
    const headerValue = `Bearer ${unique('header')}`;
    const signingSecret = newSigningSecret();
    const url = `${receiver.url('/secret')}?token=${token}`;

    // Act
    const created = await admin('PUT', `/v1/channels/${id}`, {
      type: 'webhook',
      config: { url, headers: { authorization: headerValue }, signingSecret },
    });
    const single = await admin('GET', `/v1/channels/${id}`);
    const list = await admin('GET', '/v1/channels?limit=100');
    const teamSecret = unique('team/webhooks');
    await new SecretsManagerClient({}).send(
      new CreateSecretCommand({
        Name: teamSecret,
        SecretString: JSON.stringify({ signing: newSigningSecret() }),
      }),
    );
    const referenced = await admin('PUT', `/v1/channels/${id}`, {
      type: 'webhook',
      config: {
        url,
        headers: { authorization: headerValue },
        signingSecret: { secretRef: teamSecret, key: 'signing' },
      },
    });

    // Assess: on the bytes of every response.
    for (const response of [created, single, list, referenced]) {
      expect(response.status).toBeLessThan(300);
      for (const secret of [token, headerValue, signingSecret.slice(6), url])
        expect(response.text).not.toContain(secret);
    }
    expect(single.json).toMatchObject({
      config: {
        url: { configured: true },
        headers: { configured: true },
        signingSecret: { configured: true },
      },
    });
    expect(referenced.json).toMatchObject({
      config: { url: { configured: true }, signingSecret: { secretRef: teamSecret, key: 'signing' } },
    });
  });

  it('rejects invalid channels with 400 and the field path', async () => {
    const cases: [unknown, string][] = [
      [{ type: 'carrier-pigeon', config: {} }, 'type'],
      [{ type: 'webhook', config: {} }, 'config.url'],
      [{ type: 'webhook', config: { url: 'ftp://example.com/x' } }, 'config.url'],
      [{ type: 'webhook', config: { url: 'https://example.com', method: 'GET' } }, 'config.method'],
      [
        { type: 'webhook', config: { url: 'https://example.com', signingSecret: 'nope' } },
        'config.signingSecret',
      ],
      [
        { type: 'webhook', config: { url: 'https://example.com' }, retry: { maxAttempts: 99 } },
        'retry.maxAttempts',
      ],
    ];
    for (const [body, path] of cases) {
      const response = await admin('PUT', `/v1/channels/${unique('bad')}`, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.json).toMatchObject({
        error: 'invalid_request',
        details: expect.arrayContaining([expect.objectContaining({ path })]),
      });
    }
    const badId = await admin('PUT', '/v1/channels/Not_Valid', webhookChannel('https://example.com'));
    expect(badId).toMatchObject({ status: 400, json: { details: [{ path: 'id' }] } });
  });

  it('answers 404 for unknown channels, policies, events and API keys', async () => {
    for (const path of [
      `/v1/channels/${unique('none')}`,
      `/v1/policies/${unique('none')}`,
      `/v1/events/${unique('none')}`,
    ]) {
      expect((await admin('GET', path)).status, path).toBe(404);
    }
    expect((await admin('DELETE', `/v1/channels/${unique('none')}`)).status).toBe(404);
    expect((await admin('POST', `/v1/channels/${unique('none')}/test`)).status).toBe(404);
    expect((await admin('DELETE', '/v1/api-keys/key_unknown')).status).toBe(404);
  });

  it('test-sends through the channel: ok against a live receiver, an error (not a throw) against a dead one', async () => {
    // Prepare
    const live = unique('live');
    const signingSecret = newSigningSecret();
    await admin('PUT', `/v1/channels/${live}`, {
      type: 'webhook',
      config: { url: receiver.url('/live'), signingSecret },
    });
    receiver.expect('/live', signingSecret);
    const dead = unique('dead');
    await admin('PUT', `/v1/channels/${dead}`, webhookChannel('http://127.0.0.1:9/nobody-listens'));

    // Act
    const ok = await admin('POST', `/v1/channels/${live}/test`);
    const failed = await admin('POST', `/v1/channels/${dead}/test`);

    // Assess
    expect(ok).toMatchObject({ status: 200, json: { ok: true, status: 200, error: null } });
    const [delivery] = receiver.deliveriesTo('/live');
    expect(delivery?.verified).toBe(true);
    expect(delivery?.payload).toMatchObject({ type: 'herald.test', source: 'herald' });
    expect(failed).toMatchObject({ status: 200, json: { ok: false, status: null } });
    expect((failed.json as { error: string }).error).toMatch(/ECONNREFUSED/);
    const recorded = await admin('GET', `/v1/deliveries?channel=${live}`);
    expect(recorded.json).toMatchObject({
      items: [{ channelId: live, status: 'delivered', attemptCount: 1 }],
    });
  });
});

describe('admin API: policies', () => {
  it('accepts a policy naming a missing channel with a warning, and lists policies page by page', async () => {
    // Prepare
    const prefix = unique('pg');
    const ids = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];

    // Act
    const responses = await Promise.all(
      ids.map((id) => admin('PUT', `/v1/policies/${id}`, { channels: [`${prefix}-ghost`] })),
    );
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await admin(
        'GET',
        `/v1/policies?limit=2${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`,
      );
      const body = page.json as { items: { id: string }[]; nextToken?: string };
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((item) => item.id));
      nextToken = body.nextToken;
      pages += 1;
    } while (nextToken !== undefined && pages < 100);

    // Assess
    for (const response of responses) {
      expect(response.status).toBe(201);
      expect(response.json).toMatchObject({ warnings: [expect.stringContaining(`${prefix}-ghost`)] });
    }
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(pages).toBeGreaterThan(1);
  });

  it('rejects invalid policies with paths and guards replacement with If-Match', async () => {
    const id = unique('pol');
    const invalid = await admin('PUT', `/v1/policies/${id}`, {
      channels: [],
      minSeverity: 'urgent',
      match: { env: 7 },
    });
    expect(invalid.status).toBe(400);
    const paths = (invalid.json as { details: { path: string }[] }).details.map((detail) => detail.path);
    expect(paths).toEqual(expect.arrayContaining(['channels', 'minSeverity', 'match.env']));

    const created = await admin('PUT', `/v1/policies/${id}`, { channels: ['x'] });
    const etag = created.headers.get('etag') ?? '';
    expect(
      (await admin('PUT', `/v1/policies/${id}`, { channels: ['y'] }, { 'if-match': '"999"' })).status,
    ).toBe(412);
    const replaced = await admin('PUT', `/v1/policies/${id}`, { channels: ['y'] }, { 'if-match': etag });
    expect(replaced).toMatchObject({ status: 200, json: { channels: ['y'] } });
    expect((await admin('DELETE', `/v1/policies/${id}`)).status).toBe(204);
  });
});

describe('admin API: API keys', () => {
  it('lets a created key ingest, refuses it once revoked (403), and answers 401 without one', async () => {
    // Prepare
    const created = await admin('POST', '/v1/api-keys', { name: unique('producer') });
    expect(created.status).toBe(201);
    const { id, key } = created.json as { id: string; key: string };
    expect(key).toMatch(/^hk_/);
    const event = { type: 'key.check', source: 'tests' };

    // Act and assess
    expect((await postWithKey(event, key)).status).toBe(202);
    const listed = await admin('GET', '/v1/api-keys');
    expect(listed.text).not.toContain(key);
    expect(listed.json).toMatchObject({
      items: expect.arrayContaining([expect.objectContaining({ id, lastUsedAt: expect.any(String) })]),
    });
    expect((await admin('DELETE', `/v1/api-keys/${id}`)).status).toBe(204);
    expect((await postWithKey(event, key)).status).toBe(403);
    expect((await postWithKey(event, 'hk_neverissuedneverissuedneverissued')).status).toBe(403);
    expect((await postWithKey(event, undefined)).status).toBe(401);
  });
});

describe('admin API: events, deliveries and dead letters', () => {
  it('shows an event with each delivery and its attempts, and lists recent deliveries', async () => {
    // Prepare
    const type = unique('inspect.me');
    const { channelId } = await webhookRoute(receiver, {
      eventType: type,
      path: '/inspect',
      responder: (_p, n) => (n === 1 ? 500 : 200),
    });

    // Act
    const sent = await postEvents({ type, source: 'tests' });
    const eventId = (sent.json as { events: { id: string }[] }).events[0]?.id ?? '';
    await receiver.waitFor('/inspect', 2, DELIVERY_TIMEOUT_MS);
    await sleep(500);
    const event = await admin('GET', `/v1/events/${eventId}`);
    const deliveries = await admin('GET', `/v1/deliveries?channel=${channelId}&status=delivered`);

    // Assess
    expect(event).toMatchObject({
      status: 200,
      json: {
        event: { id: eventId, type },
        status: 'routed',
        deliveries: [
          {
            channelId,
            status: 'delivered',
            attemptCount: 2,
            attempts: [
              { attempt: 1, outcome: 'retry', httpStatus: 500 },
              { attempt: 2, outcome: 'delivered', httpStatus: 200 },
            ],
          },
        ],
      },
    });
    expect(deliveries.json).toMatchObject({ items: [{ eventId, channelId, status: 'delivered' }] });
    expect((await admin('GET', '/v1/deliveries?status=lost')).status).toBe(400);
  });

  it('lists deliveries by status and channel in full pages, newest first, however many others there are', async () => {
    // Prepare: five dead deliveries on one channel, among everything the other tests delivered.
    const type = unique('pages.dead');
    const { channelId } = await webhookRoute(receiver, {
      eventType: type,
      path: '/pages-dead',
      responder: () => 404,
    });
    const ids: string[] = [];
    for (let n = 0; n < 5; n += 1) {
      const sent = await postEvents({ type, source: 'tests', subject: `dead ${n}` });
      ids.push((sent.json as { events: { id: string }[] }).events[0]?.id ?? '');
    }
    for (const id of ids) await waitForDead(id, DELIVERY_TIMEOUT_MS);

    // Act
    type Page = {
      items: { channelId: string; status: string; eventId: string; createdAt: string; statusAt?: string }[];
      nextToken?: string;
    };
    const first = (await admin('GET', `/v1/deliveries?status=dead&channel=${channelId}&limit=3`))
      .json as Page;
    const second = (
      await admin(
        'GET',
        `/v1/deliveries?status=dead&channel=${channelId}&limit=3&nextToken=${encodeURIComponent(first.nextToken ?? '')}`,
      )
    ).json as Page;
    const dead = (await admin('GET', '/v1/deliveries?status=dead&limit=4')).json as Page;
    const byChannel = (await admin('GET', `/v1/deliveries?channel=${channelId}&limit=2`)).json as Page;
    const wrongToken = await admin(
      'GET',
      `/v1/deliveries?status=delivered&limit=3&nextToken=${encodeURIComponent(first.nextToken ?? '')}`,
    );

    // Assess
    expect(first.items).toHaveLength(3);
    expect(second.items).toHaveLength(2);
    const listed = [...first.items, ...second.items];
    expect(listed.every((item) => item.channelId === channelId && item.status === 'dead')).toBe(true);
    expect(new Set(listed.map((item) => item.eventId))).toEqual(new Set(ids));
    // Filtered by status: newest first by when each took that status (died, here).
    const times = listed.map((item) => item.statusAt);
    expect(times.every((time) => typeof time === 'string')).toBe(true);
    expect(times).toEqual([...times].sort().reverse());
    expect(dead.items).toHaveLength(4);
    expect(dead.items.every((item) => item.status === 'dead')).toBe(true);
    expect(byChannel.items).toHaveLength(2);
    expect(wrongToken.status).toBe(400);
  });

  it('lists delivered deliveries from the creation-time indexes in full pages, and never under another status', async () => {
    // Prepare: one channel whose receiver answers 200 and 404 in turn: three deliveries delivered at
    // their first attempt (one write each, in no status index) and three dead, sent one at a time.
    const type = unique('pages.delivered');
    const path = '/pages-delivered';
    const { channelId } = await webhookRoute(receiver, {
      eventType: type,
      path,
      responder: (_path, count) => (count % 2 === 1 ? 200 : 404),
    });
    const ids: string[] = [];
    for (let n = 1; n <= 6; n += 1) {
      const sent = await postEvents({ type, source: 'tests', subject: `turn ${n}` });
      ids.push((sent.json as { events: { id: string }[] }).events[0]?.id ?? '');
      await receiver.waitFor(path, n, DELIVERY_TIMEOUT_MS);
    }
    const delivered = ids.filter((_id, index) => index % 2 === 0);
    for (const id of ids.filter((_id, index) => index % 2 === 1)) await waitForDead(id, DELIVERY_TIMEOUT_MS);
    type Page = { items: { status: string; eventId: string; channelId: string }[]; nextToken?: string };
    const list = async (query: string) => (await admin('GET', `/v1/deliveries?${query}`)).json as Page;
    const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
    while ((await list(`status=delivered&channel=${channelId}`)).items.length < 3 && Date.now() < deadline) {
      await sleep(250);
    }

    // Act
    const first = await list(`status=delivered&channel=${channelId}&limit=2`);
    const second = await list(
      `status=delivered&channel=${channelId}&limit=2&nextToken=${encodeURIComponent(first.nextToken ?? '')}`,
    );
    const pending = await list(`status=pending&channel=${channelId}`);
    const dead = await list(`status=dead&channel=${channelId}`);
    const all = await list(`channel=${channelId}`);
    const anyChannel = await list('status=delivered&limit=5');

    // Assess
    expect(first.items).toHaveLength(2);
    expect(first.nextToken).toBeDefined();
    expect(second.items).toHaveLength(1);
    const listed = [...first.items, ...second.items];
    expect(listed.map((item) => item.eventId)).toEqual([...delivered].reverse());
    expect(listed.every((item) => item.status === 'delivered' && item.channelId === channelId)).toBe(true);
    expect(pending.items).toEqual([]);
    expect(dead.items.map((item) => item.eventId).sort()).toEqual(
      ids.filter((_id, index) => index % 2 === 1).sort(),
    );
    expect(all.items).toHaveLength(6);
    expect(anyChannel.items).toHaveLength(5);
    expect(anyChannel.items.every((item) => item.status === 'delivered')).toBe(true);
  });

  it('lists every delivery newest first across the time index partitions, in full pages, with a record from before them', async () => {
    // Prepare: twelve deliveries, spread over the byTime partitions by their ids, and a record as a
    // Herald from before the partitions wrote it (one partition key), created among them.
    const start = new Date().toISOString();
    const type = unique('pages.all');
    const path = `/${unique('pages-all')}`;
    const { channelId } = await webhookRoute(receiver, { eventType: type, path, responder: () => 200 });
    const sent = await postEvents({
      events: Array.from({ length: 12 }, (_, n) => ({ type, source: 'tests', subject: `all ${n}` })),
    });
    expect(sent.status).toBe(202);
    await receiver.waitFor(path, 12, DELIVERY_TIMEOUT_MS);
    type Page = { items: { deliveryId: string; channelId: string; createdAt: string }[]; nextToken?: string };
    const list = async (query: string) => (await admin('GET', `/v1/deliveries?${query}`)).json as Page;
    const ours = async () => (await list(`channel=${channelId}&limit=100`)).items;
    const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
    while ((await ours()).length < 12 && Date.now() < deadline) await sleep(250);
    const recorded = await ours();
    const times = recorded.map((item) => item.createdAt).sort();
    const legacyId = await plantUnshardedDelivery({
      channelId,
      eventType: type,
      status: 'delivered',
      at: times[6] ?? start,
    });

    // Act: every delivery since the test began, and every one of the channel, five at a time.
    const all = await everyPage<Page>(`/v1/deliveries?since=${encodeURIComponent(start)}`, 5);
    const channel = await everyPage<Page>(`/v1/deliveries?channel=${channelId}`, 5);
    const records = await Promise.all(
      recorded.map(async (item) => (await deliveryRecords(item.deliveryId)).delivery),
    );

    // Assess
    const expected = [...recorded.map((item) => item.deliveryId), legacyId];
    for (const pages of [all, channel]) {
      const listed = pages.flatMap((page) => page.items);
      const ids = listed.map((item) => item.deliveryId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining(expected));
      const created = listed.map((item) => item.createdAt);
      expect(created).toEqual([...created].sort().reverse());
      expect(pages.slice(0, -1).every((page) => page.items.length === 5)).toBe(true);
    }
    expect(channel.flatMap((page) => page.items)).toHaveLength(13);
    const shards = (key: string) => new RegExp(`^${key}#([0-9]|1[0-5])$`);
    expect(records.every((record) => shards('delivery').test(String(record?.gsi1pk)))).toBe(true);
    expect(records.every((record) => shards(`channel#${channelId}`).test(String(record?.byChannel)))).toBe(
      true,
    );
    expect(new Set(records.map((record) => record?.gsi1pk)).size).toBeGreaterThan(1);
  });

  it('lists every dead letter newest first across the status index partitions, in full pages, with one from before them', async () => {
    // Prepare: six dead letters, spread over the `status#dead` partitions by their ids, and one as a
    // Herald from before the partitions wrote it (one partition key), dead among them.
    const start = new Date().toISOString();
    const type = unique('pages.dead-all');
    const path = `/${unique('pages-dead-all')}`;
    const { channelId } = await webhookRoute(receiver, {
      eventType: type,
      path,
      responder: () => 404,
      channel: { retry: { maxAttempts: 1 } },
    });
    const sent = await postEvents({
      events: Array.from({ length: 6 }, (_, n) => ({ type, source: 'tests', subject: `dead ${n}` })),
    });
    const eventIds = (sent.json as { events: { id: string }[] }).events.map((event) => event.id);
    const dead = await Promise.all(eventIds.map((id) => waitForDead(id, DELIVERY_TIMEOUT_MS)));
    type Item = { deliveryId: string; statusAt?: string; deadLetteredAt?: string };
    type Page = { items: Item[]; nextToken?: string; counts?: { byChannel: Record<string, number> } };
    const recorded = await Promise.all(
      dead.map(async (item) => (await deliveryRecords(item.deliveryId)).delivery),
    );
    const times = recorded.map((record) => String(record?.statusSk).split('#')[0]).sort();
    // One of this type and one of another type on the same channel (which a listing by channel and type
    // leaves out), both as a Herald from before the partitions wrote them.
    const legacyId = await plantUnshardedDelivery({
      channelId,
      eventType: type,
      status: 'dead',
      at: times[3] ?? start,
    });
    const otherTypeId = await plantUnshardedDelivery({
      channelId,
      eventType: `${type}-other`,
      status: 'dead',
      at: times[1] ?? start,
    });
    const since = `since=${encodeURIComponent(start)}`;

    // Act: every dead delivery since the test began, four at a time, from both routes.
    const deliveries = await everyPage<Page>(`/v1/deliveries?status=dead&${since}`, 4);
    const deadLetters = await everyPage<Page>(`/v1/dead-letters?${since}`, 4);
    const ofChannel = await everyPage<Page>(`/v1/dead-letters?channel=${channelId}&${since}`, 4);
    const ofType = await everyPage<Page>(`/v1/dead-letters?type=${type}&${since}`, 4);
    const ofChannelAndStatus = await everyPage<Page>(
      `/v1/deliveries?status=dead&channel=${channelId}&${since}`,
      4,
    );
    const ofChannelAndType = await everyPage<Page>(
      `/v1/dead-letters?channel=${channelId}&type=${type}&${since}`,
      4,
    );

    // Assess
    const expected = [...dead.map((item) => item.deliveryId), legacyId];
    expect(recorded.every((record) => /^status#dead#([0-9]|1[0-5])$/.test(String(record?.byStatus)))).toBe(
      true,
    );
    expect(new Set(recorded.map((record) => record?.byStatus)).size).toBeGreaterThan(1);
    expect(recorded.every((record) => /#dead#([0-9]|1[0-5])$/.test(String(record?.byChannelStatus)))).toBe(
      true,
    );
    expect(recorded.every((record) => /#dead#([0-9]|1[0-5])$/.test(String(record?.byTypeStatus)))).toBe(true);
    const count = (pages: Page[]) => pages.flatMap((page) => page.items).length;
    expect([ofChannel, ofChannelAndStatus, ofType, ofChannelAndType].map(count)).toEqual([8, 8, 7, 7]);
    expect(ofChannelAndType.flatMap((page) => page.items.map((item) => item.deliveryId))).not.toContain(
      otherTypeId,
    );
    for (const pages of [deliveries, deadLetters, ofChannel, ofType, ofChannelAndStatus, ofChannelAndType]) {
      const ids = pages.flatMap((page) => page.items.map((item) => item.deliveryId));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining(expected));
      const at = pages.flatMap((page) =>
        page.items.map((item) => item.deadLetteredAt ?? item.statusAt ?? ''),
      );
      expect(at).toEqual([...at].sort().reverse());
      expect(pages.slice(0, -1).every((page) => page.items.length === 4)).toBe(true);
    }
    expect(deadLetters[0]?.counts?.byChannel[channelId]).toBe(8);
  });

  it('lists dead letters by channel with counts and redrives them by id, never a delivered pair', async () => {
    // Prepare: a receiver that is down until the test brings it back, and a delivery that succeeded.
    const type = unique('redrive.me');
    let up = false;
    const { channelId } = await webhookRoute(receiver, {
      eventType: type,
      path: '/redrive',
      responder: () => (up ? 200 : 503),
    });
    const sent = await postEvents({ type, source: 'tests' });
    const eventId = (sent.json as { events: { id: string }[] }).events[0]?.id ?? '';
    const dead = await waitForDead(eventId, DELIVERY_TIMEOUT_MS);
    await webhookRoute(receiver, { eventType: `${type}-ok`, path: '/redrive-ok' });
    const okSent = await postEvents({ type: `${type}-ok`, source: 'tests' });
    const okEventId = (okSent.json as { events: { id: string }[] }).events[0]?.id ?? '';
    await receiver.waitFor('/redrive-ok', 1, DELIVERY_TIMEOUT_MS);
    await sleep(500);
    const okDelivery = (
      (await admin('GET', `/v1/events/${okEventId}`)).json as { deliveries: { deliveryId: string }[] }
    ).deliveries[0];

    // Act
    const listed = await admin('GET', `/v1/dead-letters?channel=${channelId}`);
    const byType = await admin('GET', `/v1/dead-letters?type=${type}`);
    up = true;
    const before = receiver.deliveriesTo('/redrive').length;
    const redriven = await admin('POST', '/v1/dead-letters/redrive', {
      deliveryIds: [dead.deliveryId, okDelivery?.deliveryId],
    });
    const again = await redriveAndWait({ channel: channelId });
    const conflicting = await admin('POST', '/v1/dead-letters/redrive', { channel: channelId, eventId });

    // Assess
    expect(listed.json).toMatchObject({
      items: [{ deliveryId: dead.deliveryId, eventId, channelId, eventType: type, reason: dead.reason }],
      counts: { byChannel: { [channelId]: 1 } },
    });
    expect(dead.reason).toBe('gave up after 3 attempts: receiver answered 503');
    expect(byType.json).toMatchObject({ items: [{ deliveryId: dead.deliveryId }] });
    expect(redriven.json).toEqual({ redriven: 1, skipped: 1 });
    expect(again).toMatchObject({ status: 202, result: { status: 'done', redriven: 0, skipped: 0 } });
    expect(conflicting.status).toBe(400);
    const after = await receiver.waitFor('/redrive', before + 1, DELIVERY_TIMEOUT_MS);
    expect(after.at(-1)?.answered).toBe(200);
    expect(after.at(-1)?.headers['webhook-id']).toBe(dead.deliveryId);
    await sleep(2000);
    expect(receiver.deliveriesTo('/redrive-ok')).toHaveLength(1);
    expect(receiver.deliveriesTo('/redrive')).toHaveLength(before + 1);
    expect((await deliveryRecords(dead.deliveryId)).delivery?.status).toBe('delivered');
  });

  it('replays the SQS dead-letter queue (jobs that died without a record), skipping delivered pairs', async () => {
    // Prepare: a delivery that succeeded, and a stray copy of its job in the SQS dead-letter queue.
    const type = unique('backstop');
    const path = `/${unique('backstop')}`;
    const { channelId } = await webhookRoute(receiver, { eventType: type, path });
    const eventId = ((await postEvents({ type, source: 'tests' })).json as { events: { id: string }[] })
      .events[0]?.id;
    await receiver.waitFor(path, 1, DELIVERY_TIMEOUT_MS);
    await sleep(500);
    const shown = (await admin('GET', `/v1/events/${eventId}`)).json as {
      event: unknown;
      deliveries: { deliveryId: string }[];
    };
    const job = { deliveryId: shown.deliveries[0]?.deliveryId, channelId, policyIds: [], event: shown.event };
    await sendToQueue('DeliveryDeadLetterQueueUrl', JSON.stringify(job));

    // Act
    const listed = await admin('GET', `/v1/dead-letters?source=queue&channel=${channelId}`);
    const replayed = await admin('POST', '/v1/dead-letters/redrive', { source: 'queue', channel: channelId });

    // Assess
    expect(listed.json).toMatchObject({
      items: [{ channelId, reason: 'moved by the queue redrive policy' }],
    });
    expect(replayed.json).toEqual({ redriven: 0, skipped: 1 });
    await sleep(2000);
    expect(receiver.deliveriesTo(path)).toHaveLength(1);
    await configPropagated();
  });

  it('lists the events that could not be routed with their reasons, and routes again those the router failed on', async () => {
    // Prepare: an EventBridge event whose detail is no valid Herald event (the router refuses it, with
    // the reason), and one the router kept failing on (the queue's redrive policy moved it: planted).
    const type = unique('unrouted');
    const path = `/${unique('unrouted')}`;
    await webhookRoute(receiver, { eventType: type, path });
    const refusedId = await putEvent({
      source: 'tests',
      detailType: type,
      detail: { subject: 'x'.repeat(300) },
    });
    const failedOnId = unique('evb');
    await sendToQueue(
      'IngestDeadLetterQueueUrl',
      JSON.stringify({
        version: '0',
        id: failedOnId,
        'detail-type': type,
        source: 'tests',
        account: '000000000000',
        time: new Date().toISOString(),
        region: 'us-east-1',
        resources: [],
        detail: { subject: 'routed on the second go' },
      }),
    );
    type IngestPage = { items: { eventId: string | null; eventType: string | null; reason: string }[] };
    const listIngest = async () =>
      ((await admin('GET', '/v1/dead-letters?source=ingest&limit=100')).json as IngestPage).items;
    const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
    while (!(await listIngest()).some((item) => item.eventId === refusedId) && Date.now() < deadline)
      await sleep(500);

    // Act
    const listed = await listIngest();
    const badQuery = await admin('GET', '/v1/dead-letters?source=ingest&channel=anything');
    const badRedrive = await admin('POST', '/v1/dead-letters/redrive', { source: 'ingest', type });
    const replayed = (await admin('POST', '/v1/dead-letters/redrive', { source: 'ingest' })).json as {
      redriven: number;
      skipped: number;
    };

    // Assess: both listed with what they say; the one the router failed on is routed and delivered,
    // the refused one stays where it is.
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          eventId: refusedId,
          eventType: type,
          reason: expect.stringMatching(new RegExp(`^invalid EventBridge event ${refusedId}: subject: `)),
        }),
        expect.objectContaining({
          eventId: failedOnId,
          eventType: type,
          reason: 'moved by the queue redrive policy',
        }),
      ]),
    );
    expect(badQuery.status).toBe(400);
    expect(badRedrive.status).toBe(400);
    expect(badRedrive.json).toMatchObject({ details: [{ path: 'source' }] });
    expect(replayed.redriven).toBeGreaterThanOrEqual(1);
    expect(replayed.skipped).toBeGreaterThanOrEqual(1);
    const [delivery] = await receiver.waitFor(path, 1, DELIVERY_TIMEOUT_MS);
    expect(delivery?.payload).toMatchObject({ id: failedOnId, type, subject: 'routed on the second go' });
    const after = await listIngest();
    expect(after.some((item) => item.eventId === refusedId)).toBe(true);
    expect(after.some((item) => item.eventId === failedOnId)).toBe(false);
  });
});
