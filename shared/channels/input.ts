/**
 * A channel as users write it (admin API body, `herald apply` file), derived from the registry: each
 * type's settings plus its secret fields (inline or `{secretRef, key}`), and the envelope. Only the
 * admin API and the CLI build it; the deliver function never pays for it.
 */
import * as z from 'zod';
import { DigestSettings } from '../domain/digest.ts';
import { ResourceId } from '../domain/policy.ts';
import { RateLimit } from '../domain/rate-limit.ts';
import { RetryOverride } from '../domain/retry.ts';
import { lazySchema } from '../runtime/lazy-schema.ts';
import { SecretRef } from './record.ts';
import { CHANNEL_TYPE_NAMES, CHANNEL_TYPES } from './registry.ts';
import { ChannelTemplate } from './template.ts';
import type { ChannelType } from './types.ts';

/** The fields every channel input has besides `type` and `config`, built with {@link ChannelInput}. */
const envelopeInputShape = () => ({
  id: ResourceId.optional(),
  enabled: z.boolean().default(true),
  description: z.string().max(1024).optional(),
  events: z.array(z.string().min(1).max(256)).min(1).max(100).optional(),
  retry: RetryOverride.optional(),
  rateLimit: RateLimit.optional(),
  digest: DigestSettings.optional(),
  template: ChannelTemplate.optional(),
});

/**
 * A type's `config` as users write it: its settings, and each secret field inline or as a
 * `{secretRef, key}` reference.
 */
const configInput = (type: ChannelType) =>
  type.settings.extend(
    Object.fromEntries(
      Object.entries(type.secretFields).map(([field, schema]) => [
        field,
        schema.safeParse(undefined).success
          ? z.union([schema, SecretRef]).optional()
          : z.union([schema, SecretRef], {
              error: (issue) => (issue.input === undefined ? 'required' : undefined),
            }),
      ]),
    ),
  );

/** One type's channel input: the envelope, `type`, `config`, and the checks across them. */
const channelInputOf = (type: ChannelType) =>
  z
    .strictObject({ ...envelopeInputShape(), type: z.literal(type.type), config: configInput(type) })
    .superRefine((input, ctx) => {
      if (input.digest !== undefined && !type.digests) {
        ctx.addIssue({
          code: 'custom',
          path: ['digest'],
          message: `the ${type.type} channel type takes no digest (each event is its own incident)`,
        });
      }
      for (const part of ['subject', 'text', 'body'] as const) {
        if (input.template?.[part] !== undefined && !type.templateParts.includes(part)) {
          ctx.addIssue({
            code: 'custom',
            path: ['template', part],
            message: `the ${type.type} channel type has no ${part} to template (it has ${type.templateParts.join(', ')})`,
          });
        }
      }
      const settings = type.settings.safeParse(pickSettings(type, input.config));
      if (!settings.success) return;
      const given = new Set(
        Object.keys(type.secretFields).filter(
          (field) => input.config[field as keyof typeof input.config] !== undefined,
        ),
      );
      for (const problem of type.check(settings.data, given)) {
        ctx.addIssue({
          code: 'custom',
          path: ['config', ...problem.path.split('.')],
          message: problem.message,
        });
      }
    });

/** The settings part of a parsed config. */
export const pickSettings = (type: ChannelType, config: Readonly<Record<string, unknown>>) =>
  Object.fromEntries(Object.entries(config).filter(([field]) => !Object.hasOwn(type.secretFields, field)));

/** A channel as users write it (admin API body, `herald apply` file). `id` comes from the path. */
export const ChannelInput = lazySchema(() =>
  z.discriminatedUnion(
    'type',
    Object.values(CHANNEL_TYPES).map(channelInputOf) as [
      ReturnType<typeof channelInputOf>,
      ...ReturnType<typeof channelInputOf>[],
    ],
    { error: `type must be one of: ${CHANNEL_TYPE_NAMES.join(', ')}` },
  ),
);
export type ChannelInput = z.infer<typeof ChannelInput>;
