/**
 * Input limits on the deployed stack: an event at the size limit goes all the way through (ingest →
 * router → deliver) or is refused, never accepted and lost; an event nested too deeply is a 400 with
 * its path, not a 202 that dies in the router.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { jsonBytes, MAX_EVENT_BYTES } from '../../shared/domain/event.ts';
import { postEvents, sleep, unique, webhookRoute } from './support.ts';

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
