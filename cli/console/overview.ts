/**
 * The overview's figures, computed in the console server from the admin API's paged lists: deliveries
 * created in the window (newest first, at most {@link MAX_DELIVERIES}) counted by status per time
 * bucket, and the time from a delivery's creation to its last change for delivered ones (p50/p95).
 * Statuses are data: whatever strings the API answers are counted and shown.
 */
import type { DeliverySummary } from '../client.ts';

export const WINDOWS = {
  '1h': { ms: 60 * 60_000, bucketMs: 5 * 60_000 },
  '24h': { ms: 24 * 60 * 60_000, bucketMs: 60 * 60_000 },
} as const;
export type WindowName = keyof typeof WINDOWS;

/** The most deliveries the overview reads for one window (50 pages of 100). */
export const MAX_DELIVERIES = 5000;

export interface Bucket {
  /** ISO time the bucket starts. */
  readonly start: string;
  readonly counts: Record<string, number>;
}

export interface DeliveryFigures {
  readonly window: WindowName;
  readonly from: string;
  readonly to: string;
  readonly bucketMs: number;
  readonly buckets: Bucket[];
  readonly totals: Record<string, number>;
  /** Creation to delivered (retries included), over the delivered deliveries read; null when none. */
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly count: number } | null;
  /** How many deliveries were read, and whether the window held more than {@link MAX_DELIVERIES}. */
  readonly scanned: number;
  readonly truncated: boolean;
}

/** Nearest-rank percentile of sorted values. */
export const percentile = (sorted: readonly number[], p: number): number => {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0;
};

/** Counts deliveries by status per bucket, and the delivered ones' latency. */
export const summarizeDeliveries = (
  items: readonly DeliverySummary[],
  window: WindowName,
  now: Date,
  truncated: boolean,
): DeliveryFigures => {
  const { ms, bucketMs } = WINDOWS[window];
  const end = Math.ceil(now.getTime() / bucketMs) * bucketMs;
  const start = end - ms;
  const buckets: Bucket[] = [];
  for (let at = start; at < end; at += bucketMs)
    buckets.push({ start: new Date(at).toISOString(), counts: {} });
  const totals: Record<string, number> = {};
  const latencies: number[] = [];
  for (const item of items) {
    const created = Date.parse(item.createdAt ?? '');
    if (Number.isNaN(created) || created < now.getTime() - ms) continue;
    totals[item.status] = (totals[item.status] ?? 0) + 1;
    const bucket = buckets[Math.min(buckets.length - 1, Math.floor((created - start) / bucketMs))];
    if (bucket !== undefined) bucket.counts[item.status] = (bucket.counts[item.status] ?? 0) + 1;
    const updated = Date.parse(item.updatedAt ?? '');
    if (item.status === 'delivered' && !Number.isNaN(updated)) latencies.push(Math.max(0, updated - created));
  }
  latencies.sort((a, b) => a - b);
  return {
    window,
    from: new Date(now.getTime() - ms).toISOString(),
    to: now.toISOString(),
    bucketMs,
    buckets,
    totals,
    latencyMs:
      latencies.length === 0
        ? null
        : { p50: percentile(latencies, 50), p95: percentile(latencies, 95), count: latencies.length },
    scanned: items.length,
    truncated,
  };
};
