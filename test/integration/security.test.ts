/**
 * Input limits on the deployed stack: an event at the size limit goes all the way through (ingest →
 * router → deliver) or is refused, never accepted and lost; an event nested too deeply is a 400 with
 * its path, not a 202 that dies in the router.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { jsonBytes, MAX_EVENT_BYTES } from '../../shared/domain/event.ts';
import { admin, postEvents, postWithKey, sleep, unique, waitForDead, webhookRoute } from './support.ts';

const receiver = new WebhookReceiver();

beforeAll(async () => {
  await receiver.start();
});

afterAll(async () => {
  await receiver.stop();
});

describe('input limits', () => {
  it('delivers an event at the 256 KiB limit, and refuses one byte more with 413', async () => {
    // Prepare: an event whose serialized size is exactly the limit.
    const type = unique('big');
    const path = `/${unique('big')}`;
    await webhookRoute(receiver, { eventType: type, path });
    const base = { id: unique('evt-big'), type, source: 'tests', data: { blob: '' } };
    const blob = 'x'.repeat(MAX_EVENT_BYTES - jsonBytes(base));
    const atLimit = { ...base, data: { blob } };
    const over = { ...base, id: unique('evt-over'), data: { blob: `${blob}xy` } };
    expect(jsonBytes(atLimit)).toBe(MAX_EVENT_BYTES);

    // Act
    const accepted = await postEvents(atLimit);
    const refused = await postEvents(over);

    // Assess
    expect(accepted.status).toBe(202);
    expect(refused.status).toBe(413);
    const [arrived] = await receiver.waitFor(path, 1, 30_000);
    expect(arrived?.verified).toBe(true);
    expect((arrived?.payload as { data?: { blob?: string } } | undefined)?.data?.blob).toBe(blob);
  });

  it('answers 400 at `data` for an event nested 10,000 deep, and queues nothing', async () => {
    // Prepare
    const type = unique('deep');
    const path = `/${unique('deep')}`;
    await webhookRoute(receiver, { eventType: type, path });
    const depth = 10_000;
    const raw = `{"type":"${type}","source":"tests","data":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;

    // Act
    const response = await postEvents(undefined, { raw });

    // Assess
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({
      details: [{ path: 'data', message: expect.stringContaining('64') }],
    });
    await sleep(3_000);
    expect(receiver.deliveriesTo(path)).toHaveLength(0);
  });
});

describe('scoped API keys', () => {
  it('lets a key scoped to tenant acme send acme events only; anything else is 403 naming the attribute, and nothing is queued', async () => {
    // Prepare
    const type = unique('scoped');
    const path = `/${unique('scoped')}`;
    await webhookRoute(receiver, { eventType: type, path });
    const created = await admin('POST', '/v1/api-keys', { name: unique('acme'), scope: { tenant: 'acme' } });
    const { key, scope } = created.json as { key: string; scope: unknown };

    // Act
    const inside = await postWithKey({ type, source: 'tests', attributes: { tenant: 'acme' } }, key);
    const outside = await postWithKey({ type, source: 'tests', attributes: { tenant: 'globex' } }, key);
    const mixed = await postWithKey(
      {
        events: [
          { type, source: 'tests', attributes: { tenant: 'acme' }, subject: 'mixed ok' },
          { type, source: 'tests', subject: 'mixed missing' },
        ],
      },
      key,
    );

    // Assess
    expect(created.status).toBe(201);
    expect(scope).toEqual({ tenant: 'acme' });
    expect(inside.status).toBe(202);
    expect(outside.status).toBe(403);
    expect(JSON.parse(outside.text)).toMatchObject({
      error: 'outside_key_scope',
      details: [{ index: 0, path: 'attributes.tenant', message: expect.stringContaining('tenant: acme') }],
    });
    expect(mixed.status).toBe(403);
    expect(JSON.parse(mixed.text)).toMatchObject({ details: [{ index: 1, path: 'attributes.tenant' }] });
    await receiver.waitFor(path, 1, 30_000);
    await sleep(3_000);
    expect(receiver.deliveriesTo(path)).toHaveLength(1);
    expect(receiver.deliveriesTo(path)[0]?.payload).toMatchObject({ attributes: { tenant: 'acme' } });
  });
});

describe('redirects', () => {
  it('never follows a 302 to an internal address: the attempt fails with the reason, the target is never called', async () => {
    // Prepare: a receiver that redirects to another (internal) path of the same host.
    const type = unique('redirect');
    const path = `/${unique('redirect')}`;
    const internal = `/${unique('internal')}`;
    await webhookRoute(receiver, {
      eventType: type,
      path,
      responder: () => ({ status: 302, headers: { location: `${receiver.url(internal)}?from=redirect` } }),
    });

    // Act
    const sent = await postEvents({ type, source: 'tests' });
    const eventId = (sent.json as { events: { id: string }[] }).events[0]?.id ?? '';

    // Assess
    const dead = await waitForDead(eventId, 30_000);
    expect(dead.reason).toBe('receiver answered 302 (redirects are not followed)');
    expect(receiver.deliveriesTo(path)).toHaveLength(1);
    expect(receiver.deliveriesTo(internal)).toHaveLength(0);
  });
});
