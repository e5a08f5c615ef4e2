import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import {
  admin,
  deliveryRecords,
  postEvents,
  putEvent,
  sleep,
  unique,
  waitForDead,
  webhookRoute,
} from './support.ts';

/** Time allowed for an event to travel API → queue → router → queue → deliver → receiver. */
const DELIVERY_TIMEOUT_MS = 30_000;
/** How long "nothing arrives" is watched for. */
const QUIET_MS = 4_000;

interface DeliveredBody {
  id: string;
  type: string;
  source: string;
  subject: string;
  severity: string;
  attributes: Record<string, string>;
  data?: unknown;
  herald: { deliveryId: string; attempt: number; channel: string; policy: string | null };
}

const receiver = new WebhookReceiver();

beforeAll(async () => {
  await receiver.start();
});

afterAll(async () => {
  await receiver.stop();
});

describe('delivery through the deployed stack', () => {
  it('delivers an event posted over HTTPS to the webhook with a valid Standard Webhooks signature', async () => {
    // Prepare
    const type = unique('order.created');
    const { channelId, policyId } = await webhookRoute(receiver, { eventType: type, path: '/https' });

    // Act
    const response = await postEvents({
      type,
      source: 'shop',
      subject: 'Order 42 created',
      severity: 'warning',
      attributes: { environment: 'production' },
      data: { order: 42 },
    });

    // Assess
    expect(response.status).toBe(202);
    const [delivery] = await receiver.waitFor('/https', 1, DELIVERY_TIMEOUT_MS);
    expect(delivery?.verified).toBe(true);
    const body = delivery?.payload as DeliveredBody;
    const accepted = (response.json as { events: { id: string; duplicate: boolean }[] }).events;
    expect(body).toMatchObject({
      id: accepted[0]?.id,
      type,
      source: 'shop',
      subject: 'Order 42 created',
      severity: 'warning',
      attributes: { environment: 'production' },
      data: { order: 42 },
      herald: { attempt: 1, channel: channelId, policy: policyId },
    });
    expect(delivery?.headers['webhook-id']).toBe(body.herald.deliveryId);
    expect(delivery?.headers['x-herald-event-type']).toBe(type);
    expect(delivery?.headers['user-agent']).toMatch(/^Herald\//);
    expect(delivery?.headers['content-type']).toBe('application/json');
  });

  it('delivers an event put on the EventBridge bus, mapping source, detail-type, id and detail', async () => {
    // Prepare
    const type = unique('invoice.paid');
    await webhookRoute(receiver, { eventType: type, path: '/eventbridge' });

    // Act
    const eventId = await putEvent({
      source: 'billing',
      detailType: type,
      detail: { invoice: 'INV-7', amount: 12 },
    });

    // Assess
    const [delivery] = await receiver.waitFor('/eventbridge', 1, DELIVERY_TIMEOUT_MS);
    expect(delivery?.verified).toBe(true);
    expect(delivery?.payload).toMatchObject({
      id: eventId,
      type,
      source: 'billing',
      subject: type,
      severity: 'info',
      data: { invoice: 'INV-7', amount: 12 },
    });
  });

  it('retries a failing receiver with the same webhook-id until it answers 200, and records one success', async () => {
    // Prepare: the receiver answers 500, 500, then 200.
    const type = unique('flaky.receiver');
    await webhookRoute(receiver, {
      eventType: type,
      path: '/flaky',
      responder: (_path, count) => (count <= 2 ? 500 : 200),
    });

    // Act
    const response = await postEvents({ type, source: 'tests' });
    expect(response.status).toBe(202);

    // Assess
    const deliveries = await receiver.waitFor('/flaky', 3, DELIVERY_TIMEOUT_MS);
    const ids = new Set(deliveries.map((delivery) => delivery.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect(deliveries.every((delivery) => delivery.verified)).toBe(true);
    expect(deliveries.map((delivery) => (delivery.payload as DeliveredBody).herald.attempt)).toEqual([
      1, 2, 3,
    ]);
    expect(deliveries.map((delivery) => delivery.answered)).toEqual([500, 500, 200]);
    await sleep(QUIET_MS);
    expect(receiver.deliveriesTo('/flaky')).toHaveLength(3);
    const [deliveryId] = [...ids];
    const records = await deliveryRecords(String(deliveryId));
    expect(records.delivery?.status).toBe('delivered');
    expect(records.attempts.map((attempt) => [attempt.outcome, attempt.httpStatus])).toEqual([
      ['retry', 500],
      ['retry', 500],
      ['delivered', 200],
    ]);
  });

  it('marks a delivery whose receiver always fails dead with the reason, keeping its job for a redrive', async () => {
    // Prepare: the test stack's schedule allows three attempts.
    const type = unique('always.failing');
    await webhookRoute(receiver, { eventType: type, path: '/down', responder: () => 503 });

    // Act
    const response = await postEvents({ type, source: 'tests', subject: 'will not arrive' });
    expect(response.status).toBe(202);
    const eventId = (response.json as { events: { id: string }[] }).events[0]?.id ?? '';

    // Assess
    const dead = await waitForDead(eventId, DELIVERY_TIMEOUT_MS);
    expect(receiver.deliveriesTo('/down')).toHaveLength(3);
    expect(dead.reason).toBe('gave up after 3 attempts: receiver answered 503');
    const job = JSON.parse(dead.job) as {
      deliveryId: string;
      event: { id: string; subject: string };
    };
    expect(job.event).toMatchObject({ id: eventId, subject: 'will not arrive' });
    expect((await deliveryRecords(job.deliveryId)).delivery?.status).toBe('dead');
  });

  it('acknowledges the same event id sent twice as a duplicate and delivers it once', async () => {
    // Prepare
    const type = unique('dedup.check');
    await webhookRoute(receiver, { eventType: type, path: '/dedup' });
    const event = { id: unique('evt'), type, source: 'tests' };

    // Act
    const first = await postEvents(event);
    const second = await postEvents(event);

    // Assess
    expect(first.json).toEqual({ events: [{ id: event.id, duplicate: false }] });
    expect(second.json).toEqual({ events: [{ id: event.id, duplicate: true }] });
    await receiver.waitFor('/dedup', 1, DELIVERY_TIMEOUT_MS);
    await sleep(QUIET_MS);
    expect(receiver.deliveriesTo('/dedup')).toHaveLength(1);
  });

  it('rejects a batch with invalid events with 400 and field paths, and delivers none of it', async () => {
    // Prepare
    const type = unique('invalid.batch');
    await webhookRoute(receiver, { eventType: type, path: '/invalid' });

    // Act
    const response = await postEvents({
      events: [
        { type, source: 'tests' },
        { type: 'Has Spaces', source: 'tests' },
        { type, source: 'tests', attributes: { environment: 7 } },
      ],
    });
    const malformed = await postEvents(undefined, { raw: '{"type": ' });
    const wrongType = await postEvents(undefined, { raw: 'type=x', contentType: 'text/plain' });
    const tooMany = await postEvents({
      events: Array.from({ length: 101 }, () => ({ type, source: 'tests' })),
    });

    // Assess
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({
      error: 'invalid_event',
      details: [
        { index: 1, path: 'type' },
        { index: 2, path: 'attributes.environment' },
      ],
    });
    expect(malformed).toMatchObject({ status: 400, json: { error: 'malformed_json' } });
    expect(wrongType.status).toBe(415);
    expect(tooMany.status).toBe(413);
    await sleep(QUIET_MS);
    expect(receiver.deliveriesTo('/invalid')).toHaveLength(0);
  });

  it('delivers nothing for an event that no policy matches', async () => {
    // Prepare: the policy wants production events only.
    const type = unique('scoped.event');
    await webhookRoute(receiver, {
      eventType: type,
      path: '/scoped',
      policy: { match: { environment: 'production' } },
    });

    // Act: first an event the policy does not match, then one it does.
    const unmatched = await postEvents({ type, source: 'tests', attributes: { environment: 'staging' } });
    const matched = await postEvents({ type, source: 'tests', attributes: { environment: 'production' } });

    // Assess: only the matching one arrives, even after waiting.
    expect([unmatched.status, matched.status]).toEqual([202, 202]);
    await receiver.waitFor('/scoped', 1, DELIVERY_TIMEOUT_MS);
    await sleep(QUIET_MS);
    const delivered = receiver
      .deliveriesTo('/scoped')
      .map((delivery) => (delivery.payload as DeliveredBody).attributes);
    expect(delivered).toEqual([{ environment: 'production' }]);
  });

  it('suppresses the same notification to a channel within the policy dedupWindow, and records it', async () => {
    // Prepare
    const type = unique('disk.full');
    const { channelId } = await webhookRoute(receiver, {
      eventType: type,
      path: '/dedup-window',
      policy: { dedupWindow: '1h' },
    });
    const notification = { type, source: 'tests', attributes: { host: 'db-1' }, data: { usage: 97 } };

    // Act: the same notification twice (two event ids), then a different one.
    const first = await postEvents(notification);
    await receiver.waitFor('/dedup-window', 1, DELIVERY_TIMEOUT_MS);
    const second = await postEvents(notification);
    const third = await postEvents({ ...notification, data: { usage: 99 } });
    await receiver.waitFor('/dedup-window', 2, DELIVERY_TIMEOUT_MS);
    await sleep(QUIET_MS);

    // Assess
    expect([first.status, second.status, third.status]).toEqual([202, 202, 202]);
    const delivered = receiver
      .deliveriesTo('/dedup-window')
      .map((delivery) => (delivery.payload as DeliveredBody).data);
    expect(delivered).toEqual([{ usage: 97 }, { usage: 99 }]);
    const secondId = (second.json as { events: { id: string }[] }).events[0]?.id ?? '';
    const shown = await admin('GET', `/v1/events/${secondId}`);
    expect(shown.json).toMatchObject({ deliveries: [{ channelId, status: 'suppressed', attempts: [] }] });
  });
});
