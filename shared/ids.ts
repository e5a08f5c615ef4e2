import { createHash } from 'node:crypto';
import { ulid } from 'ulid';

/** A new event id (ULID: sortable by time). */
export const newEventId = (): string => ulid();

/**
 * The delivery id of one event to one channel: derived, so every retry, redrive and duplicate routing
 * of the pair carries the same `webhook-id`. `acceptedAt` separates a reuse of the event id after the
 * idempotency window from the first use.
 */
export const deliveryIdFor = (eventId: string, acceptedAt: string, channelId: string): string =>
  `msg_${createHash('sha256').update(`${eventId}\0${acceptedAt}\0${channelId}`).digest('base64url').slice(0, 27)}`;
