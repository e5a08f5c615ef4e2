/** `herald audit`: who changed what and when. */
import type { Command } from 'commander';
import type { AuditEntry } from '../client.ts';
import type { CliContext } from '../context.ts';
import { hintNextPage, parseLimit, parseSince } from './deliveries.ts';

interface AuditOptions {
  readonly since?: string;
  readonly limit?: number;
  readonly nextToken?: string;
}

/** The resource an entry is about: its id, or `-`. */
const resourceOf = (entry: AuditEntry): string => entry.resourceId ?? '-';

export const registerAudit = (program: Command, context: CliContext): void => {
  program
    .command('audit')
    .description(
      'who changed what and when: admin writes and signing-secret reads, newest first (field names, never values)',
    )
    .option('--since <time>', 'only since this ISO time, or this long ago (30m, 2h, 1d)', (value) =>
      parseSince(value),
    )
    .option('--limit <n>', 'at most this many', parseLimit)
    .option('--next-token <token>', 'the next page, as printed by the previous call')
    .action(async (options: AuditOptions, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const page = await out.progress('Reading the audit log', () => client.listAudit(options));
      if (out.json) return out.printJson(page);
      out.table(
        page.items,
        [
          { header: 'time', value: (entry) => entry.at },
          { header: 'principal', value: (entry) => entry.principal.arn },
          { header: 'route', value: (entry) => entry.route },
          { header: 'resource', value: resourceOf },
          { header: 'status', value: (entry) => entry.status ?? '?', align: 'right' },
          { header: 'fields', value: (entry) => entry.fields },
        ],
        '(no audit entries)',
      );
      hintNextPage(out, page);
    });
};
