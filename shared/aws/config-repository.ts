import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ChannelRecord } from '../channel.ts';
import type { Log } from '../log.ts';
import { Policy } from '../policy.ts';

type Kind = 'channel' | 'policy';

/**
 * Channels and policies in the config table: partition key `kind`, sort key `id`, so each kind is one
 * Query. Items are validated on the way out: a record a newer or older version wrote badly is skipped
 * with a warning instead of stopping all routing.
 */
export class ConfigRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly logger: Pick<Log, 'warn'>,
  ) {}

  async listChannels(): Promise<ChannelRecord[]> {
    return this.listValid('channel', ChannelRecord);
  }

  async listPolicies(): Promise<Policy[]> {
    return this.listValid('policy', Policy);
  }

  async getChannel(id: string): Promise<ChannelRecord | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { kind: 'channel', id } }),
    );
    if (result.Item === undefined) return undefined;
    return ChannelRecord.parse(stripKeys(result.Item));
  }

  async putChannel(channel: ChannelRecord): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...channel, kind: 'channel' } }));
  }

  async putPolicy(policy: Policy, updatedAt: string): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...policy, updatedAt, kind: 'policy' } }),
    );
  }

  async delete(kind: Kind, id: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { kind, id } }));
  }

  /** Disables a channel (its receiver answered 410 Gone). */
  async disableChannel(id: string, reason: string, at: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { kind: 'channel', id },
        UpdateExpression: 'SET enabled = :false, disabledReason = :reason, updatedAt = :at',
        ConditionExpression: 'attribute_exists(id)',
        ExpressionAttributeValues: { ':false': false, ':reason': reason, ':at': at },
      }),
    );
  }

  private async listValid<T>(
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
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const parsed = schema.safeParse(stripKeys(item));
        if (parsed.success && parsed.data !== undefined) valid.push(parsed.data);
        else this.logger.warn('skipping an invalid config record', { kind, id: item.id });
      }
    }
    return valid;
  }
}

/** Drops the table's own attributes so the record parses against its schema (policies are strict). */
const stripKeys = (item: Record<string, unknown>): Record<string, unknown> => {
  const { kind, disabledReason: _reason, ...rest } = item;
  if (kind !== 'policy') return rest;
  const { updatedAt: _updatedAt, ...policy } = rest;
  return policy;
};
