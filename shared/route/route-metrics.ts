import type { HeraldEvent } from '../domain/event.ts';
import { isOperational } from '../domain/operational.ts';
import { METRIC, type MetricsPort } from '../runtime/metrics.ts';
import type { RouteResult } from './router.ts';

/**
 * Counts what routing one event came to: an EventBridge event the router took in (one without the
 * ingest function's `acceptedAt`, and not one of Herald's operational events) is accepted here;
 * every channel the policies matched is a notification, and those a `dedupWindow` suppressed are
 * counted as such too, and so are those that went into a digest. A duplicate counts nothing.
 */
export const countRouting = (
  metrics: MetricsPort,
  message: { readonly event: HeraldEvent; readonly acceptedAt?: string },
  result: RouteResult,
  channelTypeOf: (channelId: string) => string,
): void => {
  if (result.kind === 'duplicate') return;
  if (message.acceptedAt === undefined && !isOperational(message.event)) {
    metrics.count(METRIC.eventsAccepted);
  }
  for (const channelId of [...result.channelIds, ...result.suppressed, ...result.digested]) {
    metrics.count(METRIC.notificationsMatched, { channelType: channelTypeOf(channelId) });
  }
  for (const channelId of result.suppressed) {
    metrics.count(METRIC.deliverySuppressed, { channelType: channelTypeOf(channelId) });
  }
  for (const channelId of result.digested) {
    metrics.count(METRIC.notificationsDigested, { channelType: channelTypeOf(channelId) });
  }
};
