import * as z from 'zod';
import { lazySchema } from '../runtime/lazy-schema.ts';
import { DurationSeconds } from './duration.ts';
import { Severity } from './event.ts';

export const ResourceId = lazySchema(() =>
  z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'id must match [a-z0-9][a-z0-9-]{0,62}'),
);

const Pattern = lazySchema(() => z.string().min(1).max(256));

/** A notification policy (SPEC §4), as written by users. */
export const Policy = lazySchema(() =>
  z.strictObject({
    id: ResourceId,
    description: z.string().max(1024).optional(),
    enabled: z.boolean().default(true),
    /** Globs over the event `type`; empty or `["*"]` matches every type. */
    events: z.array(Pattern).max(100).default(['*']),
    /** Attribute → glob or list of globs; `*` needs the attribute present, `!` negates. */
    match: z
      .record(z.string().min(1).max(64), z.union([Pattern, z.array(Pattern).min(1).max(100)]))
      .default({}),
    minSeverity: Severity.default('info'),
    channels: z.array(ResourceId).min(1).max(100),
    /** Suppress the same (type, attributes, data) to the same channel within this window. */
    dedupWindow: DurationSeconds.optional(),
  }),
);
export type Policy = z.infer<typeof Policy>;
export type PolicyInput = z.input<typeof Policy>;

/** A policy as the config table keeps it. */
export const PolicyRecord = lazySchema(() =>
  Policy.extend({
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int().min(1),
  }),
);
export type PolicyRecord = z.infer<typeof PolicyRecord>;

/** A policy as users write it: the id comes from the path (and must match when also given). */
export const PolicyInput = lazySchema(() => Policy.extend({ id: ResourceId.optional() }));
