import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HeraldEvent } from '#shared/domain/event.ts';
import { OPERATIONAL_SOURCE } from '#shared/domain/operational.ts';
import { countRouting } from '#shared/route/route-metrics.ts';
import { EmfMetrics, type MetricsWriter, publishMetrics } from '#shared/runtime/emf-metrics.ts';
import { correlated } from '#shared/runtime/log.ts';
import { DEFAULT_METRICS_NAMESPACE } from '#shared/runtime/metrics.ts';
import { recordingLog, recordingMetrics } from './support.ts';

/** A writer that keeps each published line as its dimensions and metrics. */
const recordingWriter = () => {
  const lines: { dimensions: Record<string, string>; metrics: [string, string, number][] }[] = [];
  let dimensions: Record<string, string> = {};
  let metrics: [string, string, number][] = [];
  const writer: MetricsWriter & { lines: typeof lines } = {
    lines,
    addDimension(name, value) {
      dimensions[name] = value;
      return this as never;
    },
    addMetric(name, unit, value) {
      metrics.push([name, unit, value]);
      return this as never;
    },
    publishStoredMetrics() {
      lines.push({ dimensions, metrics });
      dimensions = {};
      metrics = [];
      return this as never;
    },
  };
  return writer;
};

describe('EmfMetrics', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes one line per channel type with the counts summed and every latency, and one without a type', () => {
    // Prepare
    const writer = recordingWriter();
    const metrics = new EmfMetrics(writer);

    // Act
    metrics.count('DeliverySucceeded', { channelType: 'webhook' });
    metrics.latency(120, 'webhook');
    metrics.count('DeliverySucceeded', { channelType: 'webhook' });
    metrics.latency(80, 'webhook');
    metrics.count('DeliveryRetried', { channelType: 'slack' });
    metrics.latency(3000, 'slack');
    metrics.count('EventsAccepted', { value: 7 });
    metrics.publish();

    // Assess
    expect(writer.lines).toEqual([
      {
        dimensions: { channelType: 'webhook' },
        metrics: [
          ['DeliverySucceeded', 'Count', 2],
          ['DeliveryLatency', 'Milliseconds', 120],
          ['DeliveryLatency', 'Milliseconds', 80],
        ],
      },
      {
        dimensions: { channelType: 'slack' },
        metrics: [
          ['DeliveryRetried', 'Count', 1],
          ['DeliveryLatency', 'Milliseconds', 3000],
        ],
      },
      { dimensions: {}, metrics: [['EventsAccepted', 'Count', 7]] },
    ]);
  });

  it('writes nothing when nothing was recorded, and starts again after each publish', () => {
    // Prepare
    const writer = recordingWriter();
    const metrics = new EmfMetrics(writer);
    metrics.count('NotificationsMatched', { channelType: 'email' });
    metrics.publish();

    // Act
    metrics.publish();

    // Assess
    expect(writer.lines).toHaveLength(1);
  });

  it('splits more than 99 latencies of one channel type over lines that each keep the dimension', () => {
    // Prepare
    const writer = recordingWriter();
    const metrics = new EmfMetrics(writer);
    for (let index = 0; index < 150; index += 1) metrics.latency(index, 'teams');

    // Act
    metrics.publish();

    // Assess
    expect(writer.lines.map((line) => [line.dimensions, line.metrics.length])).toEqual([
      [{ channelType: 'teams' }, 99],
      [{ channelType: 'teams' }, 51],
    ]);
  });

  it('publishes through Powertools as EMF: namespace Herald, dimensions service and channelType', () => {
    // Prepare: Powertools writes each EMF object as one line on stdout.
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const metrics = new EmfMetrics(
      new Metrics({ namespace: DEFAULT_METRICS_NAMESPACE, serviceName: 'herald-deliver' }),
    );
    metrics.count('DeliveryFailed', { channelType: 'pagerduty' });
    metrics.latency(42, 'pagerduty');

    // Act
    metrics.publish();

    // Assess
    vi.restoreAllMocks();
    const lines = written
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      {
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [
            {
              Namespace: 'Herald',
              Dimensions: [['service', 'channelType']],
              Metrics: [
                { Name: 'DeliveryFailed', Unit: 'Count' },
                { Name: 'DeliveryLatency', Unit: 'Milliseconds' },
              ],
            },
          ],
        },
        service: 'herald-deliver',
        channelType: 'pagerduty',
        DeliveryFailed: 1,
        DeliveryLatency: 42,
      },
    ]);
  });

  it('is published by its middleware at the end of an invocation, whether it succeeded or failed', () => {
    // Prepare
    const publish = vi.fn();
    const middleware = publishMetrics({ publish });

    // Act
    middleware.after?.({} as never);
    middleware.onError?.({} as never);

    // Assess
    expect(publish).toHaveBeenCalledTimes(2);
  });
});

describe('countRouting', () => {
  const event: HeraldEvent = {
    id: 'evt-1',
    type: 'request_created',
    source: 'dbward',
    time: '2026-11-23T09:00:00Z',
    subject: 'Break-glass',
    severity: 'critical',
    attributes: {},
  };
  const types: Record<string, string> = { ops: 'webhook', chat: 'slack' };
  const typeOf = (channelId: string) => types[channelId] ?? 'unknown';

  it('counts each matched channel under its type, and the suppressed ones as such too', () => {
    // Prepare
    const metrics = recordingMetrics();

    // Act
    countRouting(
      metrics,
      { event, acceptedAt: '2026-11-23T09:00:00Z' },
      { kind: 'routed', channelIds: ['ops', 'gone'], suppressed: ['chat'], digested: [] },
      typeOf,
    );

    // Assess: the ingest function counted the event when it accepted it.
    expect(metrics.counts).toEqual({
      'NotificationsMatched webhook': 1,
      'NotificationsMatched unknown': 1,
      'NotificationsMatched slack': 1,
      'DeliverySuppressed slack': 1,
    });
  });

  it('counts an EventBridge event (no acceptedAt) as accepted', () => {
    // Prepare
    const metrics = recordingMetrics();

    // Act
    countRouting(
      metrics,
      { event },
      { kind: 'routed', channelIds: [], suppressed: [], digested: [] },
      typeOf,
    );

    // Assess
    expect(metrics.counts).toEqual({ EventsAccepted: 1 });
  });

  it("does not count Herald's own operational events as accepted", () => {
    // Prepare
    const metrics = recordingMetrics();
    const operational = { ...event, type: 'herald.delivery.exhausted', source: OPERATIONAL_SOURCE };

    // Act
    countRouting(
      metrics,
      { event: operational },
      { kind: 'routed', channelIds: ['ops'], suppressed: [], digested: [] },
      typeOf,
    );

    // Assess
    expect(metrics.counts).toEqual({ 'NotificationsMatched webhook': 1 });
  });

  it('counts nothing for a duplicate', () => {
    // Prepare
    const metrics = recordingMetrics();

    // Act
    countRouting(metrics, { event }, { kind: 'duplicate' }, typeOf);

    // Assess
    expect(metrics.counts).toEqual({});
  });
});

describe('correlated', () => {
  it('puts the correlation id on every line, each record keeping its own while they interleave', async () => {
    // Prepare
    const log = recordingLog();
    const first = correlated(log, 'evt-1');
    const second = correlated(log, 'evt-2');

    // Act: two records handled at once, their lines interleaved.
    await Promise.all([
      (async () => {
        first.info('event routed', { eventId: 'evt-1' });
        await new Promise((resolve) => setTimeout(resolve, 5));
        first.warn('policy names channels that do not exist or are disabled', { eventId: 'evt-1' });
      })(),
      (async () => {
        second.info('event routed', { eventId: 'evt-2' });
      })(),
    ]);

    // Assess
    expect(log.lines.map(({ level, attributes }) => [level, attributes])).toEqual([
      ['info', { correlationId: 'evt-1', eventId: 'evt-1' }],
      ['info', { correlationId: 'evt-2', eventId: 'evt-2' }],
      ['warn', { correlationId: 'evt-1', eventId: 'evt-1' }],
    ]);
  });
});
