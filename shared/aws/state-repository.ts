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
import * as z from 'zod';
import type { HeraldEvent } from '../domain/event.ts';
import { lazySchema } from '../runtime/lazy-schema.ts';
import { batchGetAll } from './batch-get.ts';
import { INDEX_SHARDS, mergeNewestFirst, partitionsOf, shardOf, TIME_KEY } from './index-shards.ts';
import { STATE_PREFIXES } from './partitions.ts';

/**
 * The state table's index of deliveries by creation time (`gsi1pk` = `delivery#<shard>`, see
 * `time-partitions.ts`; `gsi1sk` = time#id).
 */
export const DELIVERIES_BY_TIME_INDEX = 'byTime';

/**
 * Indexes that list deliveries newest first under a filter, so every filtered page is full. By channel
 * (`byChannel` = `channel#<id>`) sorts on `gsi1sk` (creation time, then id), like `byTime`. The status
 * indexes sort on `statusSk` (when the delivery took its status, then id), so "dead since" reads straight
 * off them: by status (`byStatus` = `status#<status>`), by channel and status
 * (`byChannelStatus` = `<channel id>#<status>`), and dead letters by event type (`byTypeStatus` =
 * `<event type>#dead`, on dead deliveries only). Every one of these keys is written at delivery rates,
 * so each is sharded (`<key>#<0..15>` by a hash of the delivery id, see `index-shards.ts`) and every
 * listing merges 17 partitions (the shards and the unsharded key from before them).
 *
 * What keeps a delivery's writes cheap (each index entry written is a write unit of its own): the
 * indexes hold keys (and the status indexes the channel and event type, which never change), not the
 * record, so an attempt that changes only counts and times writes no index; a delivery enters the
 * status indexes when it takes a status other than its first attempt's `pending`: dead, suppressed,
 * failed, or waiting for a retry. A delivered delivery is in `byTime` and `byChannel` only (it leaves
 * the status indexes, and one delivered at its first attempt never enters them): delivered is the
 * status nearly every delivery ends in, and most listings are not of it, so "delivered" is listed from
 * the creation-time indexes, keeping the records that are delivered. Lists read the records by key
 * after the index.
 */
export const DELIVERY_INDEXES = {
  status: 'byStatus',
  channel: 'byChannel',
  channelStatus: 'byChannelStatus',
  typeStatus: 'byTypeStatus',
} as const;

/** A delivery, its channel and its event type (the filtered indexes need all three). */
export interface DeliveryRef {
  readonly deliveryId: string;
  readonly channelId: string;
  readonly eventType: string;
}

/**
 * A first attempt begun without a write (see {@link StateRepository.beginAttempt}): the write that
 * records its outcome creates the delivery's record, counting the attempt.
 */
export interface UnrecordedStart {
  readonly eventId: string;
  /** When the attempt began (the delivery's creation time). */
  readonly startedAt: Date;
  /**
   * False when no attempt was made (a job dead-lettered for crashing its function on every receive):
   * the record is created, its attempts not counted. @default true
   */
  readonly attempted?: boolean;
}

/** The delivery id of a delivery record (its key is the delivery prefix and the id). */
export const deliveryIdOf = (item: Record<string, unknown>): string =>
  String(item.pk).slice(STATE_PREFIXES.delivery.length);

/** The delivery, channel and event type a delivery record stands for. */
export const deliveryRefOf = (item: Record<string, unknown>): DeliveryRef => ({
  deliveryId: deliveryIdOf(item),
  channelId: String(item.channelId),
  eventType: String(item.eventType),
});

/** When a delivery record took its status (ISO time), read from its status sort key. */
export const statusTimeOf = (item: Record<string, unknown>): string | undefined =>
  typeof item.statusSk === 'string' ? item.statusSk.split('#')[0] : undefined;

/**
 * A listing of one sharded index key (see `index-shards.ts`): the index, its partition and sort
 * attributes, and the key whose partitions it merges.
 */
interface ShardedListing {
  readonly indexName: string;
  readonly partitionName: 'gsi1pk' | 'byStatus' | 'byChannel' | 'byChannelStatus' | 'byTypeStatus';
  readonly sortName: 'gsi1sk' | 'statusSk';
  readonly key: string;
  /** Entries of the partitions that are kept (a filter on the projected attributes), if not all. */
  readonly filter?: { readonly expression: string; readonly values: Record<string, unknown> };
}

/** Every delivery by creation time. */
const BY_TIME: ShardedListing = {
  indexName: DELIVERIES_BY_TIME_INDEX,
  partitionName: 'gsi1pk',
  sortName: 'gsi1sk',
  key: TIME_KEY,
};

/** Every delivery of a status, by when it took it. */
const byStatusListing = (status: DeliveryStatus): ShardedListing => ({
  indexName: DELIVERY_INDEXES.status,
  partitionName: 'byStatus',
  sortName: 'statusSk',
  key: `status#${status}`,
});

/** One channel's deliveries by creation time. */
const byChannelListing = (channelId: string): ShardedListing => ({
  indexName: DELIVERY_INDEXES.channel,
  partitionName: 'byChannel',
  sortName: 'gsi1sk',
  key: `channel#${channelId}`,
});

/** One channel's deliveries of a status, by when they took it. */
const byChannelStatusListing = (channelId: string, status: DeliveryStatus): ShardedListing => ({
  indexName: DELIVERY_INDEXES.channelStatus,
  partitionName: 'byChannelStatus',
  sortName: 'statusSk',
  key: `${channelId}#${status}`,
});

/** Dead deliveries of an event type, by when they died. */
const deadByTypeListing = (eventType: string): ShardedListing => ({
  indexName: DELIVERY_INDEXES.typeStatus,
  partitionName: 'byTypeStatus',
  sortName: 'statusSk',
  key: deadByTypeKey(eventType),
});

/**
 * The page-token key of an entry of a sharded listing: every partition is read from the entry's sort
 * key on, so the key names the unsharded key whichever shard the entry is in (tokens from before the
 * shards stay valid).
 */
const shardedKeyOf =
  (listing: ShardedListing) =>
  (entry: Record<string, unknown>): Record<string, unknown> => ({
    pk: entry.pk,
    sk: entry.sk,
    [listing.sortName]: entry[listing.sortName],
    [listing.partitionName]: listing.key,
  });

/** The sort key a page token left off at. */
const sortKeyOf = (listing: ShardedListing, key: Record<string, unknown> | undefined): string | undefined => {
  const value = key?.[listing.sortName];
  return typeof value === 'string' ? value : undefined;
};

/** The index keys a delivery's status puts it under, from `at` on. */
const statusKeys = (ref: DeliveryRef, status: DeliveryStatus, at: Date) => ({
  ':byStatus': shardOf(`status#${status}`, ref.deliveryId),
  ':byChannelStatus': shardOf(`${ref.channelId}#${status}`, ref.deliveryId),
  ':statusSk': `${at.toISOString()}#${ref.deliveryId}`,
});
const SET_STATUS_KEYS = 'byStatus = :byStatus, byChannelStatus = :byChannelStatus, statusSk = :statusSk';
/**
 * What creates the record of a delivery whose first attempt wrote none (`unrecorded`), beside the
 * write of its outcome: the attempt counted, its creation time, event and the creation-time indexes.
 */
const creation = (
  ref: DeliveryRef,
  unrecorded: UnrecordedStart | undefined,
  expiresAt: number,
): { set: string; add: string; values: Record<string, unknown> } => {
  if (unrecorded === undefined) return { set: '', add: '', values: {} };
  const createdAt = unrecorded.startedAt.toISOString();
  return {
    set: ', eventId = :eventId, createdAt = if_not_exists(createdAt, :createdAt), gsi1pk = :gsi1pk, gsi1sk = if_not_exists(gsi1sk, :gsi1sk), byChannel = :byChannel, expiresAt = :expires',
    add: unrecorded.attempted === false ? '' : ' ADD attempts :one, seq :one',
    values: {
      ':eventId': unrecorded.eventId,
      ':createdAt': createdAt,
      ':gsi1pk': shardOf(TIME_KEY, ref.deliveryId),
      ':gsi1sk': `${createdAt}#${ref.deliveryId}`,
      ':byChannel': shardOf(`channel#${ref.channelId}`, ref.deliveryId),
      ':expires': expiresAt,
      ...(unrecorded.attempted === false ? {} : { ':one': 1 }),
    },
  };
};

/** The dead letters by event type: only dead deliveries are in that index. */
const deadByTypeKey = (eventType: string) => `${eventType}#dead`;

/** A dead delivery as the dead-letter views list it. */
export interface DeadLetterQuery {
  readonly channelId?: string;
  readonly eventType?: string;
  /** Dead since this ISO time. */
  readonly since?: string;
  /** Dead before this ISO time (exclusive): a redrive never picks up what died after it began. */
  readonly before?: string;
  readonly limit: number;
  readonly startKey?: Record<string, unknown>;
}

/** How long a redrive's progress stays readable. */
export const REDRIVE_RETENTION_SECONDS = 7 * 24 * 60 * 60;

/**
 * A redrive of every dead delivery matching a filter, run page by page (in the background once it
 * outlasts the admin request): the dead letters older than `before`, the most recently dead first;
 * `cursor` is where the next page starts (exclusive).
 */
export const RedriveTask = lazySchema(() =>
  z.object({
    id: z.string(),
    channelId: z.string().optional(),
    eventType: z.string().optional(),
    before: z.string(),
    cursor: z.string().optional(),
    status: z.enum(['running', 'done']),
    redriven: z.number(),
    skipped: z.number(),
    startedAt: z.string(),
    updatedAt: z.string(),
  }),
);
export type RedriveTask = z.infer<typeof RedriveTask>;

/** Dead letters counted per channel read at most this many records (the rest is reported as truncated). */
export const MAX_COUNTED_DEAD_LETTERS = 20_000;

/** How many index entries a filtered listing reads from a partition at a time. */
const FILTERED_READ = 50;

/** A listing of delivered deliveries, or the search for a channel's last success, reads at most this many. */
export const MAX_EXAMINED_DELIVERIES = 1_000;

/** How long before an auto-disable window the search for the channel's last success starts. */
const SUCCESS_LOOKBACK_SECONDS = 24 * 60 * 60;

/** Same event id within this window: acknowledged as a duplicate, not processed (SPEC §1). */
export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60;

export type EventStatus = 'accepted' | 'routed';
/**
 * `failed` is a test-send that did not get through: never retried, never a dead letter. `digested`
 * went into a digest (`digestId`); `collecting` is a digest whose period is still open (see
 * `digest-repository.ts`).
 */
export type DeliveryStatus =
  | 'pending'
  | 'delivered'
  | 'dead'
  | 'suppressed'
  | 'failed'
  | 'digested'
  | 'collecting';

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
  /** The id the service gave what was sent (SNS and SQS `MessageId`, EventBridge `EventId`). */
  readonly messageId?: string;
}

/**
 * How long one attempt holds its delivery: a second copy of the job (SQS delivers at least once) waits
 * instead of sending in parallel. Longer than the deliver function's timeout, shorter than the delivery
 * queue's visibility timeout, so a crashed attempt never blocks the next receive.
 */
export const ATTEMPT_LEASE_SECONDS = 120;

/** What starting an attempt came to. */
export type AttemptStart =
  /**
   * `attempt` counts this round (for the retry schedule); `seq` the delivery's whole history. `fresh`:
   * the delivery has no record yet and none was written: the outcome's write creates it.
   */
  | { readonly kind: 'started'; readonly attempt: number; readonly seq: number; readonly fresh?: true }
  | { readonly kind: 'delivered' }
  /** Dead-lettered: only a redrive starts it again. */
  | { readonly kind: 'dead' }
  /** Another copy of the job holds the lease, or the next attempt is not due yet. */
  | { readonly kind: 'busy'; readonly retryInSeconds: number };

const epoch = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * What a delivery's record says about starting an attempt now, when it rules one out: delivered (or
 * digested: a job for a notification that went into a digest ends as one already delivered, the digest
 * carries it), dead, or busy while another copy holds the lease or the next attempt is not due.
 */
const heldStart = (item: Record<string, unknown>, now: Date): AttemptStart | undefined => {
  if (item.status === 'delivered' || item.status === 'digested') return { kind: 'delivered' };
  if (item.status === 'dead') return { kind: 'dead' };
  const leaseUntil = Number(item.leaseUntil ?? 0);
  const notBefore = Number(item.notBefore ?? 0);
  if (leaseUntil < epoch(now) && notBefore <= epoch(now)) return undefined;
  return { kind: 'busy', retryInSeconds: Math.max(1, Math.max(leaseUntil, notBefore) - epoch(now) + 1) };
};

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
            pk: `${STATE_PREFIXES.event}${event.id}`,
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
    return (await this.findClaim(event.id, now)) ?? { created: false, status: 'accepted', acceptedAt };
  }

  /** An event's claim as it stands, if there is one within the idempotency window. */
  async findClaim(eventId: string, now: Date): Promise<EventClaim | undefined> {
    const existing = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `${STATE_PREFIXES.event}${eventId}`, sk: 'event' },
        ConsistentRead: true,
      }),
    );
    const item = existing.Item;
    if (item === undefined || typeof item.acceptedAt !== 'string') return undefined;
    if (Number(item.acceptedEpoch ?? 0) < epoch(now) - IDEMPOTENCY_WINDOW_SECONDS) return undefined;
    return {
      created: false,
      status: item.status === 'routed' ? 'routed' : 'accepted',
      acceptedAt: item.acceptedAt,
    };
  }

  /** Forgets a claim whose event could not be queued, so that the producer's retry is not a duplicate. */
  async releaseEvent(eventId: string): Promise<void> {
    await this.db.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: `${STATE_PREFIXES.event}${eventId}`, sk: 'event' },
      }),
    );
  }

  /** Marks an event routed (a later copy of it is a duplicate), with each channel's delivery id. */
  async markRouted(eventId: string, deliveries: Readonly<Record<string, string>>): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `${STATE_PREFIXES.event}${eventId}`, sk: 'event' },
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
        Key: { pk: `${STATE_PREFIXES.event}${eventId}`, sk: 'event' },
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
        ExpressionAttributeValues: { ':pk': `${STATE_PREFIXES.delivery}${deliveryId}` },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    const record = items.find((item) => item.sk === 'delivery');
    const attempts = items.filter((item) => String(item.sk).startsWith('attempt#'));
    if (record === undefined) return { attempts };
    // The attempt that delivered it is kept in the record (one write fewer per delivery).
    const { deliveredAttempt, ...delivery } = record;
    const kept = deliveredAttempt as Record<string, unknown> | undefined;
    // (Two copies of a first attempt both number it 1: the delivered one is listed beside a failed one.)
    const listed = (attempt: Record<string, unknown>) =>
      attempt.seq === kept?.seq && attempt.outcome === kept?.outcome;
    if (kept !== undefined && !attempts.some(listed)) attempts.push(kept);
    return { delivery, attempts };
  }

  /**
   * Recent deliveries, newest first, optionally since a time, by status and/or channel: each filter
   * reads its own index, so every page is full. Without a status, "newest" and `since` are about when
   * the delivery was created; with one, about when it took that status. Returns the page and the key
   * to continue from.
   */
  async listDeliveries(query: {
    status?: DeliveryStatus;
    channelId?: string;
    since?: string;
    limit: number;
    startKey?: Record<string, unknown>;
  }): Promise<{ items: Record<string, unknown>[]; lastKey?: Record<string, unknown> }> {
    const { status, channelId } = query;
    if (status === 'delivered') return this.listDelivered({ ...query, channelId });
    const listing =
      channelId === undefined
        ? status === undefined
          ? BY_TIME
          : byStatusListing(status)
        : status === undefined
          ? byChannelListing(channelId)
          : byChannelStatusListing(channelId, status);
    return this.listSharded(listing, query);
  }

  /**
   * A sharded listing's deliveries, newest first, since and before a time: its partitions merged (a page
   * reads each of them once or so, a few keys at a time, and then only the records it returns).
   */
  private async listSharded(
    listing: ShardedListing,
    query: { since?: string; before?: string; limit: number; startKey?: Record<string, unknown> },
  ): Promise<{ items: Record<string, unknown>[]; lastKey?: Record<string, unknown> }> {
    const upper = sortKeyOf(listing, query.startKey) ?? query.before;
    const entries: Record<string, unknown>[] = [];
    let more = false;
    for await (const entry of this.shardedEntries(listing, query.since, upper, query.limit)) {
      if (entries.length === query.limit) {
        more = true;
        break;
      }
      entries.push(entry);
    }
    const items = await this.records(entries);
    const last = entries.at(-1);
    return more && last !== undefined ? { items, lastKey: shardedKeyOf(listing)(last) } : { items };
  }

  /**
   * Delivered deliveries, newest first (by creation: delivered ones are in no status index), optionally
   * of one channel and since a time: the creation-time index read on, keeping the records that are
   * delivered, until the page is full or {@link MAX_EXAMINED_DELIVERIES} were read (a short page then
   * comes with the key to go on from).
   */
  private async listDelivered(query: {
    channelId?: string;
    since?: string;
    limit: number;
    startKey?: Record<string, unknown>;
  }): Promise<{ items: Record<string, unknown>[]; lastKey?: Record<string, unknown> }> {
    const items: Record<string, unknown>[] = [];
    let examined = 0;
    // Most deliveries are delivered: pages a little larger than asked for are usually enough.
    const pageSize = Math.min(100, Math.max(10, 2 * query.limit));
    for await (const { record, key } of this.byCreation(
      query.channelId,
      query.since,
      query.startKey,
      pageSize,
    )) {
      examined += 1;
      if (record?.status === 'delivered') items.push(record);
      if (items.length >= query.limit || examined >= MAX_EXAMINED_DELIVERIES) return { items, lastKey: key };
    }
    return { items };
  }

  /**
   * Deliveries (all, or one channel's) newest first by creation, each with its record (undefined when
   * it expired meanwhile) and its index key, read `pageSize` at a time.
   */
  private async *byCreation(
    channelId: string | undefined,
    since: string | undefined,
    startKey: Record<string, unknown> | undefined,
    pageSize: number,
  ): AsyncGenerator<{ record?: Record<string, unknown>; key: Record<string, unknown> }> {
    const listing = channelId === undefined ? BY_TIME : byChannelListing(channelId);
    const entries = this.shardedEntries(listing, since, sortKeyOf(listing, startKey), pageSize);
    const keyOf = shardedKeyOf(listing);
    const withRecords = async (read: readonly Record<string, unknown>[]) => {
      const found = new Map((await this.records(read)).map((record) => [String(record.pk), record]));
      return read.map((entry) => ({ record: found.get(String(entry.pk)), key: keyOf(entry) }));
    };
    let page: Record<string, unknown>[] = [];
    for await (const entry of entries) {
      page.push(entry);
      if (page.length < pageSize) continue;
      yield* await withRecords(page);
      page = [];
    }
    if (page.length > 0) yield* await withRecords(page);
  }

  /**
   * Entries of a sharded listing, newest first across its partitions (see `index-shards.ts`): since a
   * time (inclusive) and before a sort key (exclusive: where a page token left off).
   */
  private shardedEntries(
    listing: ShardedListing,
    since: string | undefined,
    before: string | undefined,
    pageSize: number,
  ): AsyncGenerator<Record<string, unknown>> {
    const { indexName, partitionName, sortName, filter } = listing;
    // Entries spread evenly over the shards: a page of `pageSize` takes about 1/16 of it from each, so
    // each is read a little over that at a time (the merge reads a shard again when it runs out).
    const perPartition = Math.min(pageSize, Math.max(8, 2 * Math.ceil(pageSize / INDEX_SHARDS)));
    return mergeNewestFirst(
      partitionsOf(listing.key),
      async (partition, after) => {
        const upper = after ?? before;
        // (A token from a listing with an earlier `since` may start below this one's: nothing then.)
        if (since !== undefined && upper !== undefined && upper < since) return { items: [], more: false };
        // A key condition has one range: `since` and `upper` together are BETWEEN (inclusive), and the
        // entry at `upper` itself, already listed, is dropped.
        const range =
          since !== undefined && upper !== undefined
            ? ` AND ${sortName} BETWEEN :since AND :upper`
            : since !== undefined
              ? ` AND ${sortName} >= :since`
              : upper !== undefined
                ? ` AND ${sortName} < :upper`
                : '';
        const result = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: indexName,
            KeyConditionExpression: `${partitionName} = :partition${range}`,
            ...(filter === undefined ? {} : { FilterExpression: filter.expression }),
            ExpressionAttributeValues: {
              ':partition': partition,
              ...(since === undefined ? {} : { ':since': since }),
              ...(upper === undefined ? {} : { ':upper': upper }),
              ...filter?.values,
            },
            ScanIndexForward: false,
            // A filter leaves entries out after they are read: read more of them at a time.
            Limit: filter === undefined ? perPartition + 1 : Math.max(perPartition + 1, FILTERED_READ),
          }),
        );
        const items = (result.Items ?? []).filter((entry) => entry[sortName] !== upper);
        const last = result.LastEvaluatedKey?.[sortName];
        // A filtered page may keep nothing: the merge goes on below where it stopped only when it must.
        return { items, more: typeof last === 'string', ...(typeof last === 'string' ? { next: last } : {}) };
      },
      (entry) => String(entry[sortName]),
    );
  }

  /**
   * The records an index page names, in its order (the indexes hold keys, not records), with the
   * index's own keys (the sort key the page was read in). One that expired in between is left out.
   */
  private async records(entries: readonly Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const items = await batchGetAll(
      this.db,
      this.tableName,
      entries.map((entry) => ({ pk: entry.pk, sk: entry.sk })),
    );
    const found = new Map(items.map((item) => [String(item.pk), item]));
    return entries.flatMap((entry): Record<string, unknown>[] => {
      const record = found.get(String(entry.pk));
      return record === undefined ? [] : [{ ...record, ...entry }];
    });
  }

  /**
   * Dead deliveries, the most recently dead first, by channel and/or event type, since and before a
   * time. Each filter reads its own index; channel and type together read the channel's and keep the
   * type's, reading on until the page is full.
   */
  async listDeadLetters(
    query: DeadLetterQuery,
  ): Promise<{ items: Record<string, unknown>[]; lastKey?: Record<string, unknown> }> {
    const { channelId, eventType } = query;
    const listing =
      channelId !== undefined
        ? {
            ...byChannelStatusListing(channelId, 'dead'),
            // Channel and type together: the channel's dead letters, keeping the type's.
            ...(eventType === undefined
              ? {}
              : { filter: { expression: 'eventType = :type', values: { ':type': eventType } } }),
          }
        : eventType !== undefined
          ? deadByTypeListing(eventType)
          : byStatusListing('dead');
    return this.listSharded(listing, query);
  }

  /**
   * How many deliveries are dead, per channel, reading at most `MAX_COUNTED_DEAD_LETTERS` records
   * (`truncated` says when there were more).
   */
  async countDeadLetters(): Promise<{
    total: number;
    byChannel: Record<string, number>;
    truncated: boolean;
  }> {
    const byChannel: Record<string, number> = {};
    let total = 0;
    let truncated = false;
    for (const partition of partitionsOf('status#dead')) {
      let startKey: Record<string, unknown> | undefined;
      do {
        if (total >= MAX_COUNTED_DEAD_LETTERS) {
          truncated = true;
          break;
        }
        const result = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: DELIVERY_INDEXES.status,
            KeyConditionExpression: 'byStatus = :partition',
            ExpressionAttributeValues: { ':partition': partition },
            ProjectionExpression: 'channelId',
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        );
        for (const item of result.Items ?? []) {
          const channel = String(item.channelId);
          byChannel[channel] = (byChannel[channel] ?? 0) + 1;
          total += 1;
        }
        startKey = result.LastEvaluatedKey;
      } while (startKey !== undefined);
      if (truncated) break;
    }
    return { total, byChannel, truncated };
  }

  /**
   * How many of the channel's deliveries died since its last success and within `withinSeconds`,
   * counting up to `limit` (on the dead-letter path only). The dead letters are counted first (one
   * index read); only when there are `limit` of them is the last success looked for: delivered
   * deliveries are in no status index, so it is the latest success among the channel's deliveries
   * created since a day before the window (a delivery's retries may outlast the window), reading at most
   * {@link MAX_EXAMINED_DELIVERIES} of them, newest first.
   */
  async deadInARow(channelId: string, withinSeconds: number, limit: number, now: Date): Promise<number> {
    const windowStart = new Date(now.getTime() - withinSeconds * 1000).toISOString();
    const inWindow = await this.countDeadSince(channelId, windowStart, limit);
    if (inWindow < limit) return inWindow;
    const scanFrom = new Date(now.getTime() - withinSeconds * 1000 - SUCCESS_LOOKBACK_SECONDS * 1000);
    let deliveredAt = '';
    let examined = 0;
    for await (const { record } of this.byCreation(channelId, scanFrom.toISOString(), undefined, 100)) {
      const at = record?.status === 'delivered' ? (statusTimeOf(record) ?? '') : '';
      if (at > deliveredAt) deliveredAt = at;
      examined += 1;
      if (examined >= MAX_EXAMINED_DELIVERIES) break;
    }
    return deliveredAt > windowStart ? this.countDeadSince(channelId, deliveredAt, limit) : inWindow;
  }

  /** The channel's deliveries that died after `from` (an ISO time), counting up to `limit`. */
  private async countDeadSince(channelId: string, from: string, limit: number): Promise<number> {
    // The channel's dead letters are spread over its shards: each is counted a share of `limit` at a
    // time, and only those that had more go on, until `limit` is reached.
    const partitions: { partition: string; startKey?: Record<string, unknown>; done: boolean }[] =
      partitionsOf(`${channelId}#dead`).map((partition) => ({ partition, done: false }));
    let count = 0;
    while (count < limit) {
      const going = partitions.filter((entry) => !entry.done);
      if (going.length === 0) break;
      const share = Math.ceil((limit - count) / going.length) + 1;
      const counted = await Promise.all(
        going.map(async (entry) => {
          const page = await this.db.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: DELIVERY_INDEXES.channelStatus,
              KeyConditionExpression: 'byChannelStatus = :partition AND statusSk > :from',
              ExpressionAttributeValues: { ':partition': entry.partition, ':from': from },
              Select: 'COUNT',
              Limit: share,
              ...(entry.startKey === undefined ? {} : { ExclusiveStartKey: entry.startKey }),
            }),
          );
          entry.startKey = page.LastEvaluatedKey;
          entry.done = page.LastEvaluatedKey === undefined;
          return page.Count ?? 0;
        }),
      );
      count += counted.reduce((sum, value) => sum + value, 0);
    }
    return Math.min(limit, count);
  }

  /** The job a dead delivery was running (kept when it died, so that it can be redriven). */
  async getDeadJob(deliveryId: string): Promise<string | undefined> {
    const result = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `${STATE_PREFIXES.delivery}${deliveryId}`, sk: 'job' },
        ConsistentRead: true,
      }),
    );
    return typeof result.Item?.job === 'string' ? result.Item.job : undefined;
  }

  /**
   * Gets a dead delivery ready to be sent again: pending, a new round of attempts (the schedule starts
   * over; attempt numbers go on from the history). Returns false when it is not dead (delivered
   * meanwhile, or already redriven): it is then not sent again. `anyUndelivered` also resets a
   * delivery still `pending` (a job the queue's own redrive moved, which Herald never marked dead).
   */
  async resetForRedrive(delivery: DeliveryRef, now: Date, anyUndelivered = false): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `${STATE_PREFIXES.delivery}${delivery.deliveryId}`, sk: 'delivery' },
          UpdateExpression: `SET #status = :pending, ${SET_STATUS_KEYS}, attempts = :zero, updatedAt = :now REMOVE reason, notBefore, leaseUntil, rateSlot, byTypeStatus`,
          ConditionExpression: anyUndelivered
            ? 'attribute_not_exists(#status) OR (#status <> :delivered AND #status <> :digested)'
            : '#status = :dead',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ...statusKeys(delivery, 'pending', now),
            ':zero': 0,
            ...(anyUndelivered
              ? { ':delivered': 'delivered', ':digested': 'digested' }
              : { ':dead': 'dead' }),
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
   *
   * A delivery's first attempt, the one nearly every delivery ends with, costs one read and no write
   * (`fresh`): the write recording its outcome creates the record ({@link markDelivered},
   * {@link scheduleNext}, {@link markDead} with `unrecorded`). What that gives up is the lease on the
   * first attempt: two copies of one job received at the same moment (SQS delivers at least once) may
   * both send it, with the same `webhook-id`, and only one is recorded delivered (SPEC §5).
   * `writeFirst` (a channel that collects digests) takes the lease on the first attempt too: a router
   * adding the notification to a digest then finds its record and sends it on its own instead.
   */
  async beginAttempt(
    deliveryId: string,
    refs: { eventId: string; channelId: string; eventType: string },
    now: Date,
    options: { writeFirst?: boolean } = {},
  ): Promise<AttemptStart> {
    const key = { pk: `${STATE_PREFIXES.delivery}${deliveryId}`, sk: 'delivery' };
    const read = async () =>
      (await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })))
        .Item;
    const current = await read();
    if (current === undefined && options.writeFirst !== true) {
      return { kind: 'started', attempt: 1, seq: 1, fresh: true };
    }
    const held = current === undefined ? undefined : heldStart(current, now);
    if (held !== undefined) return held;
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression:
            'ADD attempts :one, seq :one SET eventId = :eventId, channelId = :channelId, eventType = :eventType, #status = if_not_exists(#status, :pending), byChannel = :byChannel, createdAt = if_not_exists(createdAt, :now), gsi1pk = :gsi1pk, gsi1sk = if_not_exists(gsi1sk, :gsi1sk), updatedAt = :now, expiresAt = :expires, leaseUntil = :leaseUntil REMOVE rateSlot',
          ConditionExpression:
            // A notification that went into a digest is sent with it, never on its own.
            '(attribute_not_exists(#status) OR (#status <> :delivered AND #status <> :dead AND #status <> :digested)) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :nowEpoch) AND (attribute_not_exists(notBefore) OR notBefore <= :nowEpoch)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':eventId': refs.eventId,
            ':channelId': refs.channelId,
            ':eventType': refs.eventType,
            ':pending': 'pending',
            ':delivered': 'delivered',
            ':dead': 'dead',
            ':digested': 'digested',
            ':now': now.toISOString(),
            ':nowEpoch': epoch(now),
            ':leaseUntil': epoch(now) + ATTEMPT_LEASE_SECONDS,
            ':expires': epoch(now) + this.retentionSeconds,
            ':gsi1pk': shardOf(TIME_KEY, deliveryId),
            ':gsi1sk': `${now.toISOString()}#${deliveryId}`,
            ':byChannel': shardOf(`channel#${refs.channelId}`, deliveryId),
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
    const changed = await read();
    return (
      heldStart(changed ?? {}, now) ?? {
        kind: 'busy',
        retryInSeconds: 1,
      }
    );
  }

  /**
   * The send slot (epoch ms) a delivery keeps while it waits for it, if any: a job that was hidden until
   * its slot comes back and uses it instead of taking another.
   */
  async keptRateSlot(deliveryId: string): Promise<number | undefined> {
    const result = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `${STATE_PREFIXES.delivery}${deliveryId}`, sk: 'delivery' },
        ProjectionExpression: 'rateSlot',
        ConsistentRead: true,
      }),
    );
    const slot = result.Item?.rateSlot;
    return typeof slot === 'number' ? slot : undefined;
  }

  /** Keeps a delivery's send slot while its job is hidden until then (the next attempt removes it). */
  async keepRateSlot(deliveryId: string, slot: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `${STATE_PREFIXES.delivery}${deliveryId}`, sk: 'delivery' },
        // A first attempt that kept a slot has no record yet: this one expires like any.
        UpdateExpression: 'SET rateSlot = :slot, expiresAt = if_not_exists(expiresAt, :expires)',
        ExpressionAttributeValues: { ':slot': slot, ':expires': epoch(new Date()) + this.retentionSeconds },
      }),
    );
  }

  /**
   * Undoes a begun attempt that sent nothing (its send slot was far): the counts go back, the lease is
   * released, the slot is kept for when the job comes back.
   */
  async giveBackAttempt(deliveryId: string, slot: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `${STATE_PREFIXES.delivery}${deliveryId}`, sk: 'delivery' },
        UpdateExpression: 'ADD attempts :back, seq :back SET rateSlot = :slot REMOVE leaseUntil',
        ExpressionAttributeValues: { ':back': -1, ':slot': slot },
      }),
    );
  }

  /**
   * Takes the channel's next send slot (epoch ms) from the schedule every deliver instance shares: now
   * when the channel has been idle for an interval, else `intervalMs` after the last slot taken. Two
   * conditional writes, one of which succeeds unless the schedule moved between them (then again).
   */
  async takeRateSlot(channelId: string, intervalMs: number, now: Date): Promise<number> {
    const key = { pk: `${STATE_PREFIXES.rate}${channelId}`, sk: 'rate' };
    const nowMs = now.getTime();
    // The schedule item outlives any slot it can have handed out (no job waits longer than its queue
    // keeps it), then expires.
    const expiresAt = epoch(now) + 15 * 86_400;
    for (let round = 0; round < 10; round += 1) {
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET nextSlot = :next, expiresAt = :expires',
            ConditionExpression: 'attribute_not_exists(nextSlot) OR nextSlot <= :now',
            ExpressionAttributeValues: { ':next': nowMs + intervalMs, ':now': nowMs, ':expires': expiresAt },
          }),
        );
        return nowMs;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      try {
        const result = await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'ADD nextSlot :interval SET expiresAt = :expires',
            ConditionExpression: 'nextSlot > :now',
            ExpressionAttributeValues: { ':interval': intervalMs, ':now': nowMs, ':expires': expiresAt },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        return Number(result.Attributes?.nextSlot) - intervalMs;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new Error(`could not take a send slot of channel ${channelId}: too much contention`);
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
            pk: `${STATE_PREFIXES.dedup}${slot.channelId}#${slot.fingerprint}`,
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

  /** Records a delivery that `dedupWindow` or a silence suppressed (listed like any other delivery). */
  async recordSuppressed(
    delivery: DeliveryRef & { eventId: string },
    now: Date,
    reason: string,
  ): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `${STATE_PREFIXES.delivery}${delivery.deliveryId}`,
          sk: 'delivery',
          eventId: delivery.eventId,
          channelId: delivery.channelId,
          eventType: delivery.eventType,
          status: 'suppressed',
          reason,
          attempts: 0,
          createdAt: now.toISOString(),
          updatedAt: now.toISOString(),
          gsi1pk: shardOf(TIME_KEY, delivery.deliveryId),
          gsi1sk: `${now.toISOString()}#${delivery.deliveryId}`,
          byStatus: shardOf('status#suppressed', delivery.deliveryId),
          byChannel: shardOf(`channel#${delivery.channelId}`, delivery.deliveryId),
          byChannelStatus: shardOf(`${delivery.channelId}#suppressed`, delivery.deliveryId),
          statusSk: `${now.toISOString()}#${delivery.deliveryId}`,
          expiresAt: epoch(now) + this.retentionSeconds,
        },
      }),
    );
  }

  /**
   * Gives up the delivery's lease after an attempt that will be retried, and sets when the next one is
   * due: no copy of the job attempts it earlier. The delivery is listed as `pending` from its first
   * retry on (from when it began waiting).
   */
  async scheduleNext(
    ref: DeliveryRef,
    notBefore: Date,
    now: Date,
    unrecorded?: UnrecordedStart,
  ): Promise<void> {
    const created = creation(ref, unrecorded, epoch(now) + this.retentionSeconds);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `${STATE_PREFIXES.delivery}${ref.deliveryId}`, sk: 'delivery' },
          UpdateExpression: `SET notBefore = :notBefore, #status = if_not_exists(#status, :pending), byStatus = if_not_exists(byStatus, :byStatus), byChannelStatus = if_not_exists(byChannelStatus, :byChannelStatus), statusSk = if_not_exists(statusSk, :statusSk), channelId = if_not_exists(channelId, :channelId), eventType = if_not_exists(eventType, :eventType), updatedAt = :now${created.set} REMOVE leaseUntil${created.add}`,
          ConditionExpression:
            'attribute_not_exists(#status) OR (#status <> :delivered AND #status <> :digested AND #status <> :dead)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':notBefore': epoch(notBefore),
            ':pending': 'pending',
            ':delivered': 'delivered',
            ':digested': 'digested',
            ':dead': 'dead',
            ':channelId': ref.channelId,
            ':eventType': ref.eventType,
            ':now': now.toISOString(),
            ...statusKeys(ref, 'pending', now),
            ...created.values,
          },
        }),
      );
    } catch (error) {
      // Another copy of the job delivered it (or it died, or went into a digest) meanwhile: nothing to
      // schedule; the job comes back and finds it so.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Records one attempt (readable later through the admin API). */
  async recordAttempt(attempt: AttemptRecord, now: Date): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `${STATE_PREFIXES.delivery}${attempt.deliveryId}`,
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
  async markDelivered(
    delivery: DeliveryRef,
    now: Date,
    attempt?: AttemptRecord,
    unrecorded?: UnrecordedStart,
  ): Promise<boolean> {
    return this.finish(delivery, 'delivered', now, { attempt, unrecorded });
  }

  /** Records a redrive task (progress readable through the admin API for `REDRIVE_RETENTION_SECONDS`). */
  async putRedrive(task: RedriveTask, now: Date): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `${STATE_PREFIXES.redrive}${task.id}`,
          sk: 'redrive',
          ...task,
          expiresAt: epoch(now) + REDRIVE_RETENTION_SECONDS,
        },
      }),
    );
  }

  async getRedrive(id: string): Promise<RedriveTask | undefined> {
    const result = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `${STATE_PREFIXES.redrive}${id}`, sk: 'redrive' },
        ConsistentRead: true,
      }),
    );
    const parsed = RedriveTask.safeParse(result.Item);
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * Records a redrive's progress past one page: only when the task is still where this runner read it
   * (`cursor`), so a second copy of the continuation message cannot count the page twice. Returns false
   * when another runner moved it on.
   */
  async advanceRedrive(
    task: RedriveTask,
    progress: { cursor?: string; redriven: number; skipped: number; done: boolean },
    now: Date,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `${STATE_PREFIXES.redrive}${task.id}`, sk: 'redrive' },
          UpdateExpression: `ADD redriven :redriven, skipped :skipped SET #status = :status, updatedAt = :now${progress.cursor === undefined ? '' : ', #cursor = :cursor'}`,
          ConditionExpression:
            task.cursor === undefined
              ? 'attribute_not_exists(#cursor) AND #status = :running'
              : '#cursor = :previous AND #status = :running',
          ExpressionAttributeNames: { '#status': 'status', '#cursor': 'cursor' },
          ExpressionAttributeValues: {
            ':redriven': progress.redriven,
            ':skipped': progress.skipped,
            ':status': progress.done ? 'done' : 'running',
            ':running': 'running',
            ':now': now.toISOString(),
            ...(progress.cursor === undefined ? {} : { ':cursor': progress.cursor }),
            ...(task.cursor === undefined ? {} : { ':previous': task.cursor }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Marks a test-send failed with the reason. */
  async markFailed(
    delivery: DeliveryRef,
    reason: string,
    now: Date,
    unrecorded?: UnrecordedStart,
  ): Promise<void> {
    await this.finish(delivery, 'failed', now, { reason, unrecorded });
  }

  /**
   * Marks a delivery dead with the reason, keeping its job beside it so that a redrive can send it
   * again. The job is written first: a dead delivery always has it.
   */
  async markDead(
    delivery: DeliveryRef,
    reason: string,
    job: string,
    now: Date,
    unrecorded?: UnrecordedStart,
  ): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `${STATE_PREFIXES.delivery}${delivery.deliveryId}`,
          sk: 'job',
          job,
          expiresAt: epoch(now) + this.retentionSeconds,
        },
      }),
    );
    await this.finish(delivery, 'dead', now, { reason, unrecorded });
  }

  /**
   * Sets a delivery's final status. `attempt` is the attempt that delivered it, kept in the record
   * (`deliveredAttempt`) instead of an item of its own: {@link getDelivery} lists it with the others.
   * A delivered delivery leaves the status indexes (see {@link DELIVERY_INDEXES}).
   */
  private async finish(
    ref: DeliveryRef,
    status: DeliveryStatus,
    now: Date,
    options: { reason?: string; attempt?: AttemptRecord; unrecorded?: UnrecordedStart } = {},
  ): Promise<boolean> {
    const { reason, attempt, unrecorded } = options;
    const created = creation(ref, unrecorded, epoch(now) + this.retentionSeconds);
    const delivered = status === 'delivered';
    const removed = ['leaseUntil', ...(status === 'dead' ? [] : ['byTypeStatus'])];
    if (delivered) removed.push('byStatus', 'byChannelStatus');
    const keys = statusKeys(ref, status, now);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `${STATE_PREFIXES.delivery}${ref.deliveryId}`, sk: 'delivery' },
          UpdateExpression: `SET #status = :status, ${delivered ? 'statusSk = :statusSk' : SET_STATUS_KEYS}, channelId = if_not_exists(channelId, :channelId), eventType = if_not_exists(eventType, :eventType), updatedAt = :now${status === 'dead' ? ', byTypeStatus = :byTypeStatus' : ''}${reason === undefined ? '' : ', reason = :reason'}${attempt === undefined ? '' : ', deliveredAttempt = :attempt'}${created.set} REMOVE ${removed.join(', ')}${created.add}`,
          // A job that never started an attempt (its function kept crashing) can still be marked dead.
          // A first attempt that wrote nothing finds no record, or one a copy of its job wrote: it
          // never overwrites a delivered or digested one.
          ConditionExpression:
            unrecorded === undefined
              ? 'attribute_not_exists(#status) OR #status <> :delivered'
              : 'attribute_not_exists(#status) OR (#status <> :delivered AND #status <> :digested)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': status,
            ...(delivered ? { ':statusSk': keys[':statusSk'] } : keys),
            ...(status === 'dead'
              ? { ':byTypeStatus': shardOf(deadByTypeKey(ref.eventType), ref.deliveryId) }
              : {}),
            ':channelId': ref.channelId,
            ':eventType': ref.eventType,
            ':delivered': 'delivered',
            ...(unrecorded === undefined ? {} : { ':digested': 'digested' }),
            ':now': now.toISOString(),
            ...(reason === undefined ? {} : { ':reason': reason }),
            ...(attempt === undefined ? {} : { ':attempt': attempt }),
            ...created.values,
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
