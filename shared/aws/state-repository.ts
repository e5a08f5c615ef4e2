import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { HeraldEvent } from '../domain/event.ts';

/** The state table's index of deliveries by creation time (`gsi1pk` = `delivery`, `gsi1sk` = time#id). */
export const DELIVERIES_BY_TIME_INDEX = 'byTime';

/**
 * Indexes that list deliveries newest first under a filter, so every filtered page is full: by status
 * (`byStatus` = `status#<status>`), by channel (`byChannel` = `channel#<id>`), and by both
 * (`byChannelStatus` = `<channel id>#<status>`); each sorts on `gsi1sk` (creation time, then id).
 */
export const DELIVERY_INDEXES = {
  status: 'byStatus',
  channel: 'byChannel',
  channelStatus: 'byChannelStatus',
} as const;

/** A delivery and the channel it goes to (the filtered indexes need both). */
export interface DeliveryRef {
  readonly deliveryId: string;
  readonly channelId: string;
}

/** The index keys a delivery's status puts it under. */
const statusKeys = (channelId: string, status: DeliveryStatus) => ({
  ':byStatus': `status#${status}`,
  ':byChannelStatus': `${channelId}#${status}`,
});

/** Same event id within this window: acknowledged as a duplicate, not processed (SPEC §1). */
export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60;

export type EventStatus = 'accepted' | 'routed';
export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'suppressed';

export interface EventClaim {
  /** True when this call recorded the event (it was not seen within the idempotency window). */
  readonly created: boolean;
  readonly status: EventStatus;
  readonly acceptedAt: string;
}

export interface AttemptRecord {
  readonly deliveryId: string;
  /** Attempt number within the current round (a redrive starts a new round). */
  readonly attempt: number;
  /** Position in the delivery's whole history: never reset, so no attempt record is overwritten. */
  readonly seq: number;
  readonly at: string;
  readonly outcome: string;
  readonly httpStatus?: number;
  readonly latencyMs: number;
  readonly error?: string;
}

/**
 * How long one attempt holds its delivery: a second copy of the job (SQS delivers at least once) waits
 * instead of sending in parallel. Longer than the deliver function's timeout, shorter than the delivery
 * queue's visibility timeout, so a crashed attempt never blocks the next receive.
 */
export const ATTEMPT_LEASE_SECONDS = 120;

/** What starting an attempt came to. */
export type AttemptStart =
  /** `attempt` counts this round (for the retry schedule); `seq` the delivery's whole history. */
  | { readonly kind: 'started'; readonly attempt: number; readonly seq: number }
  | { readonly kind: 'delivered' }
  /** Dead-lettered: only a redrive starts it again. */
  | { readonly kind: 'dead' }
  /** Another copy of the job holds the lease, or the next attempt is not due yet. */
  | { readonly kind: 'busy'; readonly retryInSeconds: number };

const epoch = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * Event idempotency, delivery state and attempts in the state table (`pk`, `sk`, TTL on `expiresAt`).
 * Nothing is keyed on an SQS message id: redrive changes it.
 */
export class StateRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionSeconds: number,
  ) {}

  /**
   * Records an event unless the same id was accepted within the idempotency window. Returns the
   * existing claim otherwise.
   */
  async claimEvent(event: HeraldEvent, now: Date): Promise<EventClaim> {
    const acceptedAt = now.toISOString();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `event#${event.id}`,
            sk: 'event',
            status: 'accepted',
            acceptedAt,
            acceptedEpoch: epoch(now),
            type: event.type,
            source: event.source,
            payload: JSON.stringify(event),
            expiresAt: epoch(now) + Math.max(this.retentionSeconds, IDEMPOTENCY_WINDOW_SECONDS),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR acceptedEpoch < :cutoff',
          ExpressionAttributeValues: { ':cutoff': epoch(now) - IDEMPOTENCY_WINDOW_SECONDS },
        }),
      );
      return { created: true, status: 'accepted', acceptedAt };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `event#${event.id}`, sk: 'event' },
        ConsistentRead: true,
      }),
    );
    const item = existing.Item ?? {};
    return {
      created: false,
      status: item.status === 'routed' ? 'routed' : 'accepted',
      acceptedAt: typeof item.acceptedAt === 'string' ? item.acceptedAt : acceptedAt,
    };
  }

  /** Forgets a claim whose event could not be queued, so that the producer's retry is not a duplicate. */
  async releaseEvent(eventId: string): Promise<void> {
    await this.db.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: `event#${eventId}`, sk: 'event' } }),
    );
  }

  /** Marks an event routed (a later copy of it is a duplicate), with each channel's delivery id. */
  async markRouted(eventId: string, deliveries: Readonly<Record<string, string>>): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `event#${eventId}`, sk: 'event' },
        UpdateExpression: 'SET #status = :routed, deliveries = :deliveries',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':routed': 'routed', ':deliveries': deliveries },
      }),
    );
  }

  /** The stored event record, if it is still retained. */
  async getEvent(eventId: string): Promise<Record<string, unknown> | undefined> {
    const result = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `event#${eventId}`, sk: 'event' },
        ConsistentRead: true,
      }),
    );
    return result.Item;
  }

  /** A delivery's record and its attempts, in order. */
  async getDelivery(
    deliveryId: string,
  ): Promise<{ delivery?: Record<string, unknown>; attempts: Record<string, unknown>[] }> {
    const items: Record<string, unknown>[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `delivery#${deliveryId}` },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    const delivery = items.find((item) => item.sk === 'delivery');
    const attempts = items.filter((item) => String(item.sk).startsWith('attempt#'));
    return delivery === undefined ? { attempts } : { delivery, attempts };
  }

  /**
   * Recent deliveries, newest first, optionally since a time, by status and/or channel: each filter
   * reads its own index, so every page is full. Returns the page and the key to continue from.
   */
  async listDeliveries(query: {
    status?: DeliveryStatus;
    channelId?: string;
    since?: string;
    limit: number;
    startKey?: Record<string, unknown>;
  }): Promise<{ items: Record<string, unknown>[]; lastKey?: Record<string, unknown> }> {
    const { status, channelId } = query;
    const [indexName, partitionName, partition] =
      status !== undefined && channelId !== undefined
        ? [DELIVERY_INDEXES.channelStatus, 'byChannelStatus', `${channelId}#${status}`]
        : status !== undefined
          ? [DELIVERY_INDEXES.status, 'byStatus', `status#${status}`]
          : channelId !== undefined
            ? [DELIVERY_INDEXES.channel, 'byChannel', `channel#${channelId}`]
            : [DELIVERIES_BY_TIME_INDEX, 'gsi1pk', 'delivery'];
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: indexName,
        KeyConditionExpression: `${partitionName} = :partition${query.since === undefined ? '' : ' AND gsi1sk >= :since'}`,
        ExpressionAttributeValues: {
          ':partition': partition,
          ...(query.since === undefined ? {} : { ':since': query.since }),
        },
        ScanIndexForward: false,
        Limit: query.limit,
        ...(query.startKey === undefined ? {} : { ExclusiveStartKey: query.startKey }),
      }),
    );
    return result.LastEvaluatedKey === undefined
      ? { items: result.Items ?? [] }
      : { items: result.Items ?? [], lastKey: result.LastEvaluatedKey };
  }

  /**
   * Gets a dead delivery ready to be sent again: pending, a new round of attempts (the schedule starts
   * over; attempt numbers go on from the history). Returns false when it was delivered meanwhile (it is
   * then not sent again).
   */
  async resetForRedrive(delivery: DeliveryRef, now: Date): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `delivery#${delivery.deliveryId}`, sk: 'delivery' },
          UpdateExpression:
            'SET #status = :pending, byStatus = :byStatus, byChannelStatus = :byChannelStatus, attempts = :zero, updatedAt = :now REMOVE reason, notBefore',
          ConditionExpression: 'attribute_not_exists(#status) OR #status <> :delivered',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ...statusKeys(delivery.channelId, 'pending'),
            ':zero': 0,
            ':delivered': 'delivered',
            ':now': now.toISOString(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Starts an attempt: counts it (within the round and in the whole history) and takes the delivery's
   * lease. One delivery has one attempt chain, whatever copies of its job exist: a delivery delivered or
   * dead is not attempted again (a redrive starts a new round), and one whose lease another copy holds,
   * or whose next attempt is not due yet (`notBefore`), is `busy` until then.
   */
  async beginAttempt(
    deliveryId: string,
    refs: { eventId: string; channelId: string },
    now: Date,
  ): Promise<AttemptStart> {
    const key = { pk: `delivery#${deliveryId}`, sk: 'delivery' };
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression:
            'ADD attempts :one, seq :one SET eventId = :eventId, channelId = :channelId, #status = if_not_exists(#status, :pending), byStatus = if_not_exists(byStatus, :byStatus), byChannel = :byChannel, byChannelStatus = if_not_exists(byChannelStatus, :byChannelStatus), createdAt = if_not_exists(createdAt, :now), gsi1pk = :gsi1pk, gsi1sk = if_not_exists(gsi1sk, :gsi1sk), updatedAt = :now, expiresAt = :expires, leaseUntil = :leaseUntil',
          ConditionExpression:
            '(attribute_not_exists(#status) OR (#status <> :delivered AND #status <> :dead)) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :nowEpoch) AND (attribute_not_exists(notBefore) OR notBefore <= :nowEpoch)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':eventId': refs.eventId,
            ':channelId': refs.channelId,
            ':pending': 'pending',
            ':delivered': 'delivered',
            ':dead': 'dead',
            ':now': now.toISOString(),
            ':nowEpoch': epoch(now),
            ':leaseUntil': epoch(now) + ATTEMPT_LEASE_SECONDS,
            ':expires': epoch(now) + this.retentionSeconds,
            ':gsi1pk': 'delivery',
            ':gsi1sk': `${now.toISOString()}#${deliveryId}`,
            ':byChannel': `channel#${refs.channelId}`,
            ...statusKeys(refs.channelId, 'pending'),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return {
        kind: 'started',
        attempt: Number(result.Attributes?.attempts ?? 1),
        seq: Number(result.Attributes?.seq ?? 1),
      };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const current = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    if (current.Item?.status === 'delivered') return { kind: 'delivered' };
    if (current.Item?.status === 'dead') return { kind: 'dead' };
    const until = Math.max(Number(current.Item?.leaseUntil ?? 0), Number(current.Item?.notBefore ?? 0));
    return { kind: 'busy', retryInSeconds: Math.max(1, until - epoch(now) + 1) };
  }

  /**
   * Claims the `dedupWindow` slot of (channel, fingerprint) for a delivery: true when the slot was free
   * (or expired, or already this delivery's, as on a router retry), false when another delivery holds it.
   */
  async claimDedup(
    slot: { channelId: string; fingerprint: string; windowSeconds: number; deliveryId: string },
    now: Date,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `dedup#${slot.channelId}#${slot.fingerprint}`,
            sk: 'dedup',
            deliveryId: slot.deliveryId,
            expiresAt: epoch(now) + Math.ceil(slot.windowSeconds),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR deliveryId = :me',
          ExpressionAttributeValues: { ':now': epoch(now), ':me': slot.deliveryId },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Records a delivery that `dedupWindow` suppressed (listed like any other delivery). */
  async recordSuppressed(
    delivery: { deliveryId: string; eventId: string; channelId: string },
    now: Date,
  ): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `delivery#${delivery.deliveryId}`,
          sk: 'delivery',
          eventId: delivery.eventId,
          channelId: delivery.channelId,
          status: 'suppressed',
          reason: 'the same notification was sent to this channel within the policy dedupWindow',
          attempts: 0,
          createdAt: now.toISOString(),
          updatedAt: now.toISOString(),
          gsi1pk: 'delivery',
          gsi1sk: `${now.toISOString()}#${delivery.deliveryId}`,
          byStatus: 'status#suppressed',
          byChannel: `channel#${delivery.channelId}`,
          byChannelStatus: `${delivery.channelId}#suppressed`,
          expiresAt: epoch(now) + this.retentionSeconds,
        },
      }),
    );
  }

  /**
   * Gives up the delivery's lease after an attempt that will be retried, and sets when the next one is
   * due: no copy of the job attempts it earlier.
   */
  async scheduleNext(deliveryId: string, notBefore: Date): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `delivery#${deliveryId}`, sk: 'delivery' },
        UpdateExpression: 'SET notBefore = :notBefore REMOVE leaseUntil',
        ExpressionAttributeValues: { ':notBefore': epoch(notBefore) },
      }),
    );
  }

  /** Records one attempt (readable later through the admin API). */
  async recordAttempt(attempt: AttemptRecord, now: Date): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `delivery#${attempt.deliveryId}`,
          sk: `attempt#${String(attempt.seq).padStart(4, '0')}`,
          ...attempt,
          expiresAt: epoch(now) + this.retentionSeconds,
        },
      }),
    );
  }

  /**
   * Marks a delivery delivered. Returns false when it already was: a pair is never recorded delivered
   * twice.
   */
  async markDelivered(delivery: DeliveryRef, now: Date): Promise<boolean> {
    return this.finish(delivery, 'delivered', now);
  }

  /** Marks a delivery dead (it is in the dead-letter queue) with the reason. */
  async markDead(delivery: DeliveryRef, reason: string, now: Date): Promise<void> {
    await this.finish(delivery, 'dead', now, reason);
  }

  private async finish(
    { deliveryId, channelId }: DeliveryRef,
    status: DeliveryStatus,
    now: Date,
    reason?: string,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `delivery#${deliveryId}`, sk: 'delivery' },
          UpdateExpression: `SET #status = :status, byStatus = :byStatus, byChannelStatus = :byChannelStatus, updatedAt = :now${reason === undefined ? '' : ', reason = :reason'} REMOVE leaseUntil`,
          ConditionExpression: '#status <> :delivered',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': status,
            ...statusKeys(channelId, status),
            ':delivered': 'delivered',
            ':now': now.toISOString(),
            ...(reason === undefined ? {} : { ':reason': reason }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
