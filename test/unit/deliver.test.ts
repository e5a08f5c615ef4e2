import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AttemptRecord } from '#shared/aws/state-repository.ts';
import type { ChannelRecord } from '#shared/channels/record.ts';
import { newSigningSecret } from '#shared/channels/webhook/index.ts';
import { type DeliverPorts, type DeliverSettings, deliverJob, scheduleFor } from '#shared/deliver/deliver.ts';
import { digestJob as digestJobFor } from '#shared/digest/flush.ts';
import type { DigestEntry } from '#shared/domain/digest.ts';
import type { HeraldEvent } from '#shared/domain/event.ts';
import type { DeliveryJob } from '#shared/domain/jobs.ts';
import { RetrySchedule } from '#shared/domain/retry.ts';
import {
  type LocalServer,
  recordingLog,
  recordingMetrics,
  startLocalServer,
  testTransports,
} from './support.ts';

const signingSecret = newSigningSecret();
const job: DeliveryJob = {
  deliveryId: 'msg_delivery1',
  channelId: 'ops',
  policyIds: ['prod-ops'],
  event: {
    id: 'evt-1',
    type: 'request_created',
    source: 'dbward',
    time: '2026-11-23T09:00:00Z',
    subject: 'Break-glass',
    severity: 'critical',
    attributes: { environment: 'production' },
  },
};

/** A schedule without jitter surprises: fixed steps, 3 attempts. */
const settingsFor = (): DeliverSettings => ({ defaultSchedule: new RetrySchedule([0, 10, 60]) });

interface FakeState {
  attempt: number | undefined;
  /** The attempt's number in the delivery's whole history. @default attempt */
  seq?: number;
  /** The delivery was dead-lettered. */
  dead?: boolean;
  channel: ChannelRecord | undefined;
  secret: unknown;
  /** The delivery's lease is held by another copy of the job for this many seconds. */
  busyFor?: number;
  /** @default true (the test server is on 127.0.0.1) */
  allowPrivateTargets?: boolean;
  /** The channel's next send slot (epoch ms) under its rateLimit; taking one moves it on. */
  nextSlot?: number;
  /** A slot the delivery kept while its job was hidden. */
  keptSlot?: number;
  /** How many of the channel's deliveries died in a row (this one included). */
  deadInARow?: number;
  /** What a digest job's digest holds. */
  digestEntries?: DigestEntry[];
}

const fakePorts = (state: FakeState) => {
  const calls = {
    attempts: [] as AttemptRecord[],
    delivered: [] as string[],
    /** Attempts kept with the delivered mark (the same write). */
    deliveredWith: [] as AttemptRecord[],
    dead: [] as { deliveryId: string; reason: string }[],
    deadLetters: [] as { job: DeliveryJob; reason: string }[],
    disabled: [] as { id: string; reason: string }[],
    scheduled: [] as { deliveryId: string; notBefore: Date }[],
    emitted: [] as HeraldEvent[],
    slept: [] as number[],
    taken: [] as number[],
    givenBack: [] as number[],
    closedDigests: [] as string[],
  };
  const metrics = recordingMetrics();
  const ports: DeliverPorts = {
    rateSlots: {
      take: async (_channelId, intervalMs, now) => {
        const slot = Math.max(state.nextSlot ?? 0, now.getTime());
        state.nextSlot = slot + intervalMs;
        calls.taken.push(slot);
        return slot;
      },
      kept: async () => state.keptSlot,
      keep: async (_deliveryId, slot) => {
        state.keptSlot = slot;
      },
    },
    sleep: async (ms) => {
      calls.slept.push(ms);
    },
    giveBackAttempt: async (_deliveryId, slot) => {
      calls.givenBack.push(slot);
      state.keptSlot = slot;
    },
    beginAttempt: async () =>
      state.busyFor !== undefined
        ? { kind: 'busy', retryInSeconds: state.busyFor }
        : state.dead
          ? { kind: 'dead' }
          : state.attempt === undefined
            ? { kind: 'delivered' }
            : { kind: 'started', attempt: state.attempt, seq: state.seq ?? state.attempt },
    scheduleNext: async (deliveryId, notBefore) => {
      calls.scheduled.push({ deliveryId, notBefore });
    },
    recordAttempt: async (attempt) => {
      calls.attempts.push(attempt);
    },
    markDelivered: async (deliveryId, _now, attempt) => {
      calls.delivered.push(deliveryId);
      calls.deliveredWith.push(attempt);
      return true;
    },
    markDead: async (deadJob, reason) => {
      calls.dead.push({ deliveryId: deadJob.deliveryId, reason });
      calls.deadLetters.push({ job: deadJob, reason });
    },
    channel: async (id) => (state.channel?.id === id ? state.channel : undefined),
    readSecret: async () => state.secret,
    transports: testTransports(state.allowPrivateTargets ?? true),
    disableChannel: async (id, reason) => {
      calls.disabled.push({ id, reason });
      return true;
    },
    deadInARow: async () => state.deadInARow ?? 0,
    closeAndReadDigest: async (digestId) => {
      calls.closedDigests.push(digestId);
      return state.digestEntries ?? [];
    },
    emit: async (operational) => {
      calls.emitted.push(operational);
    },
    logger: recordingLog(),
    metrics,
  };
  return { ports, calls, metrics };
};

const channelRecord = (overrides: Partial<ChannelRecord> = {}): ChannelRecord => ({
  id: 'ops',
  type: 'webhook',
  enabled: true,
  settings: { method: 'POST', timeoutMs: 2000 },
  secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:herald/ops',
  inlineSecrets: ['url', 'headers', 'signingSecret'],
  secretRefs: {},
  createdAt: '2026-11-23T08:00:00Z',
  updatedAt: '2026-11-23T08:00:00Z',
  version: 1,
  ...overrides,
});

describe('deliverJob', () => {
  let server: LocalServer;
  let state: FakeState;

  beforeAll(async () => {
    server = await startLocalServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.received.length = 0;
    server.respond = (_request, response) => response.writeHead(200).end();
    state = {
      attempt: 1,
      channel: channelRecord(),
      secret: { url: `${server.url}/hook`, headers: { 'x-team': 'ops' }, signingSecret },
    };
  });

  it('delivers a signed request and marks the delivery delivered', async () => {
    // Prepare
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'delivered' });
    expect(calls.delivered).toEqual(['msg_delivery1']);
    expect(calls.deadLetters).toEqual([]);
    // The delivered attempt is kept with the delivered mark, in one write, not recorded on its own.
    expect(calls.attempts).toEqual([]);
    expect(calls.deliveredWith).toEqual([
      expect.objectContaining({
        deliveryId: 'msg_delivery1',
        attempt: 1,
        outcome: 'delivered',
        httpStatus: 200,
      }),
    ]);
    const [received] = server.received;
    expect(received?.headers['x-team']).toBe('ops');
    expect(received?.headers['webhook-id']).toBe('msg_delivery1');
    const verified = new Webhook(signingSecret).verify(received?.body ?? '', {
      'webhook-id': String(received?.headers['webhook-id']),
      'webhook-timestamp': String(received?.headers['webhook-timestamp']),
      'webhook-signature': String(received?.headers['webhook-signature']),
    });
    expect(verified).toMatchObject({
      id: 'evt-1',
      herald: { deliveryId: 'msg_delivery1', attempt: 1, channel: 'ops' },
    });
  });

  it('sends a digest job as one signed message listing every event of its digest, closing it first', async () => {
    // Prepare: a closed period's job, and two notifications in its digest.
    const entryOf = (n: number): DigestEntry => ({
      eventId: `evt-${n}`,
      type: 'deploy.finished',
      source: 'ci',
      subject: `Deploy ${n} finished`,
      severity: n === 2 ? 'warning' : 'info',
      time: `2026-11-23T09:0${n}:00Z`,
      deliveryId: `msg_${n}`,
    });
    const { ports, calls } = fakePorts({ ...state, digestEntries: [entryOf(1), entryOf(2)] });
    const digestJob = digestJobFor({
      digestId: 'dgst_period',
      channelId: 'ops',
      periodStart: '2026-11-23T09:00:00.000Z',
      periodEnd: '2026-11-23T10:00:00.000Z',
      timezone: 'UTC',
    });

    // Act
    const result = await deliverJob(digestJob, ports, settingsFor());

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'delivered' });
    expect(calls.closedDigests).toEqual(['dgst_period']);
    expect(calls.delivered).toEqual(['dgst_period']);
    const [received] = server.received;
    expect(received?.headers['webhook-id']).toBe('dgst_period');
    const body = new Webhook(signingSecret).verify(received?.body ?? '', {
      'webhook-id': String(received?.headers['webhook-id']),
      'webhook-timestamp': String(received?.headers['webhook-timestamp']),
      'webhook-signature': String(received?.headers['webhook-signature']),
    });
    expect(body).toMatchObject({
      type: 'herald.digest',
      severity: 'warning',
      data: { total: 2, more: 0, events: [{ eventId: 'evt-2' }, { eventId: 'evt-1' }] },
    });
  });

  it('counts no second success when another copy of the job recorded the delivery first', async () => {
    // Prepare: two copies of a first attempt both sent; the other one's write came first.
    const { ports, calls, metrics } = fakePorts(state);
    ports.markDelivered = async (deliveryId) => {
      calls.delivered.push(deliveryId);
      return false;
    };

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'already-delivered' });
    expect(server.received).toHaveLength(1);
    expect(calls.delivered).toEqual(['msg_delivery1']);
    expect(Object.keys(metrics.counts).filter((name) => name.startsWith('DeliverySucceeded'))).toEqual([]);
  });

  it('dead-letters a digest job whose digest lists nothing, sending nothing', async () => {
    const { ports, calls } = fakePorts({ ...state, digestEntries: [] });
    const digestJob = digestJobFor({
      digestId: 'dgst_empty',
      channelId: 'ops',
      periodStart: '2026-11-23T09:00:00.000Z',
      periodEnd: '2026-11-23T10:00:00.000Z',
      timezone: 'UTC',
    });
    const result = await deliverJob(digestJob, ports, settingsFor());
    expect(result).toEqual({ kind: 'done', detail: 'dead-lettered' });
    expect(server.received).toHaveLength(0);
    expect(calls.dead).toEqual([
      { deliveryId: 'dgst_empty', reason: 'the digest lists no notifications (they expired)' },
    ]);
  });

  it('waits, sending nothing and counting no attempt, while another copy of the job holds the delivery', async () => {
    const { ports, calls } = fakePorts({ ...state, busyFor: 42 });
    const result = await deliverJob(job, ports, settingsFor());
    expect(result).toEqual({ kind: 'wait', delaySeconds: 42 });
    expect(server.received).toHaveLength(0);
    expect(calls.attempts).toEqual([]);
  });

  it('records a failure to read the channel as an attempt, retried with the reason', async () => {
    const { ports, calls } = fakePorts(state);
    const failing = { ...ports, channel: async () => Promise.reject(new Error('DynamoDB throttled')) };
    const result = await deliverJob(job, failing, settingsFor());
    expect(result).toMatchObject({ kind: 'retry', attempt: 1 });
    expect(calls.attempts).toEqual([
      expect.objectContaining({
        outcome: 'retry',
        error: 'could not prepare the delivery: DynamoDB throttled',
        seq: 1,
      }),
    ]);
    expect(calls.scheduled).toEqual([{ deliveryId: 'msg_delivery1', notBefore: expect.any(Date) }]);
  });

  it('ends a copy of a job whose delivery was dead-lettered, sending nothing and counting no attempt', async () => {
    const { ports, calls } = fakePorts({ ...state, dead: true });
    const result = await deliverJob(job, ports, settingsFor());
    expect(result).toEqual({ kind: 'done', detail: 'already-dead' });
    expect(server.received).toHaveLength(0);
    expect(calls.attempts).toEqual([]);
    expect(calls.deadLetters).toEqual([]);
  });

  it('numbers a redriven delivery’s attempts after its history while its schedule starts over', async () => {
    // Prepare: the first attempt of a new round, the fourth of the delivery.
    server.respond = (_request, response) => response.writeHead(503).end();
    const { ports, calls } = fakePorts({ ...state, attempt: 1, seq: 4 });
    const before = Date.now();

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toMatchObject({ kind: 'retry', attempt: 1 });
    expect(calls.attempts).toEqual([expect.objectContaining({ attempt: 4, seq: 4 })]);
    expect(JSON.parse(server.received[0]?.body ?? '{}')).toMatchObject({ herald: { attempt: 4 } });
    const notBefore = calls.scheduled[0]?.notBefore.getTime() ?? 0;
    // The schedule's second step (10 s, ±20 % jitter) decides when the next attempt is due.
    expect(notBefore - before).toBeGreaterThanOrEqual(7_900);
    expect(notBefore - before).toBeLessThanOrEqual(12_100 + (Date.now() - before));
  });

  it('sends nothing when the delivery was already delivered', async () => {
    // Prepare
    state.attempt = undefined;
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'already-delivered' });
    expect(server.received).toEqual([]);
    expect(calls.attempts).toEqual([]);
    expect(calls.delivered).toEqual([]);
  });

  it('asks for a retry after the next scheduled delay when attempts are left', async () => {
    // Prepare
    server.respond = (_request, response) => response.writeHead(503).end();
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toMatchObject({ kind: 'retry', attempt: 1 });
    const delay = result.kind === 'retry' ? result.delaySeconds : -1;
    expect(delay).toBeGreaterThanOrEqual(8);
    expect(delay).toBeLessThanOrEqual(12);
    expect(calls.attempts).toEqual([expect.objectContaining({ outcome: 'retry', httpStatus: 503 })]);
    expect(calls.deadLetters).toEqual([]);
    expect(calls.delivered).toEqual([]);
  });

  it('honours the receiver’s Retry-After when it is longer than the schedule', async () => {
    // Prepare
    server.respond = (_request, response) => response.writeHead(429, { 'retry-after': '600' }).end();
    const { ports } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toEqual({ kind: 'retry', attempt: 1, delaySeconds: 600 });
  });

  it('dead-letters with a reason once the attempts are exhausted', async () => {
    // Prepare
    state.attempt = 3;
    server.respond = (_request, response) => response.writeHead(500).end();
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'dead-lettered' });
    expect(calls.deadLetters).toEqual([
      { job, reason: expect.stringMatching(/gave up after 3 attempts.*500/) },
    ]);
    expect(calls.dead).toEqual([{ deliveryId: 'msg_delivery1', reason: calls.deadLetters[0]?.reason }]);
  });

  it('disables a channel whose last N deliveries all died, and says so once', async () => {
    // Prepare: the stack disables after 3 dead letters in a row within a day; this is the third.
    state.attempt = 3;
    state.deadInARow = 3;
    server.respond = (_request, response) => response.writeHead(500).end();
    const { ports, calls } = fakePorts(state);
    const settings = { ...settingsFor(), autoDisable: { deadLetters: 3, withinSeconds: 86_400 } };

    // Act
    const result = await deliverJob(job, ports, settings);

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'dead-lettered' });
    expect(calls.disabled).toEqual([
      {
        id: 'ops',
        reason: 'the last 3 deliveries were dead-lettered within 24h with no success between',
      },
    ]);
    expect(calls.emitted.map((event) => event.type)).toEqual([
      'herald.delivery.exhausted',
      'herald.channel.disabled',
    ]);
  });

  it('keeps a channel enabled while fewer than N died in a row, or with no auto-disable', async () => {
    // Prepare
    state.attempt = 3;
    state.deadInARow = 2;
    server.respond = (_request, response) => response.writeHead(500).end();
    const first = fakePorts(state);
    const second = fakePorts({ ...state, deadInARow: 50 });

    // Act
    await deliverJob(job, first.ports, {
      ...settingsFor(),
      autoDisable: { deadLetters: 3, withinSeconds: 60 },
    });
    await deliverJob(job, second.ports, settingsFor());

    // Assess
    expect(first.calls.disabled).toEqual([]);
    expect(second.calls.disabled).toEqual([]);
  });

  it('disables the channel and dead-letters on 410 Gone', async () => {
    // Prepare
    server.respond = (_request, response) => response.writeHead(410).end();
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'dead-lettered' });
    expect(calls.disabled).toEqual([{ id: 'ops', reason: expect.stringContaining('410') }]);
    expect(calls.deadLetters).toEqual([{ job, reason: expect.stringContaining('channel ops disabled') }]);
    expect(calls.emitted.map((operational) => operational.type)).toEqual([
      'herald.channel.disabled',
      'herald.delivery.exhausted',
    ]);
    expect(calls.emitted[0]).toMatchObject({
      source: 'herald',
      severity: 'critical',
      attributes: { channel: 'ops' },
    });
  });

  it('tells about a dead-lettered delivery with a herald.delivery.exhausted event', async () => {
    // Prepare
    server.respond = (_request, response) => response.writeHead(404).end();
    const { ports, calls } = fakePorts(state);

    // Act
    await deliverJob(job, ports, settingsFor());

    // Assess
    expect(calls.emitted).toEqual([
      expect.objectContaining({
        id: 'herald-exhausted-msg_delivery1',
        type: 'herald.delivery.exhausted',
        source: 'herald',
        attributes: { channel: 'ops', eventType: 'request_created', eventSource: 'dbward' },
        data: expect.objectContaining({
          deliveryId: 'msg_delivery1',
          eventId: 'evt-1',
          reason: 'receiver answered 404',
        }),
      }),
    ]);
  });

  it('raises no operational event when a delivery of an operational event dies (they never loop)', async () => {
    // Prepare
    server.respond = (_request, response) => response.writeHead(404).end();
    const { ports, calls } = fakePorts(state);
    const operationalJob = {
      ...job,
      event: { ...job.event, source: 'herald', type: 'herald.delivery.exhausted' },
    };

    // Act
    const result = await deliverJob(operationalJob, ports, settingsFor());

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'dead-lettered' });
    expect(calls.emitted).toEqual([]);
  });

  it('dead-letters a permanent failure (404) at once, without retry', async () => {
    // Prepare
    server.respond = (_request, response) => response.writeHead(404).end();
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'dead-lettered' });
    expect(calls.deadLetters).toEqual([{ job, reason: 'receiver answered 404' }]);
    expect(calls.disabled).toEqual([]);
  });

  it('dead-letters a redirect without following it', async () => {
    // Prepare
    server.respond = (request, response) =>
      request.url === '/hook'
        ? response.writeHead(302, { location: '/elsewhere' }).end()
        : response.writeHead(200).end();
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'dead-lettered' });
    expect(server.received.map((request) => request.url)).toEqual(['/hook']);
    expect(calls.deadLetters[0]?.reason).toMatch(/302/);
  });

  it('dead-letters a job whose channel does not exist, sending nothing', async () => {
    // Prepare
    state.channel = undefined;
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'dead-lettered' });
    expect(calls.deadLetters).toEqual([{ job, reason: 'channel ops does not exist' }]);
    expect(server.received).toEqual([]);
  });

  it('dead-letters a job whose channel is disabled, sending nothing', async () => {
    // Prepare
    state.channel = channelRecord({ enabled: false });
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'dead-lettered' });
    expect(calls.deadLetters).toEqual([{ job, reason: 'channel ops is disabled' }]);
    expect(server.received).toEqual([]);
  });

  it('retries a job whose channel secret is not valid (yet), naming the fields, never the values', async () => {
    // Prepare: a secret being replaced, or broken.
    state.secret = { url: 'not a url', signingSecret: 'sk_live_do_not_show' };
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toMatchObject({ kind: 'retry', attempt: 1 });
    expect(calls.attempts).toEqual([
      expect.objectContaining({
        outcome: 'retry',
        error: 'could not prepare the delivery: channel ops has invalid secret fields: url, signingSecret',
      }),
    ]);
    expect(JSON.stringify(calls)).not.toContain('sk_live_do_not_show');
    expect(server.received).toEqual([]);
  });

  it('dead-letters at once a job whose stored settings are not valid', async () => {
    state.channel = channelRecord({ settings: { method: 'GET', timeoutMs: 2000 } });
    const { ports, calls } = fakePorts(state);
    const result = await deliverJob(job, ports, settingsFor());
    expect(result).toEqual({ kind: 'done', detail: 'dead-lettered' });
    expect(calls.deadLetters).toEqual([{ job, reason: 'channel ops has invalid settings: method' }]);
  });

  it('dead-letters a private target when private targets are not allowed', async () => {
    // Prepare
    const { ports, calls } = fakePorts({ ...state, allowPrivateTargets: false });

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'dead-lettered' });
    expect(calls.deadLetters[0]?.reason).toMatch(/^target refused/);
    expect(server.received).toEqual([]);
  });

  it('uses the channel’s retry override: more attempts than the default', async () => {
    // Prepare
    state.attempt = 3;
    state.channel = channelRecord({ retry: { maxAttempts: 5, schedule: [0, 1, 2, 3, 4] } });
    server.respond = (_request, response) => response.writeHead(502).end();
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toMatchObject({ kind: 'retry', attempt: 3 });
    expect(result.kind === 'retry' ? result.delaySeconds : -1).toBeLessThanOrEqual(4);
    expect(calls.deadLetters).toEqual([]);
  });

  it('uses the channel’s retry override: fewer attempts than the default', async () => {
    // Prepare
    state.attempt = 1;
    state.channel = channelRecord({ retry: { maxAttempts: 1 } });
    server.respond = (_request, response) => response.writeHead(503).end();
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'dead-lettered' });
    expect(calls.deadLetters[0]?.reason).toMatch(/gave up after 1 attempts/);
  });

  it('times out per the channel timeout and retries', async () => {
    // Prepare
    state.channel = channelRecord({ settings: { method: 'POST', timeoutMs: 150 } });
    server.respond = () => {};
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor());

    // Assess
    expect(result).toMatchObject({ kind: 'retry' });
    expect(calls.attempts).toEqual([
      expect.objectContaining({ outcome: 'retry', error: expect.stringMatching(/^timeout/) }),
    ]);
  });
});

describe('scheduleFor', () => {
  const fallback = new RetrySchedule([0, 10, 60, 300]);

  it('uses the default schedule without an override', () => {
    expect(scheduleFor(channelRecord(), fallback)).toBe(fallback);
  });

  it('takes the number of attempts from an override schedule', () => {
    const schedule = scheduleFor(channelRecord({ retry: { schedule: [0, 5] } }), fallback);
    expect(schedule.delaysSeconds).toEqual([0, 5]);
    expect(schedule.maxAttempts).toBe(2);
  });

  it('keeps the default delays with an override maxAttempts', () => {
    const schedule = scheduleFor(channelRecord({ retry: { maxAttempts: 2 } }), fallback);
    expect(schedule.delaysSeconds).toEqual([0, 10, 60, 300]);
    expect(schedule.maxAttempts).toBe(2);
  });
});

describe('deliverJob under a rateLimit', () => {
  let server: LocalServer;

  beforeAll(async () => {
    server = await startLocalServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.received.length = 0;
  });

  const limited = (keptSlot?: number, nextSlot?: number): FakeState => ({
    attempt: 1,
    channel: channelRecord({ rateLimit: { perSecond: 5 } }),
    secret: { url: `${server.url}/hook`, signingSecret },
    ...(keptSlot === undefined ? {} : { keptSlot }),
    ...(nextSlot === undefined ? {} : { nextSlot }),
  });
  const at = (ms: number) => () => new Date(ms);
  const T = Date.parse('2026-11-25T10:00:00Z');

  it('sends at once on an idle channel and moves the shared schedule on by one interval', async () => {
    // Prepare
    const state = limited();
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor(), at(T));

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'delivered' });
    expect(calls.taken).toEqual([T]);
    expect(calls.slept).toEqual([]);
    expect(state.nextSlot).toBe(T + 231);
  });

  it('sleeps in-process for a near slot, then sends', async () => {
    // Prepare
    const state = limited(undefined, T + 1_200);
    const { ports, calls } = fakePorts(state);
    let now = T;
    ports.sleep = async (ms) => {
      calls.slept.push(ms);
      now += ms;
    };

    // Act
    const result = await deliverJob(job, ports, settingsFor(), () => new Date(now));

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'delivered' });
    expect(calls.slept).toEqual([1_200]);
    expect(calls.delivered).toEqual(['msg_delivery1']);
  });

  it('hides the job until just before a far slot and keeps the slot, counting no attempt', async () => {
    // Prepare
    const state = limited(undefined, T + 20_000);
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor(), at(T));

    // Assess
    expect(result).toEqual({ kind: 'wait', delaySeconds: 18 });
    expect(state.keptSlot).toBe(T + 20_000);
    expect(calls.attempts).toEqual([]);
    expect(server.received).toHaveLength(0);
  });

  it('uses the slot it kept when the job comes back, taking no other', async () => {
    // Prepare: the job comes back 1 s before its kept slot; others took slots after it meanwhile.
    const state = limited(T + 1_000, T + 9_000);
    const { ports, calls } = fakePorts(state);
    let now = T;
    ports.sleep = async (ms) => {
      calls.slept.push(ms);
      now += ms;
    };

    // Act
    const result = await deliverJob(job, ports, settingsFor(), () => new Date(now));

    // Assess
    expect(result).toEqual({ kind: 'done', detail: 'delivered' });
    expect(calls.taken).toEqual([]);
    expect(calls.slept).toEqual([1_000]);
  });

  it('gives up a kept slot it came back too late for and takes a new one', async () => {
    // Prepare: the kept slot passed 5 s ago.
    const state = limited(T - 5_000, T + 10_000);
    const { ports, calls } = fakePorts(state);

    // Act
    const result = await deliverJob(job, ports, settingsFor(), at(T));

    // Assess
    expect(calls.taken).toEqual([T + 10_000]);
    expect(result).toEqual({ kind: 'wait', delaySeconds: 8 });
  });

  it('takes another slot when the attempt began too late for its own, and hides the job when that one is far', async () => {
    // Prepare: the slot is near, but beginning the attempt takes 500 ms; the next free slot is 10 s on.
    const state = limited(undefined, T + 100);
    const { ports, calls } = fakePorts(state);
    let now = T;
    ports.beginAttempt = async () => {
      now += 500;
      state.nextSlot = T + 10_500;
      return { kind: 'started', attempt: 1, seq: 1 };
    };

    // Act
    const result = await deliverJob(job, ports, settingsFor(), () => new Date(now));

    // Assess
    expect(result).toEqual({ kind: 'wait', delaySeconds: 8 });
    expect(calls.givenBack).toEqual([T + 10_500]);
    expect(calls.attempts).toEqual([]);
    expect(server.received).toHaveLength(0);
  });
});

describe('deliverJob metrics', () => {
  let server: LocalServer;
  let state: FakeState;

  beforeAll(async () => {
    server = await startLocalServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    state = {
      attempt: 1,
      channel: channelRecord(),
      secret: { url: `${server.url}/hook`, signingSecret },
    };
  });

  it.each([
    ['a delivered attempt', 200, 1, { 'DeliverySucceeded webhook': 1 }],
    ['a failed attempt with attempts left', 503, 1, { 'DeliveryRetried webhook': 1 }],
    [
      'a failed last attempt, and its dead letter',
      500,
      3,
      { 'DeliveryFailed webhook': 1, 'DeliveryDeadLettered webhook': 1 },
    ],
    [
      'a permanent failure, and its dead letter',
      404,
      1,
      { 'DeliveryFailed webhook': 1, 'DeliveryDeadLettered webhook': 1 },
    ],
    [
      'a target gone, and its dead letter',
      410,
      1,
      { 'DeliveryFailed webhook': 1, 'DeliveryDeadLettered webhook': 1 },
    ],
  ])(
    'counts %s under the channel type, with the attempt’s latency',
    async (_name, status, attempt, counts) => {
      // Prepare
      server.respond = (_request, response) => response.writeHead(status).end();
      const { ports, metrics } = fakePorts({ ...state, attempt });

      // Act
      await deliverJob(job, ports, settingsFor());

      // Assess
      expect(metrics.counts).toEqual(counts);
      expect(metrics.latencies).toEqual([expect.stringMatching(/^webhook \d+(\.\d+)?$/)]);
    },
  );

  it.each([
    ['does not exist', undefined, { 'DeliveryDeadLettered unknown': 1 }],
    ['is disabled', channelRecord({ enabled: false }), { 'DeliveryDeadLettered webhook': 1 }],
  ])(
    'counts the dead letter of a delivery whose channel %s, and no attempt',
    async (_name, channel, counts) => {
      // Prepare
      const { ports, metrics } = fakePorts({ ...state, channel });

      // Act
      await deliverJob(job, ports, settingsFor());

      // Assess
      expect(metrics.counts).toEqual(counts);
      expect(metrics.latencies).toEqual([]);
    },
  );

  it('counts a channel that could not be read as a retried attempt of an unknown type, with no latency', async () => {
    // Prepare
    const { ports, metrics } = fakePorts(state);
    const failing = { ...ports, channel: async () => Promise.reject(new Error('DynamoDB throttled')) };

    // Act
    await deliverJob(job, failing, settingsFor());

    // Assess
    expect(metrics.counts).toEqual({ 'DeliveryRetried unknown': 1 });
    expect(metrics.latencies).toEqual([]);
  });

  it.each([
    ['was already delivered', { attempt: undefined }],
    ['was already dead-lettered', { dead: true }],
    ['is held by another copy of the job', { busyFor: 5 }],
  ])('counts nothing when the delivery %s', async (_name, overrides) => {
    // Prepare
    const { ports, metrics } = fakePorts({ ...state, ...overrides });

    // Act
    await deliverJob(job, ports, settingsFor());

    // Assess
    expect(metrics.counts).toEqual({});
    expect(metrics.latencies).toEqual([]);
  });
});
