/** `herald channels list|get|put|delete|test|signing-secret`. */
import type { Command } from 'commander';
import { ChannelInput } from '#shared/channels/input.ts';
import type { ChannelView, TestResult } from '../client.ts';
import { type CliContext, QuietExit, UsageError } from '../context.ts';
import { readStructured } from '../file.ts';
import { formatFields } from '../output.ts';
import { checkBodyId, describeWrite, isSecretView, printPlan, secretText } from './shared.ts';

interface PutOptions {
  readonly file: string;
  readonly ifMatch?: string;
  readonly dryRun?: boolean;
}

/** A config value as shown: secret fields as `configured` or their reference, settings as they are. */
const configText = (value: unknown): unknown => (isSecretView(value) ? secretText(value) : value);

export const channelFields = (channel: ChannelView): [string, unknown][] => [
  ['id', channel.id],
  ['type', channel.type],
  ['enabled', channel.disabledReason ? `false (${channel.disabledReason})` : channel.enabled],
  ['target', channel.target],
  ['description', channel.description],
  ['events', channel.events],
  ['retry', channel.retry],
  ['rate limit', channel.rateLimit],
  ['digest', channel.digest],
  ['template', channel.template],
  ...Object.entries(channel.config).map(([field, value]): [string, unknown] => [field, configText(value)]),
  ['created', channel.createdAt],
  ['updated', channel.updatedAt],
  ['etag', channel.etag],
];

/** One line for a test-send's result. */
const testLine = (id: string, result: TestResult): string => {
  if (result.ok) {
    // SNS, SQS and EventBridge answer with the message's id (`MessageId`, `EventId`).
    const messageId = result.messageId == null ? '' : `, message id ${result.messageId}`;
    return `✔ channel ${id}: delivered (${statusText(result.status)}, ${result.latencyMs} ms${messageId})`;
  }
  const status = result.status === null ? 'no response' : statusText(result.status);
  return `✘ channel ${id}: failed (${status}, ${result.latencyMs} ms): ${result.error ?? 'unknown error'}`;
};

/** HTTP statuses as `HTTP 200`; SMTP reply codes (2xx–5xx with three digits) read the same way. */
const statusText = (status: number | null): string => (status === null ? 'HTTP -' : `HTTP ${status}`);

export const registerChannels = (program: Command, context: CliContext): void => {
  const channels = program.command('channels').description('manage channels (where notifications go)');

  channels
    .command('list')
    .description('list every channel')
    .action(async (_options: object, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const items = await out.progress('Listing channels', () => client.listAllChannels());
      if (out.json) return out.printJson({ items });
      out.table(items, [
        { header: 'id', value: (channel) => channel.id },
        { header: 'type', value: (channel) => channel.type },
        { header: 'enabled', value: (channel) => channel.enabled },
        { header: 'target', value: (channel) => channel.target },
        { header: 'events', value: (channel) => channel.events },
        { header: 'updated', value: (channel) => channel.updatedAt },
      ]);
    });

  channels
    .command('get <id>')
    .description('show one channel (secret fields show only whether they are set)')
    .action(async (id: string, _options: object, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const { view } = await out.progress(`Reading channel ${id}`, () => client.getChannel(id));
      if (out.json) return out.printJson(view);
      out.line(formatFields(channelFields(view)));
    });

  channels
    .command('put <id>')
    .description('create or replace a channel from a YAML or JSON file')
    .requiredOption('-f, --file <file>', 'the channel (YAML or JSON)')
    .option('--if-match <etag>', 'only if the channel still has this ETag (from `channels get`)')
    .option('--dry-run', 'show what would change; write nothing')
    .action(async (id: string, options: PutOptions, command: Command) => {
      const out = context.output(command);
      const { raw } = await readStructured(options.file, ChannelInput);
      checkBodyId(options.file, raw, id);
      const client = await context.client(command);
      if (options.dryRun) {
        const plan = await out.progress(`Planning channel ${id}`, () => client.planChannel(id, raw));
        return out.json ? out.printJson(plan) : printPlan(out, 'channel', id, plan);
      }
      const written = await out.progress(`Writing channel ${id}`, () =>
        client.putChannel(id, raw, { ifMatch: options.ifMatch }),
      );
      if (out.json) return out.printJson(written.view);
      out.line(describeWrite('channel', id, written));
    });

  channels
    .command('delete <id>')
    .description('delete a channel (and the secret Herald keeps for it)')
    .option('--if-match <etag>', 'only if the channel still has this ETag')
    .action(async (id: string, options: { ifMatch?: string }, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      await out.progress(`Deleting channel ${id}`, () =>
        client.deleteChannel(id, { ifMatch: options.ifMatch }),
      );
      if (out.json) return out.printJson({ deleted: id });
      out.line(`Deleted channel ${id}.`);
    });

  channels
    .command('signing-secret <id>')
    .description(
      "print a webhook channel's signing secret (whsec_…) alone, for its receiver to verify with; the read is audited",
    )
    .action(async (id: string, _options: object, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const secret = await out.progress(`Reading the signing secret of channel ${id}`, () =>
        client.getSigningSecret(id),
      );
      if (out.json) return out.printJson(secret);
      out.line(secret.signingSecret);
      for (const previous of secret.previous ?? []) {
        out.note(
          `A replaced secret also signs until ${previous.until} (herald --json channels signing-secret ${id} shows it).`,
        );
      }
    });

  channels
    .command('test [id]')
    .description(
      'deliver a test event to the channel now (or, with --all, to every enabled channel); exits 1 when one fails',
    )
    .option('--all', 'test every enabled channel, one line each')
    .option('--digest', 'send a sample digest of three test events, as the channel renders its digests')
    .action(
      async (id: string | undefined, options: { all?: boolean; digest?: boolean }, command: Command) => {
        const out = context.output(command);
        if ((id === undefined) === !options.all) {
          throw new UsageError('give a channel id, or --all to test every enabled channel');
        }
        const client = await context.client(command);
        const ids =
          id === undefined
            ? (await out.progress('Listing channels', () => client.listAllChannels()))
                .filter((channel) => channel.enabled)
                .map((channel) => channel.id)
            : [id];
        const results: (TestResult & { channel: string })[] = [];
        for (const channelId of ids) {
          const result = await out.progress(
            `Sending a test ${options.digest ? 'digest' : 'event'} to channel ${channelId}`,
            () => client.testChannel(channelId, { digest: options.digest === true }),
          );
          results.push({ channel: channelId, ...result });
          if (!out.json) out.line(testLine(channelId, result));
        }
        if (out.json) out.printJson(id === undefined ? { results } : results[0]);
        else if (id === undefined && ids.length === 0) out.line('No enabled channels to test.');
        if (results.some((result) => !result.ok)) throw new QuietExit(1);
      },
    );
};
