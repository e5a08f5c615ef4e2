import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { hashApiKey } from '../aws/api-key-hashes.ts';
import type { ConfigRepository } from '../aws/config-repository.ts';
import { newEventId } from '../domain/ids.ts';
import { KeyScope } from '../ingest/key-scope.ts';
import { lazySchema } from '../runtime/lazy-schema.ts';
import { type AdminRequest, notFound, parseBody } from './request.ts';

/** The prefix that makes a Herald API key recognisable (and greppable in leaked-secret scans). */
export const API_KEY_PREFIX = 'hk_';

/** A new API key: `hk_` and 32 random bytes, base64url. Shown once; only its hash is stored. */
export const newApiKey = (): string => `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;

/** An API key as the config table keeps it (`kind = apikey`). */
export const ApiKeyRecord = lazySchema(() =>
  z.object({
    id: z.string(),
    name: z.string(),
    hash: z.string(),
    /** Events sent with the key must fall inside this (absent: any event). */
    scope: KeyScope.optional(),
    createdAt: z.string(),
    lastUsedAt: z.string().optional(),
  }),
);
export type ApiKeyRecord = z.infer<typeof ApiKeyRecord>;

export const CreateApiKey = lazySchema(() =>
  z.strictObject({ name: z.string().min(1).max(128), scope: KeyScope.optional() }),
);

const toView = (record: ApiKeyRecord) => ({
  id: record.id,
  name: record.name,
  ...(record.scope === undefined ? {} : { scope: record.scope }),
  createdAt: record.createdAt,
  ...(record.lastUsedAt === undefined ? {} : { lastUsedAt: record.lastUsedAt }),
});

/** Ingest API keys: created (shown once), listed (never the key), revoked. */
export class ApiKeyAdmin {
  constructor(private readonly config: ConfigRepository) {}

  async create(request: AdminRequest, now: Date) {
    const { name, scope } = parseBody(request, CreateApiKey);
    const key = newApiKey();
    const record: ApiKeyRecord = {
      id: `key_${newEventId().toLowerCase()}`,
      name,
      hash: hashApiKey(key),
      ...(scope === undefined ? {} : { scope }),
      createdAt: now.toISOString(),
    };
    // The hash item first: a key is usable only once both exist, and revoke deletes it first. It
    // carries the scope, so the authorizer reads one item.
    await this.config.putItem('apikeyhash', {
      id: record.hash,
      keyId: record.id,
      ...(scope === undefined ? {} : { scope }),
    });
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
