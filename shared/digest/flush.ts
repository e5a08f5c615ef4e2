/**
 * Turning closed digest periods into delivery jobs (the flush): run once a minute by the digest
 * function, and by the admin API when a channel's `digest` changes. Idempotent: a job is queued before
 * its digest is closed, so a flush that crashes in between queues it again next time; two jobs of one
 * digest carry one delivery id, and the deliver function sends a delivery once.
 */
import type { DigestRecord, DigestRepository } from '../aws/digest-repository.ts';
import { buildDigest, digestEvent } from '../domain/digest.ts';
import type { DeliveryJob } from '../domain/jobs.ts';

/** The job that sends a digest: its envelope (without the list, read when it is sent) and its period. */
export const digestJob = (digest: DigestRecord): DeliveryJob => ({
  deliveryId: digest.digestId,
  channelId: digest.channelId,
  policyIds: [],
  event: digestEvent(
    buildDigest(
      {
        digestId: digest.digestId,
        channelId: digest.channelId,
        periodStart: digest.periodStart,
        periodEnd: digest.periodEnd,
        timezone: digest.timezone,
      },
      [],
    ),
  ),
  digest: { start: digest.periodStart, end: digest.periodEnd, timezone: digest.timezone },
});

export interface FlushPorts {
  /** Queues delivery jobs; returns the keys that failed. */
  enqueue(entries: readonly { key: string; body: string }[]): Promise<string[]>;
  /** Closes a digest (false when it was closed already). */
  close(digestId: string, now: Date): Promise<boolean>;
}

/** Queues each digest's job, then closes the digests whose job was queued. Returns those queued. */
export const flushDigests = async (
  digests: readonly DigestRecord[],
  ports: FlushPorts,
  now: Date,
): Promise<{ flushed: string[]; failed: string[] }> => {
  if (digests.length === 0) return { flushed: [], failed: [] };
  const failed = new Set(
    await ports.enqueue(
      digests.map((digest) => ({ key: digest.digestId, body: JSON.stringify(digestJob(digest)) })),
    ),
  );
  const flushed = digests.filter((digest) => !failed.has(digest.digestId)).map((digest) => digest.digestId);
  for (const digestId of flushed) await ports.close(digestId, now);
  return { flushed, failed: [...failed] };
};

/** How many closed digests one flush run queues at most (the next run, a minute later, takes the rest). */
export const MAX_DUE_PER_FLUSH = 500;

/**
 * Routers read a config change within a second of it (the generation is read once a second); the
 * second flush of a changed channel waits that and more.
 */
export const SETTLE_MS = 2_500;

/** The flush over the state table and the delivery queue: the digest function's and the admin API's. */
export class DigestFlusher {
  constructor(
    private readonly digests: Pick<DigestRepository, 'due' | 'collectingOf' | 'close'>,
    private readonly deliveryQueue: {
      sendAll(entries: readonly { key: string; body: string }[]): Promise<string[]>;
    },
    /** How long after the first flush of a changed channel the second one runs. */
    private readonly settleMs = SETTLE_MS,
  ) {}

  private readonly ports: FlushPorts = {
    enqueue: (entries) => this.deliveryQueue.sendAll(entries),
    close: (digestId, now) => this.digests.close(digestId, now),
  };

  /** Queues every digest whose period has ended (the scheduled flush). */
  async flushDue(now: Date): Promise<{ flushed: string[]; failed: string[] }> {
    return flushDigests(await this.digests.due(now, MAX_DUE_PER_FLUSH), this.ports, now);
  }

  /**
   * Queues a channel's open digests now, whatever their period (its `digest` changed), and once more
   * when every router has the change (they read it within a second or so): a router still on the old
   * setting may have opened another digest under it meanwhile, which would otherwise wait for the old
   * period's end.
   */
  async flushChannel(channelId: string, now: Date): Promise<void> {
    await this.flushOpen(channelId, now);
    await new Promise((resolve) => setTimeout(resolve, this.settleMs));
    await this.flushOpen(channelId, new Date());
  }

  private async flushOpen(channelId: string, now: Date): Promise<void> {
    const { failed } = await flushDigests(await this.digests.collectingOf(channelId), this.ports, now);
    // Left open, they are flushed when their period ends: nothing is lost, only later.
    if (failed.length > 0) throw new Error(`could not queue the open digests ${failed.join(', ')}`);
  }
}
