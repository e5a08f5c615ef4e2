import { describe, expect, it } from 'vitest';
import type { ChannelRecord } from '#shared/channels/record.ts';
import type { DigestSettings } from '#shared/domain/digest.ts';
import type { HeraldEvent } from '#shared/domain/event.ts';
import { deliveryIdFor } from '#shared/domain/ids.ts';
import { DeliveryJob } from '#shared/domain/jobs.ts';
import { Policy } from '#shared/domain/policy.ts';
import { PolicyIndex } from '#shared/domain/policy-index.ts';
import { SilenceRecord } from '#shared/domain/silence.ts';
import {
  DEDUP_REASON,
  dedupWindowFor,
  type RouterPorts,
  readIngestMessage,
  routeEvent,
  UnroutableMessageError,
} from '#shared/route/router.ts';
import { recordingLog } from './support.ts';

const now = new Date('2026-11-23T09:00:05.000Z');
const acceptedAt = '2026-11-23T09:00:00.000Z';

const event: HeraldEvent = {
  id: 'evt-1',
  type: 'request_created',
  source: 'dbward',
  time: '2026-11-23T09:00:00Z',
  subject: 'Break-glass',
  severity: 'critical',
  attributes: { environment: 'production', database: 'app' },
};

const channel = (id: string, overrides: Partial<ChannelRecord> = {}): ChannelRecord => ({
  id,
  type: 'webhook',
  enabled: true,
  settings: { method: 'POST', timeoutMs: 10_000 },
  secretArn: `arn:secret:${id}`,
  inlineSecrets: ['url', 'signingSecret'],
  secretRefs: {},
  createdAt: acceptedAt,
  updatedAt: acceptedAt,
  version: 1,
  ...overrides,
});

const fakePorts = (
  options: {
    status?: 'accepted' | 'routed';
    failEnqueue?: boolean;
    policies?: Policy[];
    channels?: ChannelRecord[];
    silences?: SilenceRecord[];
    digests?: Record<string, DigestSettings>;
  } = {},
) => {
  const digested: { deliveryId: string; channelId: string; eventId: string }[] = [];
  const queued: { key: string; body: string }[] = [];
  const routed: { eventId: string; channelIds: readonly string[] }[] = [];
  const suppressed: { deliveryId: string; channelId: string; reason: string }[] = [];
  /** dedup slots: key → holder delivery id */
  const slots = new Map<string, string>();
  let configReads = 0;
  let claims = 0;
  const logger = recordingLog();
  const ports: RouterPorts = {
    claimDedup: async ({ channelId, fingerprint, deliveryId }) => {
      const key = `${channelId}#${fingerprint}`;
      const holder = slots.get(key);
      if (holder !== undefined && holder !== deliveryId) return false;
      slots.set(key, deliveryId);
      return true;
    },
    recordSuppressed: async ({ deliveryId, channelId }, _now, reason) => {
      suppressed.push({ deliveryId, channelId, reason });
    },
    silences: async () => options.silences ?? [],
    digestOf: (channelId) => options.digests?.[channelId],
    addToDigest: async ({ deliveryId, channelId, event: routed }) => {
      digested.push({ deliveryId, channelId, eventId: routed.id });
      return `dgst_${channelId}`;
    },
    claimEvent: async () => {
      claims += 1;
      return { status: options.status ?? 'accepted', acceptedAt, created: true };
    },
    markRouted: async (eventId, deliveries) => {
      routed.push({ eventId, channelIds: Object.keys(deliveries) });
    },
    config: async () => {
      configReads += 1;
      return new PolicyIndex(
        options.policies ?? [
          Policy.parse({ id: 'prod-ops', match: { environment: 'production' }, channels: ['ops', 'audit'] }),
          Policy.parse({ id: 'all', channels: ['audit'] }),
        ],
        options.channels ?? [channel('ops'), channel('audit'), channel('unused')],
      );
    },
    enqueue: async (entries) => {
      if (options.failEnqueue) return entries.slice(0, 1).map((entry) => entry.key);
      queued.push(...entries);
      return [];
    },
    logger,
  };
  return {
    ports,
    queued,
    routed,
    suppressed,
    digested,
    logger,
    configReads: () => configReads,
    claims: () => claims,
  };
};

describe('routeEvent', () => {
  it('takes an ingest claim’s time from the message: no claim written or read, the same delivery ids', async () => {
    // Prepare
    const { ports, queued, claims } = fakePorts();

    // Act
    await routeEvent(event, ports, now, acceptedAt);

    // Assess
    expect(claims()).toBe(0);
    expect(queued.map((entry) => DeliveryJob.parse(JSON.parse(entry.body)).deliveryId)).toEqual([
      deliveryIdFor('evt-1', acceptedAt, 'ops'),
      deliveryIdFor('evt-1', acceptedAt, 'audit'),
    ]);
  });

  it('queues one job per matching channel with a delivery id derived from the event and channel', async () => {
    // Prepare
    const { ports, queued, routed } = fakePorts();

    // Act
    const result = await routeEvent(event, ports, now);

    // Assess
    expect(result).toEqual({ kind: 'routed', channelIds: ['ops', 'audit'], suppressed: [], digested: [] });
    const jobs = queued.map((entry) => DeliveryJob.parse(JSON.parse(entry.body)));
    expect(jobs).toEqual([
      {
        deliveryId: deliveryIdFor('evt-1', acceptedAt, 'ops'),
        channelId: 'ops',
        policyIds: ['prod-ops'],
        event,
      },
      {
        deliveryId: deliveryIdFor('evt-1', acceptedAt, 'audit'),
        channelId: 'audit',
        policyIds: ['prod-ops', 'all'],
        event,
      },
    ]);
    expect(routed).toEqual([{ eventId: 'evt-1', channelIds: ['ops', 'audit'] }]);
  });

  it('never sends an operational event to the channel it is about', async () => {
    // Prepare: a policy sends every herald.* event to ops and audit.
    const { ports } = fakePorts({
      policies: [Policy.parse({ id: 'ops-watch', events: ['herald.*'], channels: ['ops', 'audit'] })],
    });
    const operational: HeraldEvent = {
      ...event,
      id: 'herald-exhausted-msg_1',
      type: 'herald.delivery.exhausted',
      source: 'herald',
      attributes: { channel: 'ops' },
    };

    // Act
    const result = await routeEvent(operational, ports, now);

    // Assess
    expect(result).toEqual({ kind: 'routed', channelIds: ['audit'], suppressed: [], digested: [] });
  });

  it('skips an event whose claim says it was already routed', async () => {
    // Prepare
    const { ports, queued, routed, configReads } = fakePorts({ status: 'routed' });

    // Act
    const result = await routeEvent(event, ports, now);

    // Assess
    expect(result).toEqual({ kind: 'duplicate' });
    expect(queued).toEqual([]);
    expect(routed).toEqual([]);
    expect(configReads()).toBe(0);
  });

  it('routes again with the same delivery ids when the claim is accepted but not yet routed', async () => {
    // Prepare
    const first = fakePorts();
    const second = fakePorts();

    // Act
    await routeEvent(event, first.ports, now);
    await routeEvent(event, second.ports, new Date('2026-11-23T10:00:00Z'));

    // Assess
    const idsOf = (entries: { body: string }[]) =>
      entries.map((entry) => DeliveryJob.parse(JSON.parse(entry.body)).deliveryId);
    expect(idsOf(second.queued)).toEqual(idsOf(first.queued));
  });

  it('throws and does not mark the event routed when a job cannot be queued', async () => {
    // Prepare
    const { ports, routed } = fakePorts({ failEnqueue: true });

    // Act
    const result = routeEvent(event, ports, now);

    // Assess
    await expect(result).rejects.toThrow(/could not queue deliveries to ops/);
    expect(routed).toEqual([]);
  });

  it('warns about a policy naming a channel that does not exist and routes the rest', async () => {
    // Prepare
    const { ports, logger } = fakePorts({
      policies: [Policy.parse({ id: 'p', channels: ['ops', 'ghost'] })],
      channels: [channel('ops')],
    });

    // Act
    const result = await routeEvent(event, ports, now);

    // Assess
    expect(result).toEqual({ kind: 'routed', channelIds: ['ops'], suppressed: [], digested: [] });
    expect(logger.lines.filter((line) => line.level === 'warn')).toEqual([
      expect.objectContaining({ attributes: expect.objectContaining({ channels: ['ghost'] }) }),
    ]);
  });

  it('routes an event no policy matches to no channel', async () => {
    // Prepare
    const { ports, queued, routed } = fakePorts({
      policies: [Policy.parse({ id: 'staging', match: { environment: 'staging' }, channels: ['ops'] })],
      channels: [channel('ops')],
    });

    // Act
    const result = await routeEvent(event, ports, now);

    // Assess
    expect(result).toEqual({ kind: 'routed', channelIds: [], suppressed: [], digested: [] });
    expect(queued).toEqual([]);
    expect(routed).toEqual([{ eventId: 'evt-1', channelIds: [] }]);
  });
});

describe('readIngestMessage', () => {
  const newId = () => 'generated';

  it('reads a message written by the ingest function', () => {
    // Prepare
    const body = JSON.stringify({ kind: 'herald.event', event });

    // Act
    const read = readIngestMessage(body, now, newId);

    // Assess
    expect(read).toEqual(event);
  });

  it('reads an EventBridge event and applies defaults', () => {
    // Prepare
    const body = JSON.stringify({
      version: '0',
      id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      'detail-type': 'Deploy Finished',
      source: 'ci',
      account: '123456789012',
      time: '2026-11-23T09:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { subject: 'Deploy of api finished', attributes: { environment: 'production' } },
    });

    // Act
    const read = readIngestMessage(body, now, newId);

    // Assess
    expect(read).toEqual({
      id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      type: 'deploy_finished',
      source: 'ci',
      time: '2026-11-23T09:00:00Z',
      subject: 'Deploy of api finished',
      severity: 'info',
      attributes: { environment: 'production' },
    });
  });

  it('rejects a body that is not JSON as unroutable', () => {
    expect(() => readIngestMessage('not json', now, newId)).toThrow(UnroutableMessageError);
  });

  it('rejects JSON that is neither a Herald message nor an EventBridge event as unroutable', () => {
    expect(() => readIngestMessage(JSON.stringify({ hello: 'world' }), now, newId)).toThrow(
      UnroutableMessageError,
    );
  });

  it('rejects an EventBridge event whose envelope is invalid, naming the field', () => {
    // Prepare
    const body = JSON.stringify({
      version: '0',
      id: 'eb-1',
      'detail-type': 'x',
      source: 'ci',
      account: '1',
      time: '2026-11-23T09:00:00Z',
      region: 'us-east-1',
      detail: { subject: 'ok', attributes: { environment: 7 } },
    });

    // Act
    const act = () => readIngestMessage(body, now, newId);

    // Assess
    expect(act).toThrow(UnroutableMessageError);
    expect(act).toThrow(/attributes\.environment/);
  });

  it('keeps an AWS service detail whose severity is not a Herald severity as data (GuardDuty)', () => {
    // Prepare
    const detail = { severity: 8, type: 'Recon:EC2/PortProbeUnprotectedPort' };
    const body = JSON.stringify({
      version: '0',
      id: 'eb-2',
      'detail-type': 'GuardDuty Finding',
      source: 'aws.guardduty',
      account: '1',
      time: '2026-11-23T09:00:00Z',
      region: 'us-east-1',
      detail,
    });

    // Act
    const event = readIngestMessage(body, now, newId);

    // Assess
    expect(event).toMatchObject({
      type: 'guardduty_finding',
      source: 'aws.guardduty',
      severity: 'info',
      data: detail,
    });
  });
});

describe('dedupWindow', () => {
  const dedupPolicies = [
    Policy.parse({ id: 'dedup', channels: ['ops'], dedupWindow: '2h' }),
    Policy.parse({ id: 'plain', channels: ['audit'] }),
  ];

  it('suppresses the same type, attributes and data to the same channel within the window, and records it', async () => {
    // Prepare
    const { ports, queued, suppressed } = fakePorts({ policies: dedupPolicies });
    const second = { ...event, id: 'evt-2' };

    // Act
    const first = await routeEvent(event, ports, new Date(acceptedAt));
    const again = await routeEvent(second, ports, new Date(acceptedAt));

    // Assess
    expect(first).toMatchObject({ channelIds: ['ops', 'audit'], suppressed: [], digested: [] });
    expect(again).toMatchObject({ channelIds: ['audit'], suppressed: ['ops'] });
    expect(queued.map((entry) => entry.key)).toEqual(['ops', 'audit', 'audit']);
    expect(suppressed).toEqual([
      { deliveryId: deliveryIdFor('evt-2', acceptedAt, 'ops'), channelId: 'ops', reason: DEDUP_REASON },
    ]);
  });

  it('mutes what a silence in force matches, for the channels it names, and records the silence', async () => {
    // Prepare: a silence on the ops channel for production events, in force at `acceptedAt`.
    const silence = SilenceRecord.parse({
      id: 'deploy-freeze',
      match: { environment: 'production' },
      channels: ['ops'],
      startsAt: new Date(Date.parse(acceptedAt) - 60_000).toISOString(),
      endsAt: new Date(Date.parse(acceptedAt) + 60_000).toISOString(),
      createdAt: acceptedAt,
      updatedAt: acceptedAt,
      version: 1,
    });
    const { ports, queued, suppressed } = fakePorts({ policies: dedupPolicies, silences: [silence] });

    // Act
    const muted = await routeEvent(event, ports, new Date(acceptedAt));
    const after = await routeEvent(
      { ...event, id: 'evt-9' },
      ports,
      new Date(Date.parse(acceptedAt) + 120_000),
    );

    // Assess: muted takes no dedup slot, so the first event after the silence goes out.
    expect(muted).toMatchObject({ channelIds: ['audit'], suppressed: ['ops'] });
    expect(suppressed).toEqual([
      {
        deliveryId: deliveryIdFor('evt-1', acceptedAt, 'ops'),
        channelId: 'ops',
        reason: 'silenced by deploy-freeze',
      },
    ]);
    expect(after).toMatchObject({ channelIds: ['ops', 'audit'], suppressed: [], digested: [] });
    expect(queued.map((entry) => entry.key)).toEqual(['audit', 'ops', 'audit']);
  });

  it('does not suppress events whose data differs', async () => {
    const { ports } = fakePorts({ policies: dedupPolicies });
    await routeEvent(event, ports, new Date(acceptedAt));
    const other = await routeEvent(
      { ...event, id: 'evt-3', data: { different: true } },
      ports,
      new Date(acceptedAt),
    );
    expect(other).toMatchObject({ suppressed: [], digested: [] });
  });

  it('does not suppress a retry of the same event (it holds the slot itself)', async () => {
    const { ports } = fakePorts({ policies: dedupPolicies });
    await routeEvent(event, ports, new Date(acceptedAt));
    const retried = await routeEvent(event, ports, new Date(acceptedAt));
    expect(retried).toMatchObject({ channelIds: ['ops', 'audit'], suppressed: [], digested: [] });
  });

  it('takes the shortest window among the policies routing to the channel (none wins)', () => {
    const { policyById } = new PolicyIndex(
      [
        Policy.parse({ id: 'a', channels: ['ops'], dedupWindow: '2h' }),
        Policy.parse({ id: 'b', channels: ['ops'], dedupWindow: '10m' }),
        Policy.parse({ id: 'c', channels: ['ops'] }),
      ],
      [],
    );
    expect(dedupWindowFor(['a', 'b'], policyById)).toBe(600);
    expect(dedupWindowFor(['a', 'c'], policyById)).toBe(0);
    expect(dedupWindowFor(['channel:ops'], policyById)).toBe(0);
  });
});

describe('digests', () => {
  const info: HeraldEvent = { ...event, id: 'evt-info', severity: 'info' };

  it('puts a notification to a digest channel into its digest instead of queuing a job', async () => {
    // Prepare: ops collects hourly; audit sends each event.
    const { ports, queued, routed, digested } = fakePorts({ digests: { ops: { every: '1h' } } });

    // Act
    const result = await routeEvent(info, ports, now, acceptedAt);

    // Assess
    expect(result).toEqual({ kind: 'routed', channelIds: ['audit'], suppressed: [], digested: ['ops'] });
    expect(queued.map((entry) => entry.key)).toEqual(['audit']);
    expect(digested).toEqual([
      { deliveryId: deliveryIdFor('evt-info', acceptedAt, 'ops'), channelId: 'ops', eventId: 'evt-info' },
    ]);
    // The event's record names the notification's delivery id for the digest channel too.
    expect(routed).toEqual([{ eventId: 'evt-info', channelIds: ['ops', 'audit'] }]);
  });

  it('sends a critical event at once unless the digest includes critical ones', async () => {
    // Prepare
    const plain = fakePorts({ digests: { ops: { every: '1h' } } });
    const including = fakePorts({ digests: { ops: { every: '1h', includeCritical: true } } });

    // Act
    const sentNow = await routeEvent(event, plain.ports, now, acceptedAt);
    const collected = await routeEvent(event, including.ports, now, acceptedAt);

    // Assess
    expect(sentNow).toMatchObject({ channelIds: ['ops', 'audit'], digested: [] });
    expect(plain.digested).toEqual([]);
    expect(collected).toMatchObject({ channelIds: ['audit'], digested: ['ops'] });
  });

  it('mutes a silenced notification before it reaches the digest', async () => {
    // Prepare
    const silence = SilenceRecord.parse({
      id: 'quiet',
      channels: ['ops'],
      startsAt: new Date(Date.parse(acceptedAt) - 60_000).toISOString(),
      endsAt: new Date(Date.parse(acceptedAt) + 60_000).toISOString(),
      createdAt: acceptedAt,
      updatedAt: acceptedAt,
      version: 1,
    });
    const { ports, digested, suppressed } = fakePorts({
      digests: { ops: { every: '1h' } },
      silences: [silence],
    });

    // Act
    const result = await routeEvent(info, ports, new Date(acceptedAt), acceptedAt);

    // Assess
    expect(result).toMatchObject({ suppressed: ['ops'], digested: [] });
    expect(digested).toEqual([]);
    expect(suppressed.map((entry) => entry.reason)).toEqual(['silenced by quiet']);
  });
});
