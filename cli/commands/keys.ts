/** `herald keys create|list|revoke`: ingest API keys. */
import { type Command, InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.ts';

/** `--scope tenant=acme` (repeatable; `environment=production,staging` for several values). */
export const parseScope = (
  value: string,
  previous: Record<string, string[]> = {},
): Record<string, string[]> => {
  const match = /^([^=\s]+)=(.+)$/.exec(value);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new InvalidArgumentError('expected attribute=value or attribute=value1,value2');
  }
  const values = match[2]
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return { ...previous, [match[1]]: [...(previous[match[1]] ?? []), ...values] };
};

const scopeText = (scope: unknown): string =>
  scope === undefined || scope === null
    ? 'any'
    : Object.entries(scope as Record<string, string | string[]>)
        .map(([attribute, values]) => `${attribute}=${([] as string[]).concat(values).join(',')}`)
        .join(' ');

export const registerKeys = (program: Command, context: CliContext): void => {
  const keys = program.command('keys').description('manage ingest API keys (Authorization: Bearer hk_…)');

  keys
    .command('create')
    .description('create a key; it is shown once')
    .requiredOption('--name <name>', 'what the key is for, e.g. ci')
    .option(
      '--scope <attribute=values>',
      'only events whose attribute matches one of the comma-separated values or globs (repeatable)',
      parseScope,
    )
    .action(async (options: { name: string; scope?: Record<string, string[]> }, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const created = await out.progress('Creating the key', () =>
        client.createKey(options.name, options.scope),
      );
      out.note('! Store this key now: Herald keeps only a hash and cannot show it again.');
      if (out.json) return out.printJson(created);
      out.note(`Created key ${created.name} (id ${created.id}):`);
      out.line(created.key);
    });

  keys
    .command('list')
    .description('list keys (never the keys themselves)')
    .action(async (_options: object, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const items = await out.progress('Listing keys', () => client.listKeys());
      if (out.json) return out.printJson({ items });
      out.table(items, [
        { header: 'id', value: (key) => key.id },
        { header: 'name', value: (key) => key.name },
        { header: 'scope', value: (key) => scopeText(key.scope) },
        { header: 'created', value: (key) => key.createdAt },
        { header: 'last used', value: (key) => key.lastUsedAt ?? 'never' },
      ]);
    });

  keys
    .command('revoke <id>')
    .description('revoke a key: requests with it get 403 from now on')
    .action(async (id: string, _options: object, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      await out.progress(`Revoking key ${id}`, () => client.revokeKey(id));
      if (out.json) return out.printJson({ revoked: id });
      out.line(`Revoked key ${id}.`);
    });
};
