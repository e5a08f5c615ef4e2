/**
 * The channel envelope every type shares (SPEC §3): what the config table keeps and what the router
 * reads. A type's own settings ride in `settings`, opaque here; its schema lives in the type's folder.
 * This module pulls in nothing but zod, so the router and `cdk synth` can import it.
 */
import * as z from 'zod';
import { DigestSettings } from '../domain/digest.ts';
import { ResourceId } from '../domain/policy.ts';
import { RateLimit } from '../domain/rate-limit.ts';
import { RetryOverride } from '../domain/retry.ts';
import { lazySchema } from '../runtime/lazy-schema.ts';

/** A channel's `retry`: kept with the retry schedule (`domain/retry.ts`), re-exported for its importers. */
export { RetryOverride } from '../domain/retry.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const MAX_TIMEOUT_MS = 30_000;

/** A per-attempt timeout in milliseconds, as every type that sends over a network accepts it. */
export const TimeoutMs = lazySchema(() =>
  z.number().int().min(100).max(MAX_TIMEOUT_MS).default(DEFAULT_TIMEOUT_MS),
);

/** A secret field's value kept in an existing Secrets Manager secret: `{secretRef, key}` (SPEC §3). */
export const SecretRef = lazySchema(() =>
  z.strictObject({
    secretRef: z.string().min(1).max(2048),
    key: z.string().min(1).max(256),
  }),
);
export type SecretRef = z.infer<typeof SecretRef>;

export const isSecretRef = (value: unknown): value is SecretRef => SecretRef.safeParse(value).success;

/** A template as stored: checked when it was saved (`template.ts`), so read as plain strings here. */
export const StoredTemplate = lazySchema(() =>
  z.object({
    subject: z.string().optional(),
    text: z.string().optional(),
    body: z.string().optional(),
  }),
);

/** A channel as the config table keeps it: the envelope, the type's settings, where each secret lives. */
export const ChannelRecord = lazySchema(() =>
  z.object({
    id: ResourceId,
    type: z.string(),
    enabled: z.boolean(),
    description: z.string().optional(),
    /** The type's public settings, as its settings schema wrote them. */
    settings: z.record(z.string(), z.unknown()),
    /** A short description of where the channel sends (host, topic, recipients): never a secret. */
    target: z.string().optional(),
    /**
     * Where the channel sends (hosts, topics, identities), sorted: a PUT that changes it must give the
     * type's target-bound secrets again. Absent on records written before it existed.
     */
    destinations: z.array(z.string()).optional(),
    /** Herald's own secret for this channel (holds the inline secret fields). */
    secretArn: z.string().optional(),
    /** Secret fields whose value is in Herald's own secret. */
    inlineSecrets: z.array(z.string()).default([]),
    /** Secret fields whose value is in a secret the user owns. */
    secretRefs: z.record(z.string(), SecretRef).default({}),
    events: z.array(z.string()).min(1).optional(),
    retry: RetryOverride.optional(),
    rateLimit: RateLimit.optional(),
    /** One message per period instead of one per event (SPEC §3). */
    digest: DigestSettings.optional(),
    template: StoredTemplate.optional(),
    disabledReason: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int().min(1),
  }),
);
export type ChannelRecord = z.infer<typeof ChannelRecord>;
export type StoredTemplate = z.infer<typeof StoredTemplate>;

/** The tag that ties a channel secret to its channel, for IAM (`secretsmanager:ResourceTag/…`). */
export const CHANNEL_TAG = 'herald-channel';

/** Reads a secret's JSON value by name or ARN. */
export type ReadSecret = (secretId: string) => Promise<unknown>;

/** Herald's own per-channel secrets in Secrets Manager. */
export interface SecretStore {
  /**
   * Creates or replaces the secret's JSON value, tagged with the channel it belongs to (the deliver
   * function may read a channel's secret only through a session tagged with that channel); returns its
   * ARN.
   */
  write(name: string, value: Readonly<Record<string, unknown>>, channelId: string): Promise<string>;
  /** Reads a secret's JSON value, uncached. */
  read: ReadSecret;
  /** Deletes a secret at once (no recovery window, so the channel id can be reused). */
  remove(secretId: string): Promise<void>;
}

const asObject = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

/**
 * Reads a channel's secret values: the inline fields (and whatever else the type keeps beside them,
 * such as previous signing secrets) from Herald's own secret, referenced fields from the user's.
 * Unvalidated: the type's secret schema checks the result.
 */
export const readChannelSecrets = async (
  record: Pick<ChannelRecord, 'secretArn' | 'inlineSecrets' | 'secretRefs'>,
  readSecret: ReadSecret,
): Promise<Record<string, unknown>> => {
  const values: Record<string, unknown> =
    record.secretArn !== undefined && record.inlineSecrets.length > 0
      ? { ...asObject(await readSecret(record.secretArn)) }
      : {};
  for (const [field, ref] of Object.entries(record.secretRefs)) {
    values[field] = asObject(await readSecret(ref.secretRef))[ref.key];
  }
  return values;
};
