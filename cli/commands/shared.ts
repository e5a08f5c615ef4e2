/** Small pieces several commands print or check the same way. */
import { formatStep, type Kind } from '../apply.ts';
import type { DryRunResult, Written } from '../client.ts';
import { FileError } from '../file.ts';
import type { Output } from '../output.ts';

/** A secret field as reads show it: `configured`, `secretRef <name>#<key>`, or `-`. */
/** Whether a config value is a secret field's view (`{configured: true}` or a `secretRef`). */
export const isSecretView = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  (('configured' in value && value.configured === true) || ('secretRef' in value && 'key' in value));

export const secretText = (value: unknown): string => {
  if (typeof value !== 'object' || value === null) return '-';
  if ('secretRef' in value && 'key' in value)
    return `secretRef ${String(value.secretRef)}#${String(value.key)}`;
  if ('configured' in value && value.configured === true) return 'configured';
  return JSON.stringify(value);
};

/** A body's `id`, when given, must be the id on the command line (as the API also checks). */
export const checkBodyId = (file: string, body: unknown, id: string): void => {
  if (typeof body !== 'object' || body === null || !('id' in body) || body.id === undefined) return;
  if (body.id !== id) {
    throw new FileError(file, [
      { line: undefined, path: 'id', message: `is ${String(body.id)} but the command names ${id}` },
    ]);
  }
};

/** `Created channel x (etag "1").` / `Updated policy y (etag "4").` */
export const describeWrite = (kind: string, id: string, written: Written<unknown>): string =>
  `${written.created ? 'Created' : 'Updated'} ${kind} ${id}${written.etag ? ` (etag ${written.etag})` : ''}.`;

/** Warnings go to stderr, one line each. */
export const printWarnings = (out: Output, kind: string, id: string, warnings: readonly string[]): void => {
  for (const warning of warnings) out.note(`! ${kind} ${id}: ${warning}`);
};

/** A single-resource dry run: `~ channel x (update: config.url)`. */
export const printPlan = (out: Output, kind: Kind, id: string, plan: DryRunResult): void => {
  out.line(formatStep({ kind, id, action: plan.action, changes: plan.changes, warnings: plan.warnings }));
  printWarnings(out, kind, id, plan.warnings);
  out.line('Dry run: nothing written.');
};
