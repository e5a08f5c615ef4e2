import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  paginateQuery,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DigestEntry } from '../domain/digest.ts';
import { batchGetAll } from './batch-get.ts';
import { shardOf, TIME_KEY } from './index-shards.ts';
import { STATE_PREFIXES } from './partitions.ts';
import { DELIVERY_INDEXES } from './state-repository.ts';

/** The status of a digest whose period is open: it collects notifications until it is flushed. */
export const COLLECTING = 'collecting';
/** The status of a notification that went into a digest (its record names the digest). */
export const DIGESTED = 'digested';

/** A digest as its delivery record keeps it. */
export interface DigestRecord {
  readonly digestId: string;
  readonly channelId: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly timezone: string;
}

/** The digest a notification goes into, and the notification. */
export interface DigestAddition {
  readonly digest: DigestRecord;
  /** The notification's own delivery id (recorded `digested`). */
  readonly deliveryId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly entry: DigestEntry;
}

const epoch = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * How often a write that collided with another transaction on the digest's record is tried: every
 * notification of a period writes that record, so a burst to one channel collides (DynamoDB cancels
 * one of two transactions on an item, and the SDK does not retry a cancelled transaction).
 */
const MAX_CONFLICT_ATTEMPTS = 8;
/** A random pause growing with the attempt (full jitter, 20 ms to 1.3 s), so colliding writers spread out. */
const conflictPause = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** Math.min(attempt, 7)));
const ENTRY_PREFIX = 'entry#';

const toRecord = (item: Record<string, unknown>): DigestRecord => ({
  digestId: String(item.pk).slice(STATE_PREFIXES.delivery.length),
  channelId: String(item.channelId),
  periodStart: String(item.periodStart),
  periodEnd: String(item.periodEnd),
  timezone: String(item.timezone ?? 'UTC'),
});

/**
 * Digests in the state table. A digest is a delivery like any other (`delivery#<digest id>`, listed,
 * retried, dead-lettered and redriven as one), whose record is created by the first notification of its
 * period with the status `collecting` (in the status indexes under that status, sorted by when the
 * period ends, so the flush finds the closed ones with one query); each notification is an item of
 * its own in the digest's partition (`entry#<time>#<event id>`) and a `digested` delivery record naming
 * the digest. Closing a digest takes it out of `collecting`: after that no notification can go in, so
 * what the deliver function reads after closing it is all it will ever hold.
 */
export class DigestRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionSeconds: number,
  ) {}

  /**
   * Adds a notification to a digest (creating the digest's record with its first one) and records the
   * notification `digested`, in one transaction: `added`. `closed` when the digest was closed already
   * (nothing written: the caller takes the next generation of the period). `handled` when the
   * notification has a record already, in another digest or sent on its own (a second routing of the
   * same event after its period closed, or after the channel's digest changed): nothing written, so no
   * notification is ever in two digests. Transactions that collide on the digest's record (a burst of
   * notifications to one channel) are tried again.
   */
  async add(addition: DigestAddition, now: Date): Promise<'added' | 'closed' | 'handled'> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.write(addition, now);
        return 'added';
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [digestReason, , notificationReason] = (error.CancellationReasons ?? []).map(
          (reason) => reason.Code,
        );
        if (digestReason === 'ConditionalCheckFailed') return 'closed';
        if (notificationReason === 'ConditionalCheckFailed') return 'handled';
        const conflict = error.CancellationReasons?.some((reason) => reason.Code === 'TransactionConflict');
        if (!conflict || attempt >= MAX_CONFLICT_ATTEMPTS) throw error;
        await conflictPause(attempt);
      }
    }
  }

  private async write(addition: DigestAddition, now: Date): Promise<void> {
    const { digest, entry } = addition;
    const digestPk = `${STATE_PREFIXES.delivery}${digest.digestId}`;
    // Kept for the retention period after the digest is due (not after the first notification): a long
    // period's early notifications are still there when it is sent.
    const expiresAt = Math.max(epoch(now), epoch(new Date(digest.periodEnd))) + this.retentionSeconds;
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: { pk: digestPk, sk: 'delivery' },
              UpdateExpression:
                'SET #status = if_not_exists(#status, :collecting), channelId = :channelId, eventId = :digestId, eventType = :digestType, periodStart = :periodStart, periodEnd = :periodEnd, #timezone = :timezone, createdAt = if_not_exists(createdAt, :now), updatedAt = :now, gsi1pk = :gsi1pk, gsi1sk = if_not_exists(gsi1sk, :gsi1sk), byChannel = :byChannel, byStatus = :byStatus, byChannelStatus = :byChannelStatus, statusSk = :statusSk, expiresAt = :expires',
              ConditionExpression: 'attribute_not_exists(#status) OR #status = :collecting',
              // Both are reserved words in DynamoDB expressions.
              ExpressionAttributeNames: { '#status': 'status', '#timezone': 'timezone' },
              ExpressionAttributeValues: {
                ':collecting': COLLECTING,
                ':channelId': digest.channelId,
                ':digestId': digest.digestId,
                ':digestType': 'herald.digest',
                ':periodStart': digest.periodStart,
                ':periodEnd': digest.periodEnd,
                ':timezone': digest.timezone,
                ':now': now.toISOString(),
                ':gsi1pk': shardOf(TIME_KEY, digest.digestId),
                ':gsi1sk': `${now.toISOString()}#${digest.digestId}`,
                ':byChannel': shardOf(`channel#${digest.channelId}`, digest.digestId),
                // Not sharded (one open digest per channel and period, written rarely): `due` reads it.
                ':byStatus': `status#${COLLECTING}`,
                ':byChannelStatus': `${digest.channelId}#${COLLECTING}`,
                // The flush reads the collecting digests whose period has ended, oldest first.
                ':statusSk': `${digest.periodEnd}#${digest.digestId}`,
                ':expires': expiresAt,
              },
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: {
                pk: digestPk,
                sk: `${ENTRY_PREFIX}${entry.time}#${entry.eventId}`,
                ...entry,
                expiresAt,
              },
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: {
                pk: `${STATE_PREFIXES.delivery}${addition.deliveryId}`,
                sk: 'delivery',
                eventId: addition.eventId,
                channelId: digest.channelId,
                eventType: addition.eventType,
                status: DIGESTED,
                digestId: digest.digestId,
                attempts: 0,
                createdAt: now.toISOString(),
                updatedAt: now.toISOString(),
                gsi1pk: shardOf(TIME_KEY, addition.deliveryId),
                gsi1sk: `${now.toISOString()}#${addition.deliveryId}`,
                byStatus: shardOf(`status#${DIGESTED}`, addition.deliveryId),
                byChannel: shardOf(`channel#${digest.channelId}`, addition.deliveryId),
                byChannelStatus: shardOf(`${digest.channelId}#${DIGESTED}`, addition.deliveryId),
                statusSk: `${now.toISOString()}#${addition.deliveryId}`,
                expiresAt,
              },
              // The same notification routed again goes into the digest it is in, or nowhere.
              ConditionExpression: 'attribute_not_exists(pk) OR digestId = :digestId',
              ExpressionAttributeValues: { ':digestId': digest.digestId },
            },
          },
        ],
      }),
    );
  }

  /** Collecting digests whose period ended by `now`, the oldest first (at most `limit`). */
  async due(now: Date, limit: number): Promise<DigestRecord[]> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: DELIVERY_INDEXES.status,
        KeyConditionExpression: 'byStatus = :partition AND statusSk <= :now',
        ExpressionAttributeValues: {
          ':partition': `status#${COLLECTING}`,
          // `<period end>#<digest id>`: every digest whose period ended at or before now.
          ':now': `${now.toISOString()}#\uffff`,
        },
        Limit: limit,
      }),
    );
    return this.read(result.Items ?? []);
  }

  /** A channel's collecting digests, whatever their period (a change of its `digest` flushes them). */
  async collectingOf(channelId: string): Promise<DigestRecord[]> {
    const items: Record<string, unknown>[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        IndexName: DELIVERY_INDEXES.channelStatus,
        KeyConditionExpression: 'byChannelStatus = :partition',
        ExpressionAttributeValues: { ':partition': `${channelId}#${COLLECTING}` },
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    return this.read(items);
  }

  /**
   * Closes a digest: it takes no more notifications, leaves the `collecting` index and becomes a
   * pending delivery. False when it was closed already (by the flush, the deliver function or a change
   * of the channel, whichever came first).
   */
  async close(digestId: string, now: Date): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.closeOnce(digestId, now);
      } catch (error) {
        if (!(error instanceof TransactionConflictException) || attempt >= MAX_CONFLICT_ATTEMPTS) throw error;
        await conflictPause(attempt);
      }
    }
  }

  private async closeOnce(digestId: string, now: Date): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `${STATE_PREFIXES.delivery}${digestId}`, sk: 'delivery' },
          UpdateExpression:
            'SET #status = :pending, closedAt = :now, updatedAt = :now REMOVE byStatus, byChannelStatus, statusSk',
          ConditionExpression: '#status = :collecting',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':collecting': COLLECTING,
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

  /** Every notification in a digest (read after it was closed: nothing more can go in). */
  async entries(digestId: string): Promise<DigestEntry[]> {
    const entries: DigestEntry[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :entry)',
        ExpressionAttributeValues: {
          ':pk': `${STATE_PREFIXES.delivery}${digestId}`,
          ':entry': ENTRY_PREFIX,
        },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const parsed = DigestEntry.safeParse(item);
        if (parsed.success) entries.push(parsed.data);
      }
    }
    return entries;
  }

  /** The records an index page names (the indexes hold keys), still collecting. */
  private async read(keys: readonly Record<string, unknown>[]): Promise<DigestRecord[]> {
    const items = await batchGetAll(
      this.db,
      this.tableName,
      keys.map((key) => ({ pk: key.pk, sk: key.sk })),
    );
    return items.filter((item) => item.status === COLLECTING).map(toRecord);
  }
}
