import { type DigestSettings, digestible } from '../domain/digest.ts';
import { EventInput, type HeraldEvent, normalizeEvent } from '../domain/event.ts';
import { dedupFingerprint, deliveryIdFor } from '../domain/ids.ts';
import { type DeliveryJob, IngestMessage } from '../domain/jobs.ts';
import { aboutChannel } from '../domain/operational.ts';
import type { Policy } from '../domain/policy.ts';
import type { PolicyIndex } from '../domain/policy-index.ts';
import { mutedBy, type SilenceRecord } from '../domain/silence.ts';
import { EventBridgeEvent, fromEventBridge } from '../ingest/eventbridge.ts';
import type { Faults } from '../runtime/faults.ts';
import type { Log } from '../runtime/log.ts';

/** A message that can never become an event; it goes to the ingest dead-letter queue with this reason. */
export class UnroutableMessageError extends Error {
  override readonly name = 'UnroutableMessageError';
}

/**
 * Reads an ingest-queue message: either what the ingest function wrote, or an EventBridge event that
 * the bus rule delivered (mapped per SPEC §2 and validated like any other event).
 */
export const readIngestMessage = (body: string, now: Date, newId: () => string): HeraldEvent =>
  readIngestRecord(body, now, newId).event;

/**
 * {@link readIngestMessage}, with when the ingest function's claim accepted the event (absent for an
 * EventBridge event, which the router claims itself).
 */
export const readIngestRecord = (
  body: string,
  now: Date,
  newId: () => string,
): { event: HeraldEvent; acceptedAt?: string } => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new UnroutableMessageError('message body is not JSON', { cause: error });
  }
  const fromIngest = IngestMessage.safeParse(parsed);
  if (fromIngest.success) {
    const { event, acceptedAt } = fromIngest.data;
    return acceptedAt === undefined ? { event } : { event, acceptedAt };
  }

  const bridged = EventBridgeEvent.safeParse(parsed);
  if (!bridged.success)
    throw new UnroutableMessageError('message is neither a Herald event nor an EventBridge event');
  const input = EventInput.safeParse(fromEventBridge(bridged.data));
  if (!input.success) {
    const problems = input.error.issues.map(
      (issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`,
    );
    throw new UnroutableMessageError(`invalid EventBridge event ${bridged.data.id}: ${problems.join('; ')}`);
  }
  return { event: normalizeEvent(input.data, now, newId) };
};

/** Why `dedupWindow` suppressed a delivery. */
export const DEDUP_REASON = 'the same notification was sent to this channel within the policy dedupWindow';

export interface RouterPorts {
  claimEvent(
    event: HeraldEvent,
    now: Date,
  ): Promise<{ status: 'accepted' | 'routed'; acceptedAt: string; created: boolean }>;
  /** Marks the event routed, with the delivery id of each channel it went to. */
  markRouted(eventId: string, deliveries: Readonly<Record<string, string>>): Promise<void>;
  /** The policies and channels, indexed: built once per config load, never per event. */
  config(): Promise<PolicyIndex<Policy>>;
  /**
   * Claims a `dedupWindow` slot for (channel, fingerprint): true when this delivery is the first in the
   * window (or already holds the slot), false when it is to be suppressed.
   */
  claimDedup(
    slot: { channelId: string; fingerprint: string; windowSeconds: number; deliveryId: string },
    now: Date,
  ): Promise<boolean>;
  /** The silences and maintenance windows, kept with the policies (no read per event). */
  silences(): Promise<readonly SilenceRecord[]>;
  /** Records a delivery suppressed by `dedupWindow` or a silence, with the reason. */
  recordSuppressed(
    delivery: { deliveryId: string; eventId: string; channelId: string; eventType: string },
    now: Date,
    reason: string,
  ): Promise<void>;
  /** The channel's `digest`, when it has one: its notifications go into the period's digest. */
  digestOf(channelId: string): DigestSettings | undefined;
  /**
   * Adds the notification to the channel's open digest (the period `now` is in) and records it
   * `digested` with the digest's delivery id, which it returns; undefined when the notification was
   * handled by an earlier routing of the event (in a digest, or sent on its own).
   */
  addToDigest(
    notification: { deliveryId: string; channelId: string; event: HeraldEvent; digest: DigestSettings },
    now: Date,
  ): Promise<string | undefined>;
  /** Queues delivery jobs; returns the keys that failed. */
  enqueue(entries: readonly { key: string; body: string }[]): Promise<string[]>;
  /** Test-only crash points (off in production). */
  readonly faults?: Faults;
  logger: Log;
}

export type RouteResult =
  | { readonly kind: 'duplicate' }
  | {
      readonly kind: 'routed';
      /** Channels a delivery job was queued for. */
      readonly channelIds: readonly string[];
      /** Channels whose delivery `dedupWindow` or a silence suppressed. */
      readonly suppressed: readonly string[];
      /** Channels whose digest the notification went into. */
      readonly digested: readonly string[];
    };

/**
 * The dedup window for one channel: the shortest among the policies that route the event there (a
 * policy without `dedupWindow` means "send every time", and wins). Zero means no deduplication.
 */
export const dedupWindowFor = (
  policyIds: readonly string[],
  policyById: ReadonlyMap<string, Pick<Policy, 'dedupWindow'>>,
): number => {
  const windows = policyIds.map((id) => policyById.get(id)?.dedupWindow ?? 0);
  return windows.length === 0 ? 0 : Math.min(...windows);
};

/**
 * Routes one event: records it unless ingest did (`acceptedAt`; an event already routed is a
 * duplicate), matches it against the
 * policies and channels, and queues one delivery job per channel. Throws when a job could not be
 * queued, so the message is retried; jobs carry a derived delivery id, so a retry repeats none.
 */
export const routeEvent = async (
  event: HeraldEvent,
  ports: RouterPorts,
  now: Date,
  acceptedAt?: string,
  /** `again`: this message came back (an earlier routing of it may have queued jobs). */
  options: { again?: boolean } = {},
): Promise<RouteResult> => {
  // An event from HTTP ingest comes with its claim's time: no claim to write or read. A second copy of
  // it (SQS delivers at least once) is routed again to the same delivery ids, which deliver sends once.
  const claim =
    acceptedAt === undefined ? await ports.claimEvent(event, now) : { status: 'accepted', acceptedAt };
  if (claim.status === 'routed') {
    ports.logger.info('duplicate event skipped', { eventId: event.id });
    return { kind: 'duplicate' };
  }

  const index = await ports.config();
  const matched = index.match(event);
  const { missingChannels } = matched;
  // An operational event about a channel never goes to that channel.
  const about = aboutChannel(event);
  const routes = matched.routes.filter((target) => target.channelId !== about);
  if (missingChannels.length > 0) {
    ports.logger.warn('policy names channels that do not exist or are disabled', {
      eventId: event.id,
      channels: missingChannels,
    });
  }

  const fingerprint = dedupFingerprint(event);
  const silences = await ports.silences();
  const planned = await Promise.all(
    routes.map(async (target) => {
      const deliveryId = deliveryIdFor(event.id, claim.acceptedAt, target.channelId);
      // A muted notification takes no dedup slot: the next one after the silence goes out.
      const silence = mutedBy(silences, event, target.channelId, now);
      if (silence !== undefined) return { target, deliveryId, suppressed: `silenced by ${silence.id}` };
      const windowSeconds = dedupWindowFor(target.policyIds, index.policyById);
      const first =
        windowSeconds <= 0 ||
        (await ports.claimDedup(
          { channelId: target.channelId, fingerprint, windowSeconds, deliveryId },
          now,
        ));
      return { target, deliveryId, suppressed: first ? undefined : DEDUP_REASON };
    }),
  );
  const suppressed = planned.filter((entry) => entry.suppressed !== undefined);
  for (const { target, deliveryId, suppressed: reason } of suppressed) {
    await ports.recordSuppressed(
      { deliveryId, eventId: event.id, channelId: target.channelId, eventType: event.type },
      now,
      reason ?? DEDUP_REASON,
    );
  }

  // A digest channel gets the notification in its open period's digest (critical ones go out at once
  // unless the digest includes them).
  const digested: string[] = [];
  const unsuppressed = planned.filter((entry) => entry.suppressed === undefined);
  const sendNow = [];
  for (const entry of unsuppressed) {
    const digest = ports.digestOf(entry.target.channelId);
    if (digest === undefined || !digestible(digest, event)) {
      sendNow.push(entry);
      continue;
    }
    await ports.addToDigest(
      { deliveryId: entry.deliveryId, channelId: entry.target.channelId, event, digest },
      now,
    );
    digested.push(entry.target.channelId);
  }

  const jobs = sendNow.map(({ target, deliveryId }) => {
    const job: DeliveryJob = {
      deliveryId,
      channelId: target.channelId,
      policyIds: [...target.policyIds],
      event,
      ...(options.again === true ? { again: true as const } : {}),
    };
    return { key: target.channelId, deliveryId, body: JSON.stringify(job) };
  });
  if (jobs.length > 1 && ports.faults?.armed('router-mid-fan-out', event)) {
    await ports.enqueue(jobs.slice(0, 1));
    ports.faults.crash();
  }
  const failed = await ports.enqueue(jobs);
  if (failed.length > 0) throw new Error(`could not queue deliveries to ${failed.join(', ')}`);

  const channelIds = jobs.map((job) => job.key);
  await ports.markRouted(
    event.id,
    Object.fromEntries(planned.map((entry) => [entry.target.channelId, entry.deliveryId])),
  );
  const suppressedIds = suppressed.map((entry) => entry.target.channelId);
  // Routine: DEBUG (the routing metrics count it); suppressed and digested notifications say why there.
  ports.logger.debug('event routed', {
    eventId: event.id,
    type: event.type,
    channels: channelIds,
    ...(suppressedIds.length > 0 ? { suppressed: suppressedIds } : {}),
    ...(digested.length > 0 ? { digested } : {}),
  });
  return { kind: 'routed', channelIds, suppressed: suppressedIds, digested };
};
