/**
 * Delivery under change and under duplication, on the deployed stack: a fixed target is used at once
 * (config generation), a dead delivery is never started again by a stray copy of its job, and attempt
 * numbers go on across a redrive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { newSigningSecret } from '../../shared/channels/webhook/index.ts';
import {
  admin,
  deliveryRecords,
  postEvents,
  redriveAndWait,
  sendToQueue,
  sleep,
  unique,
  waitForDead,
  waitForDeadLetter,
  webhookRoute,
} from './support.ts';

const DELIVERY_TIMEOUT_MS = 30_000;
/** SPEC §5: a change applies to what starts 2 s after the admin API answered. */
const PROPAGATION_MS = 2_000;

const receiver = new WebhookReceiver();

beforeAll(async () => {
  await receiver.start();
});

afterAll(async () => {
  await receiver.stop();
});

const eventIdOf = (response: { json: unknown }) =>
  (response.json as { events: { id: string }[] }).events[0]?.id ?? '';

describe('delivery under change and duplication', () => {
  it('sends a redriven delivery to the fixed target 2 s after the fix, numbering attempts on from its history', async () => {
    // Prepare: a channel whose target is broken, and a delivery that died there.
    const type = unique('fix.me');
    const signingSecret = newSigningSecret();
    receiver.expect('/broken', signingSecret, () => 503);
    receiver.expect('/fixed', signingSecret);
    const { channelId } = await webhookRoute(receiver, { eventType: type, path: '/broken' });
    await admin('PUT', `/v1/channels/${channelId}`, {
      type: 'webhook',
      config: { url: receiver.url('/broken'), signingSecret },
    });
    await sleep(PROPAGATION_MS);
    const eventId = eventIdOf(await postEvents({ type, source: 'tests' }));
    await waitForDead(eventId, DELIVERY_TIMEOUT_MS);
    const brokenBefore = receiver.deliveriesTo('/broken').length;

    // Act: fix the target, wait 2 s as the contract allows, redrive.
    const fixed = await admin('PUT', `/v1/channels/${channelId}`, {
      type: 'webhook',
      config: { url: receiver.url('/fixed'), signingSecret },
    });
    await sleep(PROPAGATION_MS);
    const redrive = await redriveAndWait({ channel: channelId });

    // Assess
    expect(fixed.status).toBe(200);
    expect(redrive.result).toMatchObject({ status: 'done', redriven: 1, skipped: 0 });
    const [arrived] = await receiver.waitFor('/fixed', 1, DELIVERY_TIMEOUT_MS);
    expect(arrived?.verified).toBe(true);
    expect(arrived?.payload).toMatchObject({ id: eventId, herald: { attempt: 4 } });
    expect(receiver.deliveriesTo('/broken')).toHaveLength(brokenBefore);
  });

  it('never starts a dead-lettered delivery again from a stray copy of its job', async () => {
    // Prepare: a delivery that died after its three attempts.
    const type = unique('dead.once');
    const path = `/${unique('always-down')}`;
    await webhookRoute(receiver, { eventType: type, path, responder: () => 503 });
    const eventId = eventIdOf(await postEvents({ type, source: 'tests' }));
    const dead = await waitForDead(eventId, DELIVERY_TIMEOUT_MS);
    const job = JSON.parse(dead.job) as { deliveryId: string };
    const attemptsBefore = receiver.deliveriesTo(path).length;
    const deadAt = (await deliveryRecords(job.deliveryId)).delivery?.statusSk;

    // Act: a second copy of the job arrives (SQS delivers at least once; a router retry re-queues).
    await sendToQueue('DeliveryQueueUrl', dead.job);
    await sleep(5_000);

    // Assess
    expect(attemptsBefore).toBe(3);
    expect(receiver.deliveriesTo(path)).toHaveLength(3);
    const records = await deliveryRecords(job.deliveryId);
    // Still the one dead letter, dead since the first time.
    expect(records.delivery).toMatchObject({ status: 'dead', statusSk: deadAt });
    expect(records.attempts).toHaveLength(3);
  });

  it('disables a channel whose receiver answers 410 and tells a policy about it, never the channel itself', async () => {
    // Prepare: a channel whose receiver is gone, and a watcher for operational events about it.
    const type = unique('gone.soon');
    const gonePath = `/${unique('gone')}`;
    const watchPath = `/${unique('watch')}`;
    const gone = await webhookRoute(receiver, { eventType: type, path: gonePath, responder: () => 410 });
    const watcher = await webhookRoute(receiver, {
      eventType: 'herald.*',
      path: watchPath,
      policy: { match: { channel: gone.channelId } },
    });
    const watchPolicy = unique('pol-watch');
    await admin('PUT', `/v1/policies/${watchPolicy}`, {
      events: ['herald.*'],
      match: { channel: gone.channelId },
      channels: [watcher.channelId, gone.channelId],
    });
    await sleep(PROPAGATION_MS);

    // Act
    const eventId = eventIdOf(await postEvents({ type, source: 'tests' }));

    // Assess
    const told = await receiver.waitFor(watchPath, 2, DELIVERY_TIMEOUT_MS);
    const types = told.map((delivery) => (delivery.payload as { type: string }).type).sort();
    expect(types).toEqual(['herald.channel.disabled', 'herald.delivery.exhausted']);
    for (const delivery of told) {
      expect(delivery.payload).toMatchObject({ source: 'herald', attributes: { channel: gone.channelId } });
    }
    expect(
      told.find((d) => (d.payload as { type: string }).type === 'herald.delivery.exhausted')?.payload,
    ).toMatchObject({
      data: { eventId, reason: expect.stringContaining('410') },
    });
    const channel = await admin('GET', `/v1/channels/${gone.channelId}`);
    expect(channel.json).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('410') });
    expect(receiver.deliveriesTo(gonePath)).toHaveLength(1);
  });

  it('routes every event sent 2 s after a channel change to the new target', async () => {
    // Prepare
    const type = unique('moving.target');
    const signingSecret = newSigningSecret();
    const paths = ['/moving-a', '/moving-b'] as const;
    for (const path of paths) receiver.expect(path, signingSecret);
    const { channelId } = await webhookRoute(receiver, { eventType: type, path: paths[0] });
    await admin('PUT', `/v1/channels/${channelId}`, {
      type: 'webhook',
      config: { url: receiver.url(paths[0]), signingSecret },
    });
    await sleep(PROPAGATION_MS);

    for (let change = 1; change <= 4; change += 1) {
      const target = paths[change % 2] ?? paths[0];
      const before = receiver.deliveriesTo(target).length;

      // Act
      const written = await admin('PUT', `/v1/channels/${channelId}`, {
        type: 'webhook',
        config: { url: receiver.url(target), signingSecret },
      });
      await sleep(PROPAGATION_MS);
      const eventId = eventIdOf(await postEvents({ type, source: 'tests', subject: `change ${change}` }));

      // Assess
      expect(written.status).toBe(200);
      const arrived = await receiver.waitFor(target, before + 1, DELIVERY_TIMEOUT_MS);
      expect(arrived.at(-1)?.payload).toMatchObject({ id: eventId });
    }
  });

  it('retries a receiver slower than the timeout, then records one success when it answers in time', async () => {
    // Prepare: the first answer comes after 1.5 s, past the channel's 500 ms timeout.
    const type = unique('slow.then.fast');
    const path = `/${unique('slow')}`;
    const { channelId } = await webhookRoute(receiver, {
      eventType: type,
      path,
      responder: (_path, count) => ({ status: 200, delayMs: count === 1 ? 1_500 : 0 }),
    });
    const signingSecret = newSigningSecret();
    receiver.expect(path, signingSecret);
    await admin('PUT', `/v1/channels/${channelId}`, {
      type: 'webhook',
      config: { url: receiver.url(path), signingSecret, timeoutMs: 500 },
    });
    await sleep(PROPAGATION_MS);

    // Act
    const eventId = eventIdOf(await postEvents({ type, source: 'tests' }));

    // Assess
    const received = await receiver.waitFor(path, 2, DELIVERY_TIMEOUT_MS);
    expect(received.map((delivery) => delivery.headers['webhook-id'])).toEqual([
      received[0]?.headers['webhook-id'],
      received[0]?.headers['webhook-id'],
    ]);
    await sleep(1_000);
    const shown = (await admin('GET', `/v1/events/${eventId}`)).json as {
      deliveries: { status: string; attempts: { outcome: string; error?: string }[] }[];
    };
    expect(shown.deliveries[0]?.status).toBe('delivered');
    expect(shown.deliveries[0]?.attempts.map((attempt) => attempt.outcome)).toEqual(['retry', 'delivered']);
    expect(shown.deliveries[0]?.attempts[0]?.error).toMatch(/^timeout/);
  });

  it('sends once when the same event is ingested twice at the same time', async () => {
    // Prepare
    const type = unique('twice.at.once');
    const path = `/${unique('once')}`;
    await webhookRoute(receiver, { eventType: type, path });
    const id = unique('same-id');

    // Act
    const [first, second] = await Promise.all([
      postEvents({ id, type, source: 'tests' }),
      postEvents({ id, type, source: 'tests' }),
    ]);

    // Assess
    expect([first.status, second.status]).toEqual([202, 202]);
    await receiver.waitFor(path, 1, DELIVERY_TIMEOUT_MS);
    await sleep(4_000);
    expect(receiver.deliveriesTo(path)).toHaveLength(1);
  });

  it('dead-letters a poison job with its reason and delivers the jobs beside it once', async () => {
    // Prepare
    const type = unique('beside.poison');
    const path = `/${unique('beside')}`;
    await webhookRoute(receiver, { eventType: type, path });
    const marker = unique('poison');

    // Act: nine good events and one job that is not a job, on the delivery queue together.
    await Promise.all([
      sendToQueue('DeliveryQueueUrl', JSON.stringify({ poison: marker })),
      ...Array.from({ length: 9 }, (_, n) => postEvents({ type, source: 'tests', subject: `good ${n}` })),
    ]);

    // Assess
    const dead = await waitForDeadLetter('DeliveryDeadLetterQueueUrl', marker, DELIVERY_TIMEOUT_MS);
    expect(dead.MessageAttributes?.['herald-reason']?.StringValue).toBe('invalid delivery job');
    await receiver.waitFor(path, 9, DELIVERY_TIMEOUT_MS);
    await sleep(2_000);
    expect(receiver.deliveriesTo(path)).toHaveLength(9);
    const ids = receiver.deliveriesTo(path).map((delivery) => delivery.headers['webhook-id']);
    expect(new Set(ids).size).toBe(9);
  });

  it('spreads a burst of 50 to a channel limited to 5 per second: all arrive, never more than 5 in any second', async () => {
    // Prepare
    const type = unique('burst');
    const path = `/${unique('limited')}`;
    await webhookRoute(receiver, { eventType: type, path, channel: { rateLimit: { perSecond: 5 } } });

    // Act
    const burst = Array.from({ length: 50 }, (_, n) => ({ type, source: 'tests', subject: `burst ${n}` }));
    const sent = await postEvents({ events: burst });

    // Assess
    expect(sent.status).toBe(202);
    const arrived = await receiver.waitFor(path, 50, 60_000);
    const times = arrived.map((delivery) => delivery.at.getTime()).sort((a, b) => a - b);
    const busiestSecond = Math.max(
      ...times.map((start) => times.filter((time) => time >= start && time < start + 1000).length),
    );
    expect(busiestSecond).toBeLessThanOrEqual(5);
    expect(new Set(arrived.map((delivery) => delivery.headers['webhook-id'])).size).toBe(50);
    expect(arrived.every((delivery) => delivery.verified)).toBe(true);
  });
});
