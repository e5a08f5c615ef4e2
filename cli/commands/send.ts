/** `herald send`: one event from flags, or events from a file, to `POST /v1/iam/events`. */
import type { Command } from 'commander';
import * as z from 'zod';
import { EventInput, SEVERITIES } from '#shared/domain/event.ts';
import { type CliContext, UsageError } from '../context.ts';
import { readStructured } from '../file.ts';

interface SendOptions {
  readonly file?: string;
  readonly type?: string;
  readonly source?: string;
  readonly subject?: string;
  readonly severity?: string;
  readonly attr: string[];
  readonly data?: string;
  readonly id?: string;
  readonly time?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `k=v` pairs into attributes; the value may itself contain `=`. */
export const parseAttributes = (pairs: readonly string[]): Record<string, string> => {
  const attributes: Record<string, string> = {};
  for (const pair of pairs) {
    const separator = pair.indexOf('=');
    if (separator <= 0) throw new UsageError(`--attr ${pair}: expected key=value`);
    attributes[pair.slice(0, separator)] = pair.slice(separator + 1);
  }
  return attributes;
};

/** Builds and checks (SPEC §1) the event the flags describe. */
export const eventFromFlags = (options: SendOptions): EventInput => {
  if (options.type === undefined || options.source === undefined) {
    throw new UsageError('send needs --type and --source, or -f <file>');
  }
  let data: unknown;
  if (options.data !== undefined) {
    try {
      data = JSON.parse(options.data);
    } catch {
      throw new UsageError('--data is not valid JSON');
    }
  }
  const event = {
    type: options.type,
    source: options.source,
    ...(options.id === undefined ? {} : { id: options.id }),
    ...(options.time === undefined ? {} : { time: options.time }),
    ...(options.subject === undefined ? {} : { subject: options.subject }),
    ...(options.severity === undefined ? {} : { severity: options.severity }),
    ...(options.attr.length === 0 ? {} : { attributes: parseAttributes(options.attr) }),
    ...(data === undefined ? {} : { data }),
  };
  const result = EventInput.safeParse(event);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.map(String).join('.')}: ${issue.message}`,
    );
    throw new UsageError(`the event is not valid: ${problems.join('; ')}`);
  }
  return result.data;
};

const FLAG_FIELDS = ['type', 'source', 'subject', 'severity', 'data', 'id', 'time'] as const;

export const registerSend = (program: Command, context: CliContext): void => {
  program
    .command('send')
    .description('send an event (signed with IAM, to POST /v1/iam/events)')
    .option('-f, --file <file>', 'an event, or {"events": [...]}, as JSON or YAML')
    .option('--type <type>', 'event type, e.g. deploy.finished')
    .option('--source <source>', 'producer name, e.g. ci')
    .option('--subject <subject>', 'one-line title')
    .option('--severity <severity>', `one of ${SEVERITIES.join(', ')}`)
    .option('--attr <key=value>', 'an attribute (repeatable)', collect, [])
    .option('--data <json>', 'the data field, as JSON')
    .option('--id <id>', 'idempotency id (default: Herald assigns one)')
    .option('--time <time>', 'RFC 3339 time (default: now)')
    .action(async (options: SendOptions, command: Command) => {
      const out = context.output(command);
      let body: unknown;
      if (options.file !== undefined) {
        const flags = FLAG_FIELDS.filter((field) => options[field] !== undefined);
        if (flags.length > 0 || options.attr.length > 0) {
          throw new UsageError('use either -f <file> or --type/--source/… flags, not both');
        }
        body = (await readStructured(options.file, z.unknown())).raw;
      } else {
        body = eventFromFlags(options);
      }
      const client = await context.client(command);
      const result = await out.progress('Sending', () => client.sendEvents(body));
      if (out.json) return out.printJson(result);
      out.table(result.events, [
        { header: 'id', value: (event) => event.id },
        { header: 'duplicate', value: (event) => event.duplicate },
      ]);
    });
};
