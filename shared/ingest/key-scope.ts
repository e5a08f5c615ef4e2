/**
 * An ingest key's scope as stored, alone with zod: the authorizer reads it on every request and must
 * not load the event schemas and matcher that checking an event against it needs (`scope.ts`).
 */
import * as z from 'zod';
import { lazySchema } from '../runtime/lazy-schema.ts';

const Pattern = lazySchema(() => z.string().min(1).max(256));

/**
 * An ingest key's scope (SPEC §6): attribute → allowed value, or list of values, in the policies'
 * matcher syntax (globs, `!` negations; `source` may be scoped as if it were an attribute). Every
 * event sent with the key must fall inside it.
 */
export const KeyScope = lazySchema(() =>
  z
    .record(z.string().min(1).max(64), z.union([Pattern, z.array(Pattern).min(1).max(100)]))
    .refine((scope) => Object.keys(scope).length > 0 && Object.keys(scope).length <= 32, {
      message: 'a scope names 1 to 32 attributes',
    }),
);
export type KeyScope = z.infer<typeof KeyScope>;
