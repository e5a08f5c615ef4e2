import * as z from 'zod';
import { ApiKeyRecord, hashApiKey, newApiKey } from '../api-keys.ts';
import type { ConfigRepository } from '../aws/config-repository.ts';
import { newEventId } from '../ids.ts';
import { type AdminRequest, notFound, parseBody } from './request.ts';

const CreateApiKey = z.strictObject({ name: z.string().min(1).max(128) });

const toView = (record: ApiKeyRecord) => ({
  id: record.id,
  name: record.name,
  createdAt: record.createdAt,
  ...(record.lastUsedAt === undefined ? {} : { lastUsedAt: record.lastUsedAt }),
});

/** Ingest API keys: created (shown once), listed (never the key), revoked. */
export class ApiKeyAdmin {
  constructor(private readonly config: ConfigRepository) {}

  async create(request: AdminRequest, now: Date) {
    const { name } = parseBody(request, CreateApiKey);
    const key = newApiKey();
    const record: ApiKeyRecord = {
      id: `key_${newEventId().toLowerCase()}`,
      name,
      hash: hashApiKey(key),
      createdAt: now.toISOString(),
    };
    // The hash item first: a key is usable only once both exist, and revoke deletes it first.
    await this.config.putItem('apikeyhash', { id: record.hash, keyId: record.id });
    await this.config.putItem('apikey', record);
    return { ...toView(record), key };
  }

  async list(limit: number, nextToken: string | undefined) {
    const page = await this.config.page('apikey', ApiKeyRecord, limit, nextToken);
    return { ...page, items: page.items.map(toView) };
  }

  async revoke(id: string): Promise<void> {
    const item = await this.config.getItem('apikey', id);
    if (item === undefined) throw notFound('API key', id);
    const record = ApiKeyRecord.parse(item);
    await this.config.deleteVersioned('apikeyhash', record.hash);
    await this.config.deleteVersioned('apikey', id);
  }
}
