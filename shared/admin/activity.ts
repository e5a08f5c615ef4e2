import * as z from 'zod';
import { decodePageToken, deliveriesKey, encodePageToken } from '../aws/page-token.ts';
import { deliveryIdOf, type StateRepository, statusTimeOf } from '../aws/state-repository.ts';
import { ValidationError } from '../domain/errors.ts';
import { toFieldIssues } from '../domain/issues.ts';
import { lazySchema } from '../runtime/lazy-schema.ts';
import type { AdminRequest } from './request.ts';
import { notFound, pageParams } from './request.ts';

const toAttemptView = (item: Record<string, unknown>) => ({
  attempt: item.attempt,
  at: item.at,
  outcome: item.outcome,
  ...(item.httpStatus === undefined ? {} : { httpStatus: item.httpStatus }),
  latencyMs: item.latencyMs,
  ...(item.error === undefined ? {} : { error: item.error }),
  ...(item.messageId === undefined ? {} : { messageId: item.messageId }),
});

const toDeliveryView = (item: Record<string, unknown>) => ({
  deliveryId: deliveryIdOf(item),
  eventId: item.eventId,
  channelId: item.channelId,
  status: item.status,
  attemptCount: Number(item.attempts ?? 0),
  createdAt: item.createdAt,
  updatedAt: item.updatedAt,
  /** When the delivery took its status: lists filtered by status are newest first by this. */
  ...(statusTimeOf(item) === undefined ? {} : { statusAt: statusTimeOf(item) }),
  ...(item.reason === undefined ? {} : { reason: item.reason }),
  ...digestFields(item),
});

/**
 * What a delivery says about digests: a notification that went into one names it (`digestId`); a
 * digest gives its period.
 */
const digestFields = (item: Record<string, unknown>) => ({
  ...(typeof item.digestId === 'string' ? { digestId: item.digestId } : {}),
  ...(typeof item.periodStart === 'string' && typeof item.periodEnd === 'string'
    ? { period: { start: item.periodStart, end: item.periodEnd } }
    : {}),
});

/** Statuses a delivery can have: `digested` went into a digest; `collecting` is a digest whose period is open. */
export const DELIVERY_STATUSES = [
  'pending',
  'delivered',
  'dead',
  'suppressed',
  'failed',
  'digested',
  'collecting',
] as const;

export const DeliveryQuery = lazySchema(() =>
  z.strictObject({
    status: z.enum(DELIVERY_STATUSES).optional(),
    channel: z.string().min(1).max(63).optional(),
    since: z.iso.datetime({ offset: true, message: 'since must be an RFC 3339 date-time' }).optional(),
    limit: z.string().optional(),
    nextToken: z.string().optional(),
  }),
);

/** Read-only views of what Herald did: an event with its deliveries, recent deliveries. */
export class ActivityAdmin {
  constructor(private readonly state: StateRepository) {}

  /**
   * The event and each delivery with its attempts (SPEC §6); a notification that went into a digest
   * comes with the digest's own delivery (status, period, attempts).
   */
  async event(eventId: string) {
    const item = await this.state.getEvent(eventId);
    if (item === undefined) throw notFound('event', eventId);
    const deliveries = (item.deliveries ?? {}) as Record<string, string>;
    const deliveryView = async (deliveryId: string) => {
      const { delivery, attempts } = await this.state.getDelivery(deliveryId);
      return {
        deliveryId,
        status: String(delivery?.status ?? 'pending'),
        attemptCount: Number(delivery?.attempts ?? 0),
        ...(delivery?.reason === undefined ? {} : { reason: String(delivery.reason) }),
        ...(delivery === undefined ? {} : digestFields(delivery)),
        attempts: attempts.map(toAttemptView),
      };
    };
    const views = await Promise.all(
      Object.entries(deliveries).map(async ([channelId, deliveryId]) => {
        const { deliveryId: _id, ...view } = await deliveryView(deliveryId);
        const digest = view.digestId === undefined ? undefined : await deliveryView(view.digestId);
        return { deliveryId, channelId, ...view, ...(digest === undefined ? {} : { digest }) };
      }),
    );
    return {
      event: JSON.parse(String(item.payload)) as unknown,
      status: item.status,
      acceptedAt: item.acceptedAt,
      deliveries: views,
    };
  }

  /** Recent deliveries, newest first, filtered by status, channel and start time. */
  async deliveries(request: AdminRequest) {
    const parsed = DeliveryQuery.safeParse(request.query);
    if (!parsed.success) {
      throw new ValidationError('invalid_request', 'the query is not valid', toFieldIssues(parsed.error));
    }
    const { limit, nextToken } = pageParams(request);
    const { status, channel, since } = parsed.data;
    const startKey = decodePageToken(nextToken, deliveriesKey({ status, channelId: channel }));
    const page = await this.state.listDeliveries({
      limit,
      ...(status === undefined ? {} : { status }),
      ...(channel === undefined ? {} : { channelId: channel }),
      ...(since === undefined ? {} : { since: new Date(since).toISOString() }),
      ...(startKey === undefined ? {} : { startKey }),
    });
    return {
      items: page.items.map(toDeliveryView),
      ...(page.lastKey === undefined ? {} : { nextToken: encodePageToken(page.lastKey) }),
    };
  }
}
