/**
 * The chaos suite on the deployed stack (loopback receivers, the test stack's `0,1,1` s schedule):
 * retries that keep the notification byte-identical, Retry-After honoured, a channel that keeps
 * failing disabled, a thousand events through failing receivers with nothing lost or sent twice, and a
 * thousand dead letters listed by channel and one channel's redriven completely in the background.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReceivedDelivery, WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { newSigningSecret } from '../../shared/channels/webhook/index.ts';
import { admin, postEvents, redriveAndWait, sleep, unique, webhookRoute } from './support.ts';

const DELIVERY_TIMEOUT_MS = 30_000;

const receiver = new WebhookReceiver();

beforeAll(async () => {
  await receiver.start();
});

afterAll(async () => {
  await receiver.stop();
});

const eventIdOf = (response: { json: unknown }) =>
  (response.json as { events: { id: string }[] }).events[0]?.id ?? '';

/** The body without the one field that changes between attempts. */
const withoutAttempt = (delivery: ReceivedDelivery): unknown => {
  const body = JSON.parse(delivery.body) as { herald: Record<string, unknown> };
  const { attempt: _attempt, ...herald } = body.herald;
  return { ...body, herald };
};

/** Sends events in requests of 100, several at a time. */
/** Routes the `herald.channel.disabled` event about a channel to a receiver path of its own; returns it. */
const watchDisabling = async (channelId: string): Promise<string> => {
  const path = `/${unique('watch-disabled')}`;
  await webhookRoute(receiver, {
    eventType: 'herald.channel.disabled',
    path,
    policy: { match: { channel: channelId } },
  });
  return path;
};

const ingest = async (events: readonly Record<string, unknown>[]): Promise<string[]> => {
  const requests: Record<string, unknown>[][] = [];
  for (let start = 0; start < events.length; start += 100) requests.push(events.slice(start, start + 100));
  const answers = await Promise.all(requests.map((batch) => postEvents({ events: batch })));
  for (const answer of answers) expect(answer.status).toBe(202);
  return answers.flatMap((answer) => (answer.json as { events: { id: string }[] }).events.map((e) => e.id));
};

interface DeliveryView {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly status: string;
}

/** Every delivery to a channel, through the admin API's full pages. */
const deliveriesOf = async (channelId: string): Promise<DeliveryView[]> => {
  const items: DeliveryView[] = [];
  let nextToken: string | undefined;
  do {
    const query = `channel=${channelId}&limit=100${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`;
    const page = (await admin('GET', `/v1/deliveries?${query}`)).json as {
      items: DeliveryView[];
      nextToken?: string;
    };
    items.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return items;
};

/** Waits until every one of `expected` deliveries per channel is delivered or dead. */
const settled = async (channelIds: readonly string[], expected: number, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await Promise.all(channelIds.map((id) => deliveriesOf(id)));
    const done = all.every(
      (items) =>
        items.length === expected &&
        items.every((item) => item.status === 'delivered' || item.status === 'dead'),
    );
    if (done || Date.now() > deadline) return all;
    await sleep(2_000);
  }
};

describe('chaos', () => {
  it('delivers once after two 500s, every attempt the same webhook-id and bytes but for the attempt, freshly signed', async () => {
    // Prepare
    const type = unique('flaky');
    const path = `/${unique('flaky')}`;
    await webhookRoute(receiver, {
      eventType: type,
      path,
      responder: (_path, count) => (count <= 2 ? 500 : 200),
    });

    // Act
    const eventId = eventIdOf(await postEvents({ type, source: 'tests', data: { n: 1 } }));

    // Assess
    const attempts = await receiver.waitFor(path, 3, DELIVERY_TIMEOUT_MS);
    await sleep(2_000);
    expect(receiver.deliveriesTo(path)).toHaveLength(3);
    expect(attempts.map((delivery) => delivery.answered)).toEqual([500, 500, 200]);
    expect(new Set(attempts.map((delivery) => delivery.headers['webhook-id'])).size).toBe(1);
    expect(new Set(attempts.map((delivery) => delivery.headers['webhook-timestamp'])).size).toBe(3);
    expect(attempts.every((delivery) => delivery.verified)).toBe(true);
    expect(
      attempts.map((delivery) => (delivery.payload as { herald: { attempt: number } }).herald.attempt),
    ).toEqual([1, 2, 3]);
    const bodies = attempts.map((delivery) => JSON.stringify(withoutAttempt(delivery)));
    expect(new Set(bodies).size).toBe(1);
    const shown = (await admin('GET', `/v1/events/${eventId}`)).json as {
      deliveries: { status: string; attempts: unknown[] }[];
    };
    expect(shown.deliveries).toMatchObject([{ status: 'delivered', attempts: [{}, {}, {}] }]);
  });

  it('waits at least as long as a 429 Retry-After asks before the next attempt', async () => {
    // Prepare
    const type = unique('throttled');
    const path = `/${unique('throttled')}`;
    await webhookRoute(receiver, {
      eventType: type,
      path,
      responder: (_path, count) => (count === 1 ? { status: 429, headers: { 'retry-after': '3' } } : 200),
    });

    // Act
    await postEvents({ type, source: 'tests' });

    // Assess
    const [limited, accepted] = await receiver.waitFor(path, 2, DELIVERY_TIMEOUT_MS);
    expect(limited?.answered).toBe(429);
    expect(accepted?.answered).toBe(200);
    expect((accepted?.at.getTime() ?? 0) - (limited?.at.getTime() ?? 0)).toBeGreaterThanOrEqual(3_000);
  });

  it('disables a channel whose last 150 deliveries all died, says so once, and sends it nothing more', async () => {
    // Prepare: the test stack disables after 150 dead letters in a row; one attempt each.
    const type = unique('failing');
    const path = `/${unique('failing')}`;
    const failing = await webhookRoute(receiver, {
      eventType: type,
      path,
      responder: () => 503,
      channel: { retry: { maxAttempts: 1 } },
    });
    const watchPath = await watchDisabling(failing.channelId);

    // Act
    await ingest(Array.from({ length: 160 }, (_, n) => ({ type, source: 'tests', subject: `fail ${n}` })));

    // Assess
    const [disabled] = await receiver.waitFor(watchPath, 1, 90_000);
    expect(disabled?.payload).toMatchObject({
      type: 'herald.channel.disabled',
      source: 'herald',
      attributes: { channel: failing.channelId },
      data: { reason: 'the last 150 deliveries were dead-lettered within 24h with no success between' },
    });
    const channel = (await admin('GET', `/v1/channels/${failing.channelId}`)).json;
    expect(channel).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('last 150') });
    await sleep(3_000);
    const reached = receiver.deliveriesTo(path).length;
    await ingest(Array.from({ length: 5 }, (_, n) => ({ type, source: 'tests', subject: `after ${n}` })));
    await sleep(3_000);
    expect(receiver.deliveriesTo(watchPath)).toHaveLength(1);
    expect(receiver.deliveriesTo(path)).toHaveLength(reached);
  }, 180_000);

  it('keeps a channel enabled while a success came between its dead letters, and disables it about 150 after', async () => {
    // Prepare: the 91st delivery to arrive succeeds, every other one dies at its one attempt: 179 dead
    // letters within the window, 90 before the success and 89 after it, never 150 in a row.
    // Deliveries run concurrently, so the order their outcomes are recorded in is not the order they
    // reached the receiver: dead letters that arrived before the success may be recorded after it (5 to
    // 15 of them in runs on an idle machine). The margins, 60 on each side, are far wider than that.
    const type = unique('flaky');
    const path = `/${unique('flaky')}`;
    const success = 91;
    const flaky = await webhookRoute(receiver, {
      eventType: type,
      path,
      responder: (_path, count) => (count === success ? 200 : 503),
      channel: { retry: { maxAttempts: 1 } },
    });
    const watchPath = await watchDisabling(flaky.channelId);

    // Act
    await ingest(Array.from({ length: 180 }, (_, n) => ({ type, source: 'tests', subject: `flaky ${n}` })));
    await receiver.waitFor(path, 180, 90_000);
    await sleep(3_000);
    const afterFlaky = (await admin('GET', `/v1/channels/${flaky.channelId}`)).json;
    await ingest(Array.from({ length: 90 }, (_, n) => ({ type, source: 'tests', subject: `more ${n}` })));
    const [disabled] = await receiver.waitFor(watchPath, 1, 90_000);

    // Assess
    expect(receiver.deliveriesTo(path).filter((delivery) => delivery.answered === 200)).toHaveLength(1);
    expect(afterFlaky).toMatchObject({ enabled: true });
    expect(disabled?.payload).toMatchObject({
      type: 'herald.channel.disabled',
      data: { reason: 'the last 150 deliveries were dead-lettered within 24h with no success between' },
    });
    expect(receiver.deliveriesTo(path).length).toBeGreaterThanOrEqual(success + 150 - 40);
  }, 240_000);

  it('routes 1,000 events to 5 channels through receivers failing 20 % at random: every pair delivered or dead, none delivered twice', async () => {
    // Prepare: five channels (three attempts each), receivers failing 20 % with up to 150 ms latency.
    const run = unique('mix');
    const shards = [0, 1, 2, 3, 4];
    const random = (seed: number) => () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const roll = random(42);
    const channels = await Promise.all(
      shards.map((shard) =>
        webhookRoute(receiver, {
          eventType: `${run}.*`,
          path: `/${run}-${shard}`,
          policy: { match: { shard: String(shard) } },
          responder: () => ({ status: roll() < 0.2 ? 503 : 200, delayMs: Math.floor(roll() * 150) }),
        }),
      ),
    );
    const events = Array.from({ length: 1000 }, (_, n) => ({
      type: `${run}.event`,
      source: 'tests',
      subject: `event ${n}`,
      attributes: { shard: String(n % 5) },
    }));

    // Act
    const ids = await ingest(events);

    // Assess
    expect(new Set(ids).size).toBe(1000);
    const all = await settled(
      channels.map((channel) => channel.channelId),
      200,
      150_000,
    );
    const views = all.flat();
    const delivered = views.filter((view) => view.status === 'delivered');
    const dead = views.filter((view) => view.status === 'dead');
    const successes = shards.flatMap((shard) =>
      receiver.deliveriesTo(`/${run}-${shard}`).filter((delivery) => delivery.answered === 200),
    );
    const successIds = successes.map((delivery) => String(delivery.headers['webhook-id']));
    console.log(
      `[chaos] 1,000 events: ingested ${ids.length}, delivered ${delivered.length}, dead-lettered ${dead.length}, ` +
        `receiver successes ${successes.length}, duplicate successful webhook-ids ${successIds.length - new Set(successIds).size}`,
    );
    expect(new Set(views.map((view) => view.eventId))).toEqual(new Set(ids));
    expect(delivered.length + dead.length).toBe(1000);
    expect(new Set(successIds).size).toBe(successIds.length);
    expect(new Set(successIds)).toEqual(new Set(delivered.map((view) => view.deliveryId)));
  }, 300_000);

  it('lists 1,000 dead letters of 10 channels by channel, and redrives one fixed channel completely in the background, touching no other', async () => {
    // Prepare: ten channels whose receivers are down (one attempt each), 100 dead deliveries each.
    const run = unique('dlq');
    const signingSecret = newSigningSecret();
    const channelIds = Array.from({ length: 10 }, (_, n) => `${run}-${n}`);
    for (const [n, channelId] of channelIds.entries()) {
      receiver.expect(`/${channelId}`, signingSecret, () => 503);
      await admin('PUT', `/v1/channels/${channelId}`, {
        type: 'webhook',
        config: { url: receiver.url(`/${channelId}`), signingSecret },
        retry: { maxAttempts: 1 },
      });
      await admin('PUT', `/v1/policies/${channelId}`, {
        events: [`${run}.*`],
        match: { shard: String(n) },
        channels: [channelId],
      });
    }
    receiver.expect(`/${run}-fixed`, signingSecret);
    await sleep(2_000);
    await ingest(
      Array.from({ length: 1000 }, (_, n) => ({
        type: `${run}.event`,
        source: 'tests',
        subject: `dead ${n}`,
        attributes: { shard: String(n % 10) },
      })),
    );
    await settled(channelIds, 100, 150_000);
    const downBefore = channelIds.map((id) => receiver.deliveriesTo(`/${id}`).length);
    const fixedId = channelIds[0] ?? '';

    // Act: list the fixed channel's dead letters page by page, fix it, redrive it.
    const listed: string[] = [];
    let nextToken: string | undefined;
    let counts: Record<string, number> = {};
    do {
      const query = `channel=${fixedId}&limit=30${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`;
      const page = (await admin('GET', `/v1/dead-letters?${query}`)).json as {
        items: { deliveryId: string; channelId: string }[];
        nextToken?: string;
        counts?: { byChannel: Record<string, number> };
      };
      if (page.counts) counts = page.counts.byChannel;
      expect(page.items.every((item) => item.channelId === fixedId)).toBe(true);
      listed.push(...page.items.map((item) => item.deliveryId));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    await admin('PUT', `/v1/channels/${fixedId}`, {
      type: 'webhook',
      enabled: true,
      config: { url: receiver.url(`/${run}-fixed`), signingSecret },
      retry: { maxAttempts: 1 },
    });
    await sleep(2_000);
    const redrive = await redriveAndWait({ channel: fixedId }, 120_000);

    // Assess
    expect(listed).toHaveLength(100);
    expect(new Set(listed).size).toBe(100);
    for (const channelId of channelIds) expect(counts[channelId]).toBe(100);
    expect(redrive).toMatchObject({ status: 202, result: { status: 'done', redriven: 100, skipped: 0 } });
    const arrived = await receiver.waitFor(`/${run}-fixed`, 100, 60_000);
    await sleep(3_000);
    expect(receiver.deliveriesTo(`/${run}-fixed`)).toHaveLength(100);
    expect(new Set(arrived.map((delivery) => delivery.headers['webhook-id']))).toEqual(new Set(listed));
    expect(channelIds.map((channelId) => receiver.deliveriesTo(`/${channelId}`).length)).toEqual(downBefore);
    const after = (await admin('GET', '/v1/dead-letters?limit=1')).json as {
      counts: { byChannel: Record<string, number> };
    };
    expect(after.counts.byChannel[fixedId]).toBeUndefined();
    for (const channelId of channelIds.slice(1)) expect(after.counts.byChannel[channelId]).toBe(100);
  }, 300_000);

  it('survives a crash between claim and queue in ingest, halfway through a fan-out, and after a send: delivered, at most one extra receipt, recorded once', async () => {
    // Prepare: one channel for the ingest and deliver crashes, two for the fan-out.
    const run = unique('crash');
    const paths = ['ingest', 'fan-a', 'fan-b', 'deliver'].map((name) => `/${run}-${name}`);
    const [ingestPath, fanA, fanB, deliverPath] = paths as [string, string, string, string];
    await webhookRoute(receiver, { eventType: `${run}.ingest`, path: ingestPath });
    const a = await webhookRoute(receiver, { eventType: `${run}.fan`, path: fanA });
    await webhookRoute(receiver, { eventType: `${run}.fan`, path: fanB });
    const deliverRoute = await webhookRoute(receiver, { eventType: `${run}.deliver`, path: deliverPath });
    const event = (type: string, fault: string) => ({
      id: unique(`evt-${fault}`),
      type,
      source: 'tests',
      attributes: { 'herald-fault': fault },
    });
    const ingestEvent = event(`${run}.ingest`, 'ingest-after-claim');
    const fanEvent = event(`${run}.fan`, 'router-mid-fan-out');
    const deliverEvent = event(`${run}.deliver`, 'deliver-after-send');

    // Act: the ingest request dies after claiming (the producer sees a 5xx and retries, as told to).
    const crashed = await postEvents(ingestEvent);
    const retried = await postEvents(ingestEvent);
    await postEvents(fanEvent);
    await postEvents(deliverEvent);

    // Assess: SQS brings the router's and the deliver function's messages back after their
    // visibility timeout (3 min); everything arrives, nothing is recorded twice.
    expect(crashed.status).toBeGreaterThanOrEqual(500);
    expect(retried.status).toBe(202);
    for (const path of paths) await receiver.waitFor(path, 1, 240_000);
    await sleep(3_000);
    expect(receiver.deliveriesTo(ingestPath)).toHaveLength(1);
    expect(receiver.deliveriesTo(fanA)).toHaveLength(1);
    expect(receiver.deliveriesTo(fanB)).toHaveLength(1);
    const receipts = receiver.deliveriesTo(deliverPath);
    expect(receipts.length).toBeGreaterThanOrEqual(1);
    expect(receipts.length).toBeLessThanOrEqual(2);
    expect(new Set(receipts.map((delivery) => delivery.headers['webhook-id'])).size).toBe(1);
    // The deliver crash's job comes back about when the router's does: its second send may still be
    // on its way, so each delivery is looked at until it is recorded (or the wait runs out).
    for (const [id, channelId] of [
      [fanEvent.id, a.channelId],
      [deliverEvent.id, deliverRoute.channelId],
    ] as const) {
      const deliveriesTo = async () =>
        (
          (await admin('GET', `/v1/events/${id}`)).json as {
            deliveries: { channelId: string; status: string }[];
          }
        ).deliveries.filter((delivery) => delivery.channelId === channelId);
      const deadline = Date.now() + 60_000;
      let shown = await deliveriesTo();
      while (shown.some((delivery) => delivery.status === 'pending') && Date.now() < deadline) {
        await sleep(1_000);
        shown = await deliveriesTo();
      }
      expect(shown).toMatchObject([{ status: 'delivered' }]);
    }
    console.log(
      `[chaos] crashes: ingest retried with ${retried.status}; the deliver crash left ${receipts.length} receipt(s) of one webhook-id`,
    );
  }, 300_000);
});
