import * as z from 'zod';
import { type EventInput, Severity } from '../domain/event.ts';
import { lazySchema } from '../runtime/lazy-schema.ts';

/** The EventBridge event as an SQS target receives it. */
export const EventBridgeEvent = lazySchema(() =>
  z.looseObject({
    version: z.string(),
    id: z.string(),
    'detail-type': z.string(),
    source: z.string(),
    account: z.string(),
    time: z.string(),
    region: z.string(),
    detail: z.unknown(),
  }),
);
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
 * A `detail` is read as a Herald envelope when it carries envelope fields of envelope shape. AWS
 * services' own details sometimes have a field of the same name and another shape (GuardDuty's
 * numeric `severity`): those stay plain `data`, so the event is still routable.
 */
const isEnvelopeDetail = (detail: unknown): detail is Record<string, unknown> => {
  if (!isRecord(detail) || !ENVELOPE_FIELDS.some((field) => field in detail)) return false;
  const { attributes, subject, severity } = detail;
  return (
    (attributes === undefined || isRecord(attributes)) &&
    (subject === undefined || typeof subject === 'string') &&
    (severity === undefined || (typeof severity === 'string' && Severity.safeParse(severity).success))
  );
};

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
  if (isEnvelopeDetail(detail)) {
    const envelope: Record<string, unknown> = { ...base };
    for (const field of ENVELOPE_FIELDS) {
      if (field in detail) envelope[field] = detail[field];
    }
    return envelope;
  }
  return detail === undefined ? base : { ...base, data: detail };
};
