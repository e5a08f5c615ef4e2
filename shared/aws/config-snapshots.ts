import { randomUUID } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { ChannelRecord } from '../channels/record.ts';
import { PolicyRecord } from '../domain/policy.ts';
import { SilenceRecord } from '../domain/silence.ts';
import type { ConfigSnapshot, ConfigSnapshots } from '../runtime/live-config.ts';
import type { Log } from '../runtime/log.ts';
import { batchGetAll } from './batch-get.ts';
import { validRecords } from './config-repository.ts';
import { CONFIG_KINDS } from './partitions.ts';

/** The item naming the latest snapshot; its parts are items beside it, `<snapshot id>#<part>`. */
const LATEST_KEY = { kind: CONFIG_KINDS.snapshot, id: 'latest' } as const;

/** Bytes of compressed snapshot per item (an item holds at most 400 KB). */
const PART_BYTES = 350_000;

/** Parts expire (TTL) well after any cold start would begin from them (an hour at most). */
const PART_SECONDS = 3 * 3600;

/** Brotli at quality 4: 24 MB of records (100,000 policies) compress in about 0.25 s to under 1 MB. */
const BROTLI_QUALITY = 4;

/** A snapshot taken this long before one about to be saved serves as well: the save is skipped. */
const FRESH_ENOUGH_MS = 60_000;

/** How far ahead of this instance's clock a snapshot may be stamped (clocks differ a little). */
const CLOCK_SKEW_MS = 5 * 60_000;

const partId = (snapshotId: string, part: number) => `${snapshotId}#${String(part).padStart(4, '0')}`;

const Latest = z.object({
  snapshotId: z.string(),
  parts: z.number().int().positive(),
  generation: z.number().int().nonnegative(),
  takenAt: z.number(),
  codeHash: z.string().optional(),
});

const Body = z.object({
  policies: z.array(z.unknown()),
  channels: z.array(z.unknown()),
  silences: z.array(z.unknown()),
});

const isItem = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Routers' shared snapshots of the whole config, in the config table's `snapshot` partition: the
 * records as JSON, Brotli-compressed, cut into items of 350 KB, and an item `latest` naming the newest
 * complete one (written after its parts, so a reader never finds one half written). The records are
 * validated on the way out as when listed, so a snapshot written by another version of Herald is read
 * as safely as the table; unless it carries the reader's own `codeHash` (the same code validated them
 * before saving them: with 100,000 policies that is about half a second of a cold start saved). A
 * snapshot that cannot be read is no snapshot: the router reads the table instead.
 */
export class ConfigSnapshotStore implements ConfigSnapshots {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly logger: Pick<Log, 'warn'>,
    /** The hash of the code reading and saving (undefined: every snapshot is validated). */
    private readonly codeHash?: string,
  ) {}

  /** Snapshots this instance could not read: never a reason to skip saving one. */
  private readonly unreadable = new Set<string>();

  async latest(notBefore: number): Promise<ConfigSnapshot | undefined> {
    let snapshotId: string | undefined;
    try {
      const item = await this.readLatest();
      if (item === undefined) return undefined;
      snapshotId = typeof item.snapshotId === 'string' ? item.snapshotId : undefined;
      const latest = Latest.parse(item);
      if (latest.takenAt < notBefore) return undefined;
      if (stampedAhead(latest.takenAt)) {
        // Stamped by a clock far ahead: it would pass for new for as long; the next save replaces it.
        this.logger.warn('config snapshot stamped in the future, reading the table', {
          snapshotId: latest.snapshotId,
        });
        return undefined;
      }
      const keys = Array.from({ length: latest.parts }, (_, part) => ({
        kind: CONFIG_KINDS.snapshot,
        id: partId(latest.snapshotId, part),
      }));
      const items = await batchGetAll(this.db, this.tableName, keys);
      const parts = new Map(items.map((item) => [item.id, item.data]));
      const buffers = keys
        .map((key) => parts.get(key.id))
        .filter((data): data is Uint8Array => data instanceof Uint8Array);
      if (buffers.length < latest.parts) {
        this.unreadable.add(latest.snapshotId);
        this.logger.warn('config snapshot incomplete, reading the table', {
          snapshotId: latest.snapshotId,
          parts: latest.parts,
          found: items.length,
        });
        return undefined;
      }
      const body = Body.parse(JSON.parse(brotliDecompressSync(Buffer.concat(buffers)).toString('utf8')));
      const trusted = this.codeHash !== undefined && latest.codeHash === this.codeHash;
      const records = <T>(kind: string, items: unknown[], schema: Parameters<typeof validRecords<T>>[2]) =>
        trusted ? (items as T[]) : validRecords(kind, items.filter(isItem), schema, this.logger);
      return {
        generation: latest.generation,
        takenAt: latest.takenAt,
        policies: records(CONFIG_KINDS.policy, body.policies, PolicyRecord),
        channels: records(CONFIG_KINDS.channel, body.channels, ChannelRecord),
        silences: records(CONFIG_KINDS.silence, body.silences, SilenceRecord),
      };
    } catch (error) {
      if (snapshotId !== undefined) this.unreadable.add(snapshotId);
      this.logger.warn('config snapshot not read, reading the table', { reason: reasonOf(error) });
      return undefined;
    }
  }

  async save(snapshot: ConfigSnapshot): Promise<void> {
    const { generation, takenAt, policies, channels, silences } = snapshot;
    try {
      // Routers started together read the table together: one snapshot among them is enough.
      const kept = Latest.safeParse(await this.readLatest());
      if (
        kept.success &&
        !this.unreadable.has(kept.data.snapshotId) &&
        kept.data.takenAt >= takenAt - FRESH_ENOUGH_MS &&
        !stampedAhead(kept.data.takenAt)
      )
        return;
      const data = brotliCompressSync(JSON.stringify({ policies, channels, silences }), {
        params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY },
      });
      const snapshotId = `${takenAt}-${randomUUID().slice(0, 8)}`;
      const parts = Math.max(1, Math.ceil(data.length / PART_BYTES));
      const expiresAt = Math.floor(takenAt / 1000) + PART_SECONDS;
      await Promise.all(
        Array.from({ length: parts }, (_, part) =>
          this.db.send(
            new PutCommand({
              TableName: this.tableName,
              Item: {
                kind: CONFIG_KINDS.snapshot,
                id: partId(snapshotId, part),
                data: data.subarray(part * PART_BYTES, (part + 1) * PART_BYTES),
                expiresAt,
              },
            }),
          ),
        ),
      );
      // Named latest only when complete, and only over an older one (routers save concurrently) or one
      // stamped in the future.
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...LATEST_KEY,
            snapshotId,
            parts,
            generation,
            takenAt,
            bytes: data.length,
            ...(this.codeHash === undefined ? {} : { codeHash: this.codeHash }),
          },
          ConditionExpression: 'attribute_not_exists(id) OR takenAt < :takenAt OR takenAt > :future',
          ExpressionAttributeValues: { ':takenAt': takenAt, ':future': Date.now() + CLOCK_SKEW_MS },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      this.logger.warn('config snapshot not saved', { reason: reasonOf(error) });
    }
  }

  /** The item naming the latest snapshot, as it stands. */
  private async readLatest(): Promise<Record<string, unknown> | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: LATEST_KEY, ConsistentRead: true }),
    );
    return result.Item;
  }
}

/** Stamped by a clock further ahead of this one than clocks differ. */
const stampedAhead = (takenAt: number) => takenAt > Date.now() + CLOCK_SKEW_MS;

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
