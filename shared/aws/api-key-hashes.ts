/**
 * What the ingest authorizer needs of API keys, and no more (it runs before every HTTPS ingest
 * request, so what it loads is paid on each cold start): the hash of a bearer key, the lookup item
 * from hash to key, and the once-a-minute "last used" stamp.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { KeyScope } from '../ingest/key-scope.ts';
import { lazySchema } from '../runtime/lazy-schema.ts';
import { CONFIG_KINDS } from './partitions.ts';

/** The stored form of a key: SHA-256, hex. Keys are random, so a plain hash is enough. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** The key from an `Authorization: Bearer hk_…` header, if it has that shape. */
export const bearerKey = (authorization: string | undefined): string | undefined => {
  const match = /^Bearer\s+(hk_[A-Za-z0-9_-]{20,100})\s*$/i.exec(authorization ?? '');
  return match?.[1];
};

/** The lookup item from a key's hash to its id (`kind = apikeyhash`, `id` = the hash). */
export const ApiKeyHashRecord = lazySchema(() =>
  z.object({ id: z.string(), keyId: z.string(), scope: KeyScope.optional() }),
);
export type ApiKeyHashRecord = z.infer<typeof ApiKeyHashRecord>;

export class ApiKeyHashes {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The key a bearer key's hash names, or undefined when there is none (unknown or revoked). */
  async find(hash: string): Promise<ApiKeyHashRecord | undefined> {
    const result = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { kind: CONFIG_KINDS.apiKeyHash, id: hash },
        ConsistentRead: true,
      }),
    );
    const parsed = ApiKeyHashRecord.safeParse(result.Item);
    return parsed.success ? parsed.data : undefined;
  }

  /** Records that an API key was used, at most once a minute per key. */
  async touch(keyId: string, at: Date): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { kind: CONFIG_KINDS.apiKey, id: keyId },
          UpdateExpression: 'SET lastUsedAt = :at',
          ConditionExpression:
            'attribute_exists(id) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :before)',
          ExpressionAttributeValues: {
            ':at': at.toISOString(),
            ':before': new Date(at.getTime() - 60_000).toISOString(),
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
