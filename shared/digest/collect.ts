/**
 * Putting a notification into its channel's digest (the router's side of digests): the period the
 * routing time falls in, and the first generation of it still open. A period is flushed early only
 * when the channel's `digest` changes (or, rarely, a notification is routed right as its period ends):
 * what arrives after that goes into the period's next generation, a digest of its own.
 */
import type { DigestAddition, DigestRecord } from '../aws/digest-repository.ts';
import { eventLink } from '../channels/text.ts';
import { type DigestSettings, digestIdFor, digestPeriod } from '../domain/digest.ts';
import type { HeraldEvent } from '../domain/event.ts';

/** More generations of one period than this means something keeps closing it: the routing is retried. */
export const MAX_GENERATIONS = 8;

export interface DigestStore {
  /**
   * `closed` when the digest is closed; `handled` when the notification is already in a digest or was
   * sent on its own (see `DigestRepository.add`).
   */
  add(addition: DigestAddition, now: Date): Promise<'added' | 'closed' | 'handled'>;
}

/**
 * Adds the notification to the channel's open digest; returns the digest's delivery id, or undefined
 * when the notification was handled already (routed before, into another digest or on its own).
 */
export const collectIntoDigest = async (
  store: DigestStore,
  notification: { deliveryId: string; channelId: string; event: HeraldEvent; digest: DigestSettings },
  now: Date,
): Promise<string | undefined> => {
  const { event, channelId } = notification;
  const period = digestPeriod(notification.digest, now);
  const link = eventLink(event);
  for (let generation = 0; generation < MAX_GENERATIONS; generation += 1) {
    const digest: DigestRecord = {
      digestId: digestIdFor(channelId, period.start, generation),
      channelId,
      periodStart: period.start.toISOString(),
      periodEnd: period.end.toISOString(),
      timezone: notification.digest.timezone ?? 'UTC',
    };
    const added = await store.add(
      {
        digest,
        deliveryId: notification.deliveryId,
        eventId: event.id,
        eventType: event.type,
        entry: {
          eventId: event.id,
          type: event.type,
          source: event.source,
          subject: event.subject,
          severity: event.severity,
          time: event.time,
          deliveryId: notification.deliveryId,
          ...(link === undefined ? {} : { link }),
        },
      },
      now,
    );
    if (added === 'added') return digest.digestId;
    if (added === 'handled') return undefined;
  }
  throw new Error(
    `the digest of channel ${channelId} for ${period.start.toISOString()} was closed ${MAX_GENERATIONS} times`,
  );
};
