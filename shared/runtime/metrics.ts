/**
 * Herald's own CloudWatch metrics (embedded metric format, written by the functions as log lines):
 * their default namespace, names and dimension, and the narrow port handlers and domain code count through.
 * This module imports nothing, so the dashboard in `infra/` graphs the same names without loading
 * handler code (see `emf-metrics.ts` for the Powertools side).
 *
 * Every metric has the `service` dimension (`herald-ingest`, `herald-router`, `herald-deliver`); all
 * but {@link METRIC.eventsAccepted} also have {@link CHANNEL_TYPE_DIMENSION}.
 */

/**
 * The namespace unless the stack names another (`metricsNamespace`): the functions read theirs from
 * `ENV.metricsNamespace`, the dashboard searches the stack's.
 */
export const DEFAULT_METRICS_NAMESPACE = 'Herald';

/** The dimension that splits notification and delivery metrics by the channel's type (`webhook`, …). */
export const CHANNEL_TYPE_DIMENSION = 'channelType';

/** The channel type of a delivery whose channel could not be read (deleted, or the read failed). */
export const UNKNOWN_CHANNEL_TYPE = 'unknown';

export const METRIC = {
  /**
   * Events taken in for the first time: by the ingest function (HTTP, duplicates left out) and by the
   * router (EventBridge events, which it claims itself). No channel type.
   */
  eventsAccepted: 'EventsAccepted',
  /** (event, channel) pairs the policies matched, suppressed ones included: router. */
  notificationsMatched: 'NotificationsMatched',
  /** Attempts that delivered: deliver. */
  deliverySucceeded: 'DeliverySucceeded',
  /** Attempts that failed and will be tried again on the channel's schedule: deliver. */
  deliveryRetried: 'DeliveryRetried',
  /**
   * Attempts that failed with no retry to follow (a permanent failure, or the schedule's last
   * attempt): each also dead-letters its delivery. Deliver.
   */
  deliveryFailed: 'DeliveryFailed',
  /** Deliveries a `dedupWindow` suppressed (never queued): router. */
  deliverySuppressed: 'DeliverySuppressed',
  /** Notifications that went into a channel's digest instead of being sent one by one: router. */
  notificationsDigested: 'NotificationsDigested',
  /**
   * Deliveries marked dead (redrivable): after a failed attempt, or without one (the channel is gone
   * or disabled, the job came back too often). Deliver.
   */
  deliveryDeadLettered: 'DeliveryDeadLettered',
  /** Milliseconds one attempt's send took (the channel call), per attempt: deliver. */
  deliveryLatency: 'DeliveryLatency',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
/** The metrics that count (unit Count); the latency is recorded with {@link MetricsPort.latency}. */
export type CountMetric = Exclude<MetricName, typeof METRIC.deliveryLatency>;

/** What handlers and domain code record metrics through (a fake in unit tests). */
export interface MetricsPort {
  /** Adds `value` (default 1) to a count, under a channel type where the metric has one. */
  count(name: CountMetric, options?: { readonly channelType?: string; readonly value?: number }): void;
  /** One attempt's send latency in milliseconds. */
  latency(milliseconds: number, channelType: string): void;
}
