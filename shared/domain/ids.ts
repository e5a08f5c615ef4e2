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

/** JSON with object keys sorted at every level, so equal values serialize equally. */
const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/** What `dedupWindow` compares (SPEC §4): the same type, attributes and data. */
export const dedupFingerprint = (event: { type: string; attributes: unknown; data?: unknown }): string =>
  createHash('sha256')
    .update(canonicalJson({ type: event.type, attributes: event.attributes, data: event.data ?? null }))
    .digest('base64url');
