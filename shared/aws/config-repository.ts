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
import { ChannelRecord } from '../channels/record.ts';
import { HttpError } from '../domain/errors.ts';
import { PolicyRecord } from '../domain/policy.ts';
import { SilenceRecord } from '../domain/silence.ts';
import type { ConfigChange, ConfigRecords, ConfigRef } from '../runtime/live-config.ts';
import type { Log } from '../runtime/log.ts';
import { batchGetAll } from './batch-get.ts';
import { configKey, decodePageToken, encodePageToken } from './page-token.ts';
import { CONFIG_KINDS } from './partitions.ts';

export type Kind = (typeof CONFIG_KINDS)[keyof typeof CONFIG_KINDS];

/** The item whose counter moves on every change of channels or policies (see ConfigGeneration). */
const GENERATION_KEY = { kind: CONFIG_KINDS.meta, id: 'generation' } as const;

/** Change records live a day beside the generation (`meta`), their ids in generation order (LiveConfig). */
const changeId = (generation: number) => `change#${String(generation).padStart(16, '0')}`;
const CHANGE_LOG_SECONDS = 86_400;

/** Someone changed the record since the caller read it (or it does not exist for an `If-Match`). */
export class PreconditionFailedError extends HttpError {
  constructor(message: string) {
    super(412, 'precondition_failed', message);
  }
}

export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

/**
 * The config table: partition key `kind`, sort key `id`, so each kind is one Query. Channels and
 * policies carry a `version` that makes their ETag; writes are conditional on it. Items are validated
 * on the way out: a bad record is skipped with a warning instead of stopping all routing.
 */
export class ConfigRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly logger: Pick<Log, 'warn'>,
  ) {}

  /** Every channel (for routing). */
  async listChannels(): Promise<ChannelRecord[]> {
    return this.listAll('channel', ChannelRecord);
  }

  /** Every policy (for routing). */
  async listPolicies(): Promise<PolicyRecord[]> {
    return this.listAll('policy', PolicyRecord);
  }

  /** Every silence, expired ones included until they are deleted (for routing). */
  async listSilences(): Promise<SilenceRecord[]> {
    return this.listAll('silence', SilenceRecord);
  }

  async getChannel(id: string): Promise<ChannelRecord | undefined> {
    const item = await this.getItem('channel', id);
    return item === undefined ? undefined : ChannelRecord.parse(item);
  }

  async getPolicy(id: string): Promise<PolicyRecord | undefined> {
    const item = await this.getItem('policy', id);
    return item === undefined ? undefined : PolicyRecord.parse(item);
  }

  /** One page of a kind, in id order. */
  async page<T>(
    kind: Kind,
    schema: { parse(value: unknown): T },
    limit: number,
    nextToken: string | undefined,
  ): Promise<Page<T>> {
    const exclusiveStartKey = decodePageToken(nextToken, configKey(kind));
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'kind = :kind',
        ExpressionAttributeValues: { ':kind': kind },
        Limit: limit,
        ...(exclusiveStartKey === undefined ? {} : { ExclusiveStartKey: exclusiveStartKey }),
      }),
    );
    const items = (result.Items ?? []).map((item) => schema.parse(stripKind(item)));
    const token = encodePageToken(result.LastEvaluatedKey);
    return token === undefined ? { items } : { items, nextToken: token };
  }

  async getItem(kind: Kind, id: string): Promise<Record<string, unknown> | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { kind, id }, ConsistentRead: true }),
    );
    return result.Item === undefined ? undefined : stripKind(result.Item);
  }

  /**
   * Writes a versioned record: creates it when `expectedVersion` is undefined (and it must not
   * exist), replaces it otherwise (and it must still be at that version).
   */
  async putVersioned(
    kind: 'channel' | 'policy' | 'silence',
    record: { id: string; version: number },
    expectedVersion: number | undefined,
  ): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...record, kind },
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(id)' }
            : {
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new PreconditionFailedError(`${kind} ${record.id} was changed by someone else; read it again`);
      }
      throw error;
    }
  }

  /** Deletes a record, only if it is still at `expectedVersion` when one is given. */
  async deleteVersioned(kind: Kind, id: string, expectedVersion?: number): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { kind, id },
          ...(expectedVersion === undefined
            ? {}
            : {
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new PreconditionFailedError(`${kind} ${id} was changed by someone else; read it again`);
      }
      throw error;
    }
  }

  /** The config generation: a counter that moves on every change of a channel or policy. */
  async generation(): Promise<number> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: GENERATION_KEY, ConsistentRead: true }),
    );
    return Number(result.Item?.generation ?? 0);
  }

  /**
   * Moves the config generation, so every function's caches let go of what they hold, and logs what
   * moved it under the new generation, so the router can re-read that one record instead of all of
   * them. Called after a change is complete (a channel's secret written too), so a function that sees
   * the new generation reads the new config. Returns the new generation.
   */
  async bumpGeneration(changed: ConfigRef, now = new Date()): Promise<number> {
    const result = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: GENERATION_KEY,
        UpdateExpression: 'ADD generation :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const generation = Number(result.Attributes?.generation ?? 0);
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          kind: CONFIG_KINDS.meta,
          id: changeId(generation),
          changedKind: changed.kind,
          changedId: changed.id,
          expiresAt: Math.floor(now.getTime() / 1000) + CHANGE_LOG_SECONDS,
        },
      }),
    );
    return generation;
  }

  /**
   * The changes logged after generation `after` up to `upTo`, in generation order. One may be missing
   * for a moment (its generation moved, its record not yet written) or for good (its writer stopped
   * in between, or it expired): callers check the sequence.
   */
  async changesBetween(after: number, upTo: number): Promise<ConfigChange[]> {
    const changes: ConfigChange[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'kind = :kind AND id BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':kind': CONFIG_KINDS.meta,
          ':from': changeId(after + 1),
          ':to': changeId(upTo),
        },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const kind = item.changedKind;
        if (
          (kind === 'channel' || kind === 'policy' || kind === 'silence') &&
          typeof item.changedId === 'string'
        ) {
          changes.push({
            generation: Number(String(item.id).slice('change#'.length)),
            kind,
            id: item.changedId,
          });
        }
      }
    }
    return changes;
  }

  /** The channels, policies and silences among `refs` that exist (and are valid), read consistently. */
  async getMany(refs: readonly ConfigRef[]): Promise<ConfigRecords> {
    const found: ConfigRecords = { channels: [], policies: [], silences: [] };
    const items = await batchGetAll(
      this.db,
      this.tableName,
      refs.map((ref) => ({ kind: ref.kind, id: ref.id })),
    );
    for (const item of items) {
      const record = stripKind(item);
      const parsed =
        item.kind === 'channel'
          ? ChannelRecord.safeParse(record)
          : item.kind === 'silence'
            ? SilenceRecord.safeParse(record)
            : PolicyRecord.safeParse(record);
      if (!parsed.success)
        this.logger.warn('skipping an invalid config record', { kind: item.kind, id: item.id });
      else if (item.kind === 'channel') found.channels.push(parsed.data as ChannelRecord);
      else if (item.kind === 'silence') found.silences.push(parsed.data as SilenceRecord);
      else found.policies.push(parsed.data as PolicyRecord);
    }
    return found;
  }

  /** Puts an unversioned item (API keys). */
  async putItem(kind: Kind, item: { id: string } & Record<string, unknown>): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...item, kind } }));
  }

  /**
   * Disables a channel (its target is gone, or it kept failing). False when it was not enabled (or no
   * longer exists): only the first of several concurrent disables reports it.
   */
  async disableChannel(id: string, reason: string, at: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { kind: 'channel', id },
          UpdateExpression:
            'SET enabled = :false, disabledReason = :reason, updatedAt = :at ADD version :one',
          ConditionExpression: 'attribute_exists(id) AND enabled = :true',
          ExpressionAttributeValues: {
            ':false': false,
            ':true': true,
            ':reason': reason,
            ':at': at,
            ':one': 1,
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    await this.bumpGeneration({ kind: 'channel', id });
    return true;
  }

  private async listAll<T>(
    kind: Kind,
    schema: { safeParse(value: unknown): { success: boolean; data?: T } },
  ) {
    const valid: T[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'kind = :kind',
        ExpressionAttributeValues: { ':kind': kind },
        // Consistent: the generation read before the list must not be ahead of what the list shows.
        ConsistentRead: true,
      },
    );
    for await (const page of pages) valid.push(...validRecords(kind, page.Items ?? [], schema, this.logger));
    return valid;
  }
}

/**
 * The records among `items` (config items of one kind, `kind` attribute or not) that `schema` accepts;
 * a bad record is skipped with a warning naming it, instead of stopping all routing.
 */
export const validRecords = <T>(
  kind: string,
  items: readonly Record<string, unknown>[],
  schema: { safeParse(value: unknown): { success: boolean; data?: T } },
  logger: Pick<Log, 'warn'>,
): T[] => {
  const valid: T[] = [];
  for (const item of items) {
    const parsed = schema.safeParse(stripKind(item));
    if (parsed.success && parsed.data !== undefined) valid.push(parsed.data);
    else logger.warn('skipping an invalid config record', { kind, id: item.id });
  }
  return valid;
};

const stripKind = (item: Record<string, unknown>): Record<string, unknown> => {
  const { kind: _kind, ...rest } = item;
  return rest;
};
