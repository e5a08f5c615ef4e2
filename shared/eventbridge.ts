import * as z from 'zod';
import type { EventInput } from './event.ts';

/** The EventBridge event as an SQS target receives it. */
export const EventBridgeEvent = z.looseObject({
  version: z.string(),
  id: z.string(),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  detail: z.unknown(),
});
export type EventBridgeEvent = z.infer<typeof EventBridgeEvent>;

const ENVELOPE_FIELDS = ['attributes', 'subject', 'severity', 'data'] as const;

/**
 * EventBridge names are free text (`EC2 Instance State-change Notification`); Herald names are
 * `[a-z0-9][a-z0-9._:-]{0,127}`. Lower-case, and turn each run of other characters into `_`.
 */
export const toHeraldName = (value: string): string =>
  value
    .toLowerCase()
    .replace(/[^a-z0-9._:-]+/g, '_')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 128);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Maps an EventBridge event to a Herald envelope (SPEC §2): `source`, `detail-type`, `time` and `id`
 * map to `source`, `type`, `time` and `id`; a `detail` carrying Herald envelope fields is read as an
 * envelope, any other `detail` becomes `data`. `source` and `detail-type` are made into Herald names with {@link toHeraldName}. The result
 * still has to pass the `EventInput` schema.
 */
export const fromEventBridge = (event: EventBridgeEvent): EventInput | Record<string, unknown> => {
  const base = {
    id: event.id,
    type: toHeraldName(event['detail-type']),
    source: toHeraldName(event.source),
    time: event.time,
  };
  const { detail } = event;
  if (isRecord(detail) && ENVELOPE_FIELDS.some((field) => field in detail)) {
    const envelope: Record<string, unknown> = { ...base };
    for (const field of ENVELOPE_FIELDS) {
      if (field in detail) envelope[field] = detail[field];
    }
    return envelope;
  }
  return detail === undefined ? base : { ...base, data: detail };
};
