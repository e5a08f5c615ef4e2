/**
 * The path of a digest outside its rendering: a notification goes into the first open generation of
 * its period; the flush queues a job before it closes the digest; a channel's `digest` is validated and
 * a change of it flushes what its open periods hold.
 */
import { describe, expect, it } from 'vitest';
import type { DigestAddition } from '#shared/aws/digest-repository.ts';
import { CHANNEL_TYPES } from '#shared/channels/registry.ts';
import { collectIntoDigest, MAX_GENERATIONS } from '#shared/digest/collect.ts';
import { DigestFlusher, flushDigests } from '#shared/digest/flush.ts';
import { digestIdFor } from '#shared/domain/digest.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import type { HeraldEvent } from '#shared/domain/event.ts';
import { DeliveryJob } from '#shared/domain/jobs.ts';
import { adminWithFakes, putRequest } from './support.ts';

const NOW = new Date('2026-11-23T09:20:00Z');
const event: HeraldEvent = {
  id: 'evt-1',
  type: 'deploy.finished',
  source: 'ci',
  time: '2026-11-23T09:19:58Z',
  subject: 'Deploy finished',
  severity: 'info',
  attributes: { url: 'https://ci.example.com/runs/1' },
};

describe('collectIntoDigest', () => {
  it('adds the notification to the open digest of the period the routing time falls in', async () => {
    // Prepare
    const added: DigestAddition[] = [];
    const store = {
      add: async (addition: DigestAddition) => {
        added.push(addition);
        return 'added' as const;
      },
    };

    // Act
    const digestId = await collectIntoDigest(
      store,
      { deliveryId: 'msg_1', channelId: 'ops', event, digest: { every: '1h' } },
      NOW,
    );

    // Assess
    expect(digestId).toBe(digestIdFor('ops', new Date('2026-11-23T09:00:00Z'), 0));
    expect(added).toEqual([
      {
        digest: {
          digestId,
          channelId: 'ops',
          periodStart: '2026-11-23T09:00:00.000Z',
          periodEnd: '2026-11-23T10:00:00.000Z',
          timezone: 'UTC',
        },
        deliveryId: 'msg_1',
        eventId: 'evt-1',
        eventType: 'deploy.finished',
        entry: {
          eventId: 'evt-1',
          type: 'deploy.finished',
          source: 'ci',
          subject: 'Deploy finished',
          severity: 'info',
          time: '2026-11-23T09:19:58Z',
          deliveryId: 'msg_1',
          link: 'https://ci.example.com/runs/1',
        },
      },
    ]);
  });

  it('goes on to the next generation of the period when the digest was closed early', async () => {
    // Prepare: the first generation was flushed (the channel's digest changed).
    const tried: string[] = [];
    const store = {
      add: async (addition: DigestAddition) => {
        tried.push(addition.digest.digestId);
        return tried.length > 1 ? ('added' as const) : ('closed' as const);
      },
    };

    // Act
    const digestId = await collectIntoDigest(
      store,
      { deliveryId: 'msg_1', channelId: 'ops', event, digest: { every: '1h' } },
      NOW,
    );

    // Assess
    const start = new Date('2026-11-23T09:00:00Z');
    expect(tried).toEqual([digestIdFor('ops', start, 0), digestIdFor('ops', start, 1)]);
    expect(digestId).toBe(digestIdFor('ops', start, 1));
  });

  it('puts a notification routed again after its digest closed into no second digest', async () => {
    // Prepare: the notification's record names another digest already (its period closed since).
    const store = { add: async () => 'handled' as const };

    // Act
    const digestId = await collectIntoDigest(
      store,
      { deliveryId: 'msg_1', channelId: 'ops', event, digest: { every: '1h' } },
      NOW,
    );

    // Assess
    expect(digestId).toBeUndefined();
  });

  it('throws, so that the routing is retried, when every generation is closed', async () => {
    const store = { add: async () => 'closed' as const };
    await expect(
      collectIntoDigest(
        store,
        { deliveryId: 'msg_1', channelId: 'ops', event, digest: { every: '1h' } },
        NOW,
      ),
    ).rejects.toThrow(`was closed ${MAX_GENERATIONS} times`);
  });
});

describe('flushDigests', () => {
  const digest = (id: string) => ({
    digestId: id,
    channelId: 'ops',
    periodStart: '2026-11-23T08:00:00.000Z',
    periodEnd: '2026-11-23T09:00:00.000Z',
    timezone: 'Europe/Berlin',
  });

  it('queues a job per digest before closing it, and leaves open the ones it could not queue', async () => {
    // Prepare
    const steps: string[] = [];
    const ports = {
      enqueue: async (entries: readonly { key: string; body: string }[]) => {
        steps.push(...entries.map((entry) => `queue ${entry.key}`));
        return ['dgst_b'];
      },
      close: async (digestId: string) => steps.push(`close ${digestId}`) > 0,
    };

    // Act
    const result = await flushDigests([digest('dgst_a'), digest('dgst_b')], ports, NOW);

    // Assess
    expect(result).toEqual({ flushed: ['dgst_a'], failed: ['dgst_b'] });
    expect(steps).toEqual(['queue dgst_a', 'queue dgst_b', 'close dgst_a']);
  });

  it('writes a delivery job whose id is the digest id and whose period the deliver function reads', async () => {
    // Prepare
    const bodies: string[] = [];
    const ports = {
      enqueue: async (entries: readonly { key: string; body: string }[]) => {
        bodies.push(...entries.map((entry) => entry.body));
        return [];
      },
      close: async () => true,
    };

    // Act
    await flushDigests([digest('dgst_a')], ports, NOW);

    // Assess
    const job = DeliveryJob.parse(JSON.parse(bodies[0] ?? '{}'));
    expect(job).toMatchObject({
      deliveryId: 'dgst_a',
      channelId: 'ops',
      policyIds: [],
      event: { id: 'dgst_a', type: 'herald.digest', source: 'herald' },
      digest: {
        start: '2026-11-23T08:00:00.000Z',
        end: '2026-11-23T09:00:00.000Z',
        timezone: 'Europe/Berlin',
      },
    });
  });
});

describe('DigestFlusher.flushChannel', () => {
  it('flushes a changed channel twice: what a router on the old setting opened meanwhile goes too', async () => {
    // Prepare: one digest open at the change; a router still on the old setting opens another.
    const open = [
      {
        digestId: 'dgst_gen0',
        channelId: 'ops',
        periodStart: '2026-11-23T09:00:00.000Z',
        periodEnd: '2026-11-23T10:00:00.000Z',
        timezone: 'UTC',
      },
    ];
    const queued: string[] = [];
    const repository = {
      due: async () => [],
      collectingOf: async () => open.splice(0),
      close: async () => true,
    };
    const queue = {
      sendAll: async (entries: readonly { key: string }[]) => {
        queued.push(...entries.map((entry) => entry.key));
        // The late router opens generation 1 while the first flush runs.
        if (entries.some((entry) => entry.key === 'dgst_gen0')) {
          open.push({
            digestId: 'dgst_gen1',
            channelId: 'ops',
            periodStart: '2026-11-23T09:00:00.000Z',
            periodEnd: '2026-11-23T10:00:00.000Z',
            timezone: 'UTC',
          });
        }
        return [];
      },
    };

    // Act
    await new DigestFlusher(repository, queue, 0).flushChannel('ops', NOW);

    // Assess
    expect(queued).toEqual(['dgst_gen0', 'dgst_gen1']);
  });
});

describe('ChannelAdmin.put: digest', () => {
  const webhook = (digest?: Record<string, unknown>) => ({
    type: 'webhook',
    config: { url: 'https://hooks.example.com/a', signingSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
    ...(digest === undefined ? {} : { digest }),
  });

  it('keeps a digest and shows it, and flushes the open periods when it changes or goes', async () => {
    // Prepare
    const { admin, flushedDigests } = adminWithFakes();

    // Act
    const created = await admin.put(putRequest('ops', webhook({ every: '1h' })), false, NOW);
    await admin.put(putRequest('ops', webhook({ every: '1h' })), false, NOW);
    const changed = await admin.put(putRequest('ops', webhook({ every: '1d', at: '09:00' })), false, NOW);
    await admin.put(putRequest('ops', webhook()), false, NOW);

    // Assess
    expect(created).toMatchObject({ kind: 'written', view: { digest: { every: '1h' } } });
    expect(changed).toMatchObject({ kind: 'written', changes: ['digest'] });
    // Unchanged: nothing flushed; changed and removed: flushed each time.
    expect(flushedDigests).toEqual(['ops', 'ops']);
  });

  it('refuses a digest on a type that takes none, and invalid periods, naming the field', async () => {
    // Prepare
    const { admin } = adminWithFakes();
    const pagerduty = {
      type: 'pagerduty',
      config: CHANNEL_TYPES.pagerduty?.example,
      digest: { every: '1h' },
    };

    // Act
    const refused = await Promise.all(
      [pagerduty, webhook({ every: '5s' }), webhook({ every: '1h', timezone: 'Mars/Olympus' })].map((body) =>
        admin.put(putRequest('ops', body), false, NOW).then(
          () => undefined,
          (error: unknown) => error,
        ),
      ),
    );

    // Assess
    for (const error of refused) expect(error).toBeInstanceOf(ValidationError);
    expect(refused.map((error) => (error as ValidationError).details?.map((issue) => issue.path))).toEqual([
      ['digest'],
      ['digest.every'],
      ['digest.timezone'],
    ]);
  });
});
