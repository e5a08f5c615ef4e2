import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TtlCache } from '../ttl-cache.ts';

/** Secret values read through a cache, so a delivery does not fetch its channel's secret every time. */
export class SecretCache {
  private readonly cache: TtlCache<string, unknown>;

  constructor(secrets: SecretsManagerClient, ttlMs: number) {
    this.cache = new TtlCache(ttlMs, async (secretId) => {
      const result = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (result.SecretString === undefined) throw new Error(`secret ${secretId} has no string value`);
      return JSON.parse(result.SecretString) as unknown;
    });
  }

  /** The secret's JSON value (validate it before use). */
  json(secretId: string): Promise<unknown> {
    return this.cache.get(secretId);
  }
}
