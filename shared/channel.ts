import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { DurationSeconds } from './duration.ts';
import { ResourceId } from './policy.ts';
import { MAX_ATTEMPTS_LIMIT } from './retry.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const MAX_TIMEOUT_MS = 30_000;

const HeaderName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid header name');

/** Secret part of a webhook channel, kept in Secrets Manager and never returned. */
export const WebhookSecret = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'url must be an http(s) URL' }),
  headers: z.record(HeaderName, z.string().max(4096)).default({}),
  signingSecret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'signingSecret must be whsec_ followed by base64'),
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

/** A channel as the config table keeps it: settings, and a pointer to its secret. */
export const ChannelRecord = z.object({
  id: ResourceId,
  type: z.literal('webhook'),
  enabled: z.boolean(),
  description: z.string().optional(),
  settings: WebhookSettings,
  secretArn: z.string(),
  events: z.array(z.string()).min(1).optional(),
  retry: RetryOverride.optional(),
  updatedAt: z.string(),
});
export type ChannelRecord = z.infer<typeof ChannelRecord>;

/** A webhook channel as users write it (seed file now, admin API later): settings and secrets together. */
export const WebhookChannelInput = z.strictObject({
  id: ResourceId,
  type: z.literal('webhook'),
  enabled: z.boolean().default(true),
  description: z.string().max(1024).optional(),
  events: z.array(z.string().min(1).max(256)).min(1).max(100).optional(),
  retry: RetryOverride.optional(),
  config: z.strictObject({
    url: WebhookSecret.shape.url,
    method: WebhookSettings.shape.method,
    timeoutMs: WebhookSettings.shape.timeoutMs,
    headers: WebhookSecret.shape.headers,
    signingSecret: WebhookSecret.shape.signingSecret.optional(),
  }),
});
export type WebhookChannelInput = z.infer<typeof WebhookChannelInput>;

/** A new Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/** Splits a channel into what the config table keeps and what goes to Secrets Manager. */
export const splitWebhookChannel = (
  input: WebhookChannelInput,
  secretArn: string,
  updatedAt: string,
): { record: ChannelRecord; secret: WebhookSecret } => {
  const { url, headers, signingSecret, method, timeoutMs } = input.config;
  return {
    record: {
      id: input.id,
      type: input.type,
      enabled: input.enabled,
      settings: { method, timeoutMs },
      secretArn,
      updatedAt,
      ...(input.description === undefined ? {} : { description: input.description }),
      ...(input.events === undefined ? {} : { events: input.events }),
      ...(input.retry === undefined ? {} : { retry: input.retry }),
    },
    secret: { url, headers, signingSecret: signingSecret ?? newSigningSecret() },
  };
};
