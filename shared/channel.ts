import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { DurationSeconds } from './duration.ts';
import { ResourceId } from './policy.ts';
import { MAX_ATTEMPTS_LIMIT } from './retry.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const MAX_TIMEOUT_MS = 30_000;

/** Channel types Herald knows; each has its own config schema. */
export const CHANNEL_TYPES = ['webhook'] as const;

/** Config fields that are secrets: kept in Secrets Manager, never returned (SPEC §3). */
export const SECRET_FIELDS = ['url', 'headers', 'signingSecret'] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];

const HeaderName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid header name');
const WebhookUrl = z.url({ protocol: /^https?$/, message: 'url must be an https:// URL' }).max(2048);
/** Headers Herald sets itself (or HTTP needs to be right): a channel cannot override them. */
const RESERVED_HEADERS = new Set([
  'content-length',
  'content-type',
  'host',
  'transfer-encoding',
  'connection',
  'user-agent',
]);
const Headers = z.record(
  HeaderName.refine(
    (name) => !RESERVED_HEADERS.has(name.toLowerCase()) && !name.toLowerCase().startsWith('webhook-'),
    'Herald sets this header itself',
  ),
  z
    .string()
    .max(4096)
    .refine(
      (value) => [...value].every((char) => char.charCodeAt(0) >= 0x20 && char.charCodeAt(0) !== 0x7f),
      'header values cannot contain control characters',
    ),
);
const SigningSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'signingSecret must be whsec_ followed by base64');

/** A secret field's value kept in an existing Secrets Manager secret: `{secretRef, key}` (SPEC §3). */
export const SecretRef = z.strictObject({
  secretRef: z.string().min(1).max(2048),
  key: z.string().min(1).max(256),
});
export type SecretRef = z.infer<typeof SecretRef>;

export const isSecretRef = (value: unknown): value is SecretRef => SecretRef.safeParse(value).success;

/** The secret part of a webhook channel once resolved: what the deliver function signs and sends with. */
/** How long a replaced signing secret keeps signing too, so receivers can switch over (SPEC §3). */
export const SIGNING_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

/** Signing secrets that were replaced and still sign until `until`. */
export const PreviousSigningSecrets = z
  .array(z.strictObject({ secret: SigningSecret, until: z.string() }))
  .max(10)
  .default([]);
export type PreviousSigningSecrets = z.infer<typeof PreviousSigningSecrets>;

export const WebhookSecret = z.strictObject({
  url: WebhookUrl,
  headers: Headers.default({}),
  signingSecret: SigningSecret,
  previousSigningSecrets: PreviousSigningSecrets,
});
export type WebhookSecret = z.infer<typeof WebhookSecret>;

/** Non-secret part of a webhook channel, kept in the config table. */
export const WebhookSettings = z.strictObject({
  method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
  timeoutMs: z.number().int().min(100).max(MAX_TIMEOUT_MS).default(DEFAULT_TIMEOUT_MS),
});
export type WebhookSettings = z.infer<typeof WebhookSettings>;

export const RetryOverride = z.strictObject({
  maxAttempts: z.number().int().min(1).max(MAX_ATTEMPTS_LIMIT).optional(),
  schedule: z.array(DurationSeconds).min(1).max(MAX_ATTEMPTS_LIMIT).optional(),
});
export type RetryOverride = z.infer<typeof RetryOverride>;

/** A webhook channel's config as users write it: each secret field inline or as a `secretRef`. */
export const WebhookConfigInput = z.strictObject({
  url: z.union([WebhookUrl, SecretRef]),
  method: WebhookSettings.shape.method,
  timeoutMs: WebhookSettings.shape.timeoutMs,
  headers: z.union([Headers, SecretRef]).optional(),
  signingSecret: z.union([SigningSecret, SecretRef]).optional(),
});

/** A channel as users write it (admin API body, `herald apply` file). `id` comes from the path. */
export const ChannelInput = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      id: ResourceId.optional(),
      type: z.literal('webhook'),
      enabled: z.boolean().default(true),
      description: z.string().max(1024).optional(),
      events: z.array(z.string().min(1).max(256)).min(1).max(100).optional(),
      retry: RetryOverride.optional(),
      config: WebhookConfigInput,
    }),
  ],
  { error: `type must be one of: ${CHANNEL_TYPES.join(', ')}` },
);
export type ChannelInput = z.infer<typeof ChannelInput>;

/** A channel as the config table keeps it: settings, and where each secret field's value lives. */
export const ChannelRecord = z.object({
  id: ResourceId,
  type: z.literal('webhook'),
  enabled: z.boolean(),
  description: z.string().optional(),
  settings: WebhookSettings,
  /** Herald's own secret for this channel (holds the inline secret fields). */
  secretArn: z.string().optional(),
  /** Secret fields whose value is in Herald's own secret. */
  inlineSecrets: z.array(z.enum(SECRET_FIELDS)).default([]),
  /** Secret fields whose value is in a secret the user owns. */
  secretRefs: z.partialRecord(z.enum(SECRET_FIELDS), SecretRef).default({}),
  events: z.array(z.string()).min(1).optional(),
  retry: RetryOverride.optional(),
  disabledReason: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int().min(1),
});
export type ChannelRecord = z.infer<typeof ChannelRecord>;

/** A new Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/** Inline secret values of a channel, by field. */
export type InlineSecrets = Partial<Record<SecretField, unknown>>;

/** Reads a secret's JSON value by name or ARN. */
export type ReadSecret = (secretId: string) => Promise<unknown>;

/** Herald's own per-channel secrets in Secrets Manager. */
export interface SecretStore {
  /** Creates or replaces the secret's JSON value; returns its ARN. */
  write(name: string, value: Readonly<Record<string, unknown>>): Promise<string>;
  /** Reads a secret's JSON value, uncached. */
  read: ReadSecret;
  /** Deletes a secret at once (no recovery window, so the channel id can be reused). */
  remove(secretId: string): Promise<void>;
}

/**
 * Resolves a channel's secret fields from Herald's own secret and any referenced secrets, and
 * validates the result. Throws when a secret cannot be read or the values are not valid.
 */
export const resolveWebhookSecret = async (
  record: ChannelRecord,
  readSecret: ReadSecret,
): Promise<WebhookSecret> => {
  const values: Record<string, unknown> = {};
  if (record.secretArn !== undefined && record.inlineSecrets.length > 0) {
    const own = await readSecret(record.secretArn);
    if (typeof own === 'object' && own !== null) {
      for (const field of record.inlineSecrets) values[field] = (own as Record<string, unknown>)[field];
      if (record.inlineSecrets.includes('signingSecret')) {
        values.previousSigningSecrets = (own as Record<string, unknown>).previousSigningSecrets;
      }
    }
  }
  for (const [field, ref] of Object.entries(record.secretRefs)) {
    const referenced = await readSecret(ref.secretRef);
    values[field] =
      typeof referenced === 'object' && referenced !== null
        ? (referenced as Record<string, unknown>)[ref.key]
        : undefined;
  }
  return WebhookSecret.parse(values);
};

/**
 * The previous signing secrets to keep after a write: the replaced one for the grace period (when the
 * secret changed), and those still within theirs.
 */
export const rotateSigningSecrets = (
  replaced: unknown,
  next: unknown,
  current: unknown,
  now: Date,
): PreviousSigningSecrets => {
  const kept = PreviousSigningSecrets.catch([])
    .parse(current)
    .filter((entry) => Date.parse(entry.until) > now.getTime() && entry.secret !== next);
  if (typeof replaced !== 'string' || replaced === next || typeof next !== 'string') return kept;
  return [
    { secret: replaced, until: new Date(now.getTime() + SIGNING_SECRET_GRACE_MS).toISOString() },
    ...kept,
  ].slice(0, 10);
};
