/** `herald channels list|get|put|delete|test`. */
import type { Command } from 'commander';
import { ChannelInput } from '#shared/channels/registry.ts';
import type { ChannelView } from '../client.ts';
import { type CliContext, QuietExit } from '../context.ts';
import { readStructured } from '../file.ts';
import { formatFields } from '../output.ts';
import { checkBodyId, describeWrite, printPlan, secretText } from './shared.ts';

interface PutOptions {
  readonly file: string;
  readonly ifMatch?: string;
  readonly dryRun?: boolean;
}

export const channelFields = (channel: ChannelView): [string, unknown][] => [
  ['id', channel.id],
  ['type', channel.type],
  ['enabled', channel.disabledReason ? `false (${channel.disabledReason})` : channel.enabled],
  ['description', channel.description],
  ['events', channel.events],
  ['retry', channel.retry],
  ['url', secretText(channel.config.url)],
  ['method', channel.config.method],
  ['headers', secretText(channel.config.headers)],
  ['signingSecret', secretText(channel.config.signingSecret)],
  ['timeoutMs', channel.config.timeoutMs],
  ['created', channel.createdAt],
  ['updated', channel.updatedAt],
  ['etag', channel.etag],
];

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
        { header: 'events', value: (channel) => channel.events },
        { header: 'url', value: (channel) => secretText(channel.config.url) },
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
    .command('test <id>')
    .description('deliver a test event to the channel now; exits 1 when it fails')
    .action(async (id: string, _options: object, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const result = await out.progress(`Sending a test event to channel ${id}`, () =>
        client.testChannel(id),
      );
      if (out.json) out.printJson(result);
      else if (result.ok) {
        out.line(`✔ channel ${id}: delivered (HTTP ${result.status ?? '-'}, ${result.latencyMs} ms)`);
      } else {
        const status = result.status === null ? 'no response' : `HTTP ${result.status}`;
        out.line(
          `✘ channel ${id}: failed (${status}, ${result.latencyMs} ms): ${result.error ?? 'unknown error'}`,
        );
      }
      if (!result.ok) throw new QuietExit(1);
    });
};
