import * as z from 'zod';
import { HttpError } from '../domain/errors.ts';

/** Turns a DynamoDB `LastEvaluatedKey` into an opaque `nextToken`. */
export const encodePageToken = (key: Record<string, unknown> | undefined): string | undefined =>
  key === undefined ? undefined : Buffer.from(JSON.stringify(key)).toString('base64url');

/**
 * Reads a `nextToken` back into the key it came from, checked against the key's shape, so a token
 * that was tampered with is a 400, never a database error.
 */
export const decodePageToken = <T extends Record<string, unknown>>(
  token: string | undefined,
  schema: z.ZodType<T>,
): T | undefined => {
  if (token === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    json = undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new HttpError(400, 'invalid_request', 'nextToken is not valid', [
      { path: 'nextToken', message: 'not a token this list returned' },
    ]);
  }
  return parsed.data;
};

/** The shape of a config-table key of one kind. */
export const configKey = (kind: string) => z.strictObject({ kind: z.literal(kind), id: z.string() });

/**
 * The shape of a key of the state table index a deliveries query reads (see `listDeliveries`): a token
 * from one filter cannot be used with another that reads another index (`status=delivered` reads the
 * index of its channel filter without a status, so their tokens are interchangeable).
 */
export const deliveriesKey = (filter: {
  status?: string;
  channelId?: string;
}): z.ZodType<Record<string, string>> => {
  const key = { pk: z.string(), sk: z.string() };
  // Delivered deliveries are listed from the creation-time indexes (see `listDelivered`).
  if (filter.status === 'delivered') return deliveriesKey({ channelId: filter.channelId });
  if (filter.status !== undefined && filter.channelId !== undefined)
    return z.strictObject({
      ...key,
      statusSk: z.string(),
      byChannelStatus: z.literal(`${filter.channelId}#${filter.status}`),
    });
  if (filter.status !== undefined)
    return z.strictObject({ ...key, statusSk: z.string(), byStatus: z.literal(`status#${filter.status}`) });
  if (filter.channelId !== undefined)
    return z.strictObject({
      ...key,
      gsi1sk: z.string(),
      byChannel: z.literal(`channel#${filter.channelId}`),
    });
  return z.strictObject({ ...key, gsi1sk: z.string(), gsi1pk: z.literal('delivery') });
};

/** The shape of a key of the index a dead-letter query reads (see `listDeadLetters`). */
export const deadLettersKey = (filter: {
  channelId?: string;
  eventType?: string;
}): z.ZodType<Record<string, string>> => {
  const key = { pk: z.string(), sk: z.string(), statusSk: z.string() };
  if (filter.channelId !== undefined)
    return z.strictObject({ ...key, byChannelStatus: z.literal(`${filter.channelId}#dead`) });
  if (filter.eventType !== undefined)
    return z.strictObject({ ...key, byTypeStatus: z.literal(`${filter.eventType}#dead`) });
  return z.strictObject({ ...key, byStatus: z.literal('status#dead') });
};
