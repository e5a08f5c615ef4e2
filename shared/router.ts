import type { ChannelRecord } from './channel.ts';
import { EventInput, type HeraldEvent, normalizeEvent } from './event.ts';
import { EventBridgeEvent, fromEventBridge } from './eventbridge.ts';
import { deliveryIdFor } from './ids.ts';
import { type DeliveryJob, IngestMessage } from './jobs.ts';
import type { Log } from './log.ts';
import { route } from './matcher.ts';
import type { Policy } from './policy.ts';

/** A message that can never become an event; it goes to the ingest dead-letter queue with this reason. */
export class UnroutableMessageError extends Error {
  override readonly name = 'UnroutableMessageError';
}

/**
 * Reads an ingest-queue message: either what the ingest function wrote, or an EventBridge event that
 * the bus rule delivered (mapped per SPEC §2 and validated like any other event).
 */
export const readIngestMessage = (body: string, now: Date, newId: () => string): HeraldEvent => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new UnroutableMessageError('message body is not JSON', { cause: error });
  }
  const fromIngest = IngestMessage.safeParse(parsed);
  if (fromIngest.success) return fromIngest.data.event;

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
  return normalizeEvent(input.data, now, newId);
};

export interface RouterPorts {
  claimEvent(
    event: HeraldEvent,
    now: Date,
  ): Promise<{ status: 'accepted' | 'routed'; acceptedAt: string; created: boolean }>;
  /** Marks the event routed, with the delivery id of each channel it went to. */
  markRouted(eventId: string, deliveries: Readonly<Record<string, string>>): Promise<void>;
  config(): Promise<{ policies: readonly Policy[]; channels: readonly ChannelRecord[] }>;
  /** Queues delivery jobs; returns the keys that failed. */
  enqueue(entries: readonly { key: string; body: string }[]): Promise<string[]>;
  logger: Log;
}

export type RouteResult =
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'routed'; readonly channelIds: readonly string[] };

/**
 * Routes one event: records it (an event already routed is a duplicate), matches it against the
 * policies and channels, and queues one delivery job per channel. Throws when a job could not be
 * queued, so the message is retried; jobs carry a derived delivery id, so a retry repeats none.
 */
export const routeEvent = async (event: HeraldEvent, ports: RouterPorts, now: Date): Promise<RouteResult> => {
  const claim = await ports.claimEvent(event, now);
  if (claim.status === 'routed') {
    ports.logger.info('duplicate event skipped', { eventId: event.id });
    return { kind: 'duplicate' };
  }

  const { policies, channels } = await ports.config();
  const { routes, missingChannels } = route(event, policies, channels);
  if (missingChannels.length > 0) {
    ports.logger.warn('policy names channels that do not exist or are disabled', {
      eventId: event.id,
      channels: missingChannels,
    });
  }

  const jobs = routes.map((target) => {
    const job: DeliveryJob = {
      deliveryId: deliveryIdFor(event.id, claim.acceptedAt, target.channelId),
      channelId: target.channelId,
      policyIds: [...target.policyIds],
      event,
    };
    return { key: target.channelId, deliveryId: job.deliveryId, body: JSON.stringify(job) };
  });
  const failed = await ports.enqueue(jobs);
  if (failed.length > 0) throw new Error(`could not queue deliveries to ${failed.join(', ')}`);

  const channelIds = routes.map((target) => target.channelId);
  await ports.markRouted(event.id, Object.fromEntries(jobs.map((job) => [job.key, job.deliveryId])));
  ports.logger.info('event routed', { eventId: event.id, type: event.type, channels: channelIds });
  return { kind: 'routed', channelIds };
};
