/**
 * {@link MetricsPort} over Powertools' `Metrics` (EMF log lines, one flush per invocation).
 *
 * The records of an SQS batch go to channels of several types, and one EMF line holds one value per
 * dimension, while Powertools' buffer holds one dimension set at a time (and `logMetrics` flushes a
 * fixed list of buffers, warning for each empty one). So counts and latencies are kept here per channel
 * type during the invocation and written at its end by {@link publishMetrics}: one line per channel
 * type seen (and one for the metrics without a channel type), each through Powertools, which validates
 * and serializes them. Counts are summed: one value per metric and line.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { CHANNEL_TYPE_DIMENSION, type CountMetric, METRIC, type MetricsPort } from './metrics.ts';

/** What {@link EmfMetrics} uses of Powertools' `Metrics`. */
export type MetricsWriter = Pick<Metrics, 'addDimension' | 'addMetric' | 'publishStoredMetrics'>;

/**
 * Latencies per EMF line: Powertools publishes by itself (without the channel type dimension) when one
 * metric reaches 100 values, so a line is written before that.
 */
const MAX_VALUES_PER_LINE = 99;

/** The group of the metrics that have no channel type. */
const NO_CHANNEL_TYPE = '';

interface Group {
  readonly counts: Map<CountMetric, number>;
  readonly latencies: number[];
}

export class EmfMetrics implements MetricsPort {
  private groups = new Map<string, Group>();

  constructor(private readonly writer: MetricsWriter) {}

  count(name: CountMetric, options: { readonly channelType?: string; readonly value?: number } = {}): void {
    const { counts } = this.group(options.channelType ?? NO_CHANNEL_TYPE);
    counts.set(name, (counts.get(name) ?? 0) + (options.value ?? 1));
  }

  latency(milliseconds: number, channelType: string): void {
    this.group(channelType).latencies.push(milliseconds);
  }

  /** Writes what was recorded since the last call, one EMF line per channel type; nothing if nothing was. */
  publish(): void {
    const groups = this.groups;
    this.groups = new Map();
    for (const [channelType, { counts, latencies }] of groups) {
      for (let from = 0; from === 0 || from < latencies.length; from += MAX_VALUES_PER_LINE) {
        if (channelType !== NO_CHANNEL_TYPE) this.writer.addDimension(CHANNEL_TYPE_DIMENSION, channelType);
        if (from === 0) {
          for (const [name, value] of counts) this.writer.addMetric(name, MetricUnit.Count, value);
        }
        for (const milliseconds of latencies.slice(from, from + MAX_VALUES_PER_LINE)) {
          this.writer.addMetric(METRIC.deliveryLatency, MetricUnit.Milliseconds, milliseconds);
        }
        this.writer.publishStoredMetrics();
      }
    }
  }

  private group(channelType: string): Group {
    let group = this.groups.get(channelType);
    if (group === undefined) {
      group = { counts: new Map(), latencies: [] };
      this.groups.set(channelType, group);
    }
    return group;
  }
}

/** A middy middleware that publishes the invocation's metrics when it ends, in success or error. */
export const publishMetrics = (metrics: Pick<EmfMetrics, 'publish'>): MiddlewareObj => {
  const publish = () => metrics.publish();
  return { after: publish, onError: publish };
};
