/** `herald deliveries list` and `herald dlq list|redrive`. */
import { type Command, InvalidArgumentError } from 'commander';
import { parseDurationSeconds } from '#shared/domain/duration.ts';
import type { Page } from '../client.ts';
import { type CliContext, UsageError } from '../context.ts';
import type { Output } from '../output.ts';

/** `--limit`: a positive integer. */
export const parseLimit = (value: string): number => {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1)
    throw new InvalidArgumentError('expected a positive whole number');
  return limit;
};

/**
 * `--since`: an RFC 3339 time, or a duration back from `now` (`30m`, `2h`, `1d`), as an ISO time.
 */
export const parseSince = (value: string, now: Date = new Date()): string => {
  const seconds = /^\d/.test(value) && !value.includes('-') ? parseDurationSeconds(value) : undefined;
  if (seconds !== undefined) return new Date(now.getTime() - seconds * 1000).toISOString();
  const time = new Date(value);
  if (Number.isNaN(time.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new InvalidArgumentError('expected an ISO time (2026-11-23T09:00:00Z) or a duration (30m, 2h, 1d)');
  }
  return time.toISOString();
};

/** `More: add --next-token …` on stderr when there is a next page. */
export const hintNextPage = (out: Output, page: Page<unknown>): void => {
  if (page.nextToken) out.note(`More: add --next-token ${page.nextToken}`);
};

interface DeliveriesOptions {
  readonly status?: string;
  readonly channel?: string;
  readonly since?: string;
  readonly limit?: number;
  readonly nextToken?: string;
}

export const registerDeliveries = (program: Command, context: CliContext): void => {
  const deliveries = program.command('deliveries').description('inspect recent deliveries');
  deliveries
    .command('list')
    .description('recent deliveries, newest first')
    .option(
      '--status <status>',
      'pending, delivered, dead, suppressed, failed, digested (went into a digest) or collecting (an open digest)',
    )
    .option('--channel <id>', 'only deliveries to this channel')
    .option('--since <time>', 'only since this ISO time, or this long ago (30m, 2h, 1d)', (value) =>
      parseSince(value),
    )
    .option('--limit <n>', 'at most this many', parseLimit)
    .option('--next-token <token>', 'the next page, as printed by the previous call')
    .action(async (options: DeliveriesOptions, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const page = await out.progress('Listing deliveries', () => client.listDeliveries(options));
      if (out.json) return out.printJson(page);
      out.table(page.items, [
        { header: 'delivery', value: (delivery) => delivery.deliveryId },
        { header: 'event', value: (delivery) => delivery.eventId },
        { header: 'channel', value: (delivery) => delivery.channelId },
        { header: 'status', value: (delivery) => delivery.status },
        { header: 'attempts', value: (delivery) => delivery.attemptCount, align: 'right' },
        { header: 'updated', value: (delivery) => delivery.updatedAt ?? delivery.createdAt },
        { header: 'reason', value: (delivery) => delivery.reason },
      ]);
      hintNextPage(out, page);
    });
};

interface DlqListOptions {
  readonly channel?: string;
  readonly type?: string;
  readonly since?: string;
  readonly queue?: boolean;
  readonly ingest?: boolean;
  readonly limit?: number;
  readonly nextToken?: string;
}

interface RedriveOptions {
  readonly channel?: string;
  readonly type?: string;
  readonly event?: string;
  readonly delivery?: string[];
  readonly queue?: boolean;
  readonly ingest?: boolean;
  readonly wait: boolean;
}

/** How often `dlq redrive` looks at a background redrive's progress. */
const REDRIVE_POLL_MS = 2_000;

export const registerDlq = (program: Command, context: CliContext): void => {
  const dlq = program.command('dlq').description('inspect and replay dead-lettered deliveries');
  dlq
    .command('list')
    .description('dead-lettered deliveries, the most recently dead first, with counts per channel')
    .option('--channel <id>', 'only deliveries to this channel')
    .option('--type <type>', 'only deliveries of events of this type')
    .option('--since <time>', 'only dead since this ISO time, or this long ago (30m, 2h, 1d)', (value) =>
      parseSince(value),
    )
    .option('--queue', 'list the SQS dead-letter queue instead (jobs that died without a record)')
    .option('--ingest', 'list the ingest dead-letter queue instead (events that could not be routed)')
    .option('--limit <n>', 'at most this many', parseLimit)
    .option('--next-token <token>', 'the next page, as printed by the previous call')
    .action(async (options: DlqListOptions, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const { queue, ingest, ...query } = options;
      if (queue && ingest) throw new UsageError('give --queue or --ingest, not both');
      const source = queue ? 'queue' : ingest ? 'ingest' : undefined;
      const page = await out.progress('Reading dead letters', () =>
        client.listDeadLetters({ ...query, ...(source === undefined ? {} : { source }) }),
      );
      if (out.json) return out.printJson(page);
      if (ingest) {
        out.table(
          page.items,
          [
            { header: 'message', value: (item) => item.messageId },
            { header: 'event', value: (item) => item.eventId },
            { header: 'type', value: (item) => item.eventType },
            { header: 'source', value: (item) => item.source },
            { header: 'dead since', value: (item) => item.deadLetteredAt },
            { header: 'reason', value: (item) => item.reason },
          ],
          '(the ingest dead-letter queue is empty)',
        );
        return;
      }
      out.table(
        page.items,
        [
          { header: 'delivery', value: (item) => item.deliveryId },
          { header: 'event', value: (item) => item.eventId },
          { header: 'type', value: (item) => item.eventType },
          { header: 'channel', value: (item) => item.channelId },
          { header: 'dead since', value: (item) => item.deadLetteredAt },
          { header: 'reason', value: (item) => item.reason },
        ],
        queue ? '(the dead-letter queue is empty)' : '(no dead letters)',
      );
      if (page.counts !== undefined && page.counts.total > 0) {
        const perChannel = Object.entries(page.counts.byChannel)
          .sort(([, a], [, b]) => b - a)
          .map(([channel, count]) => `${channel} ${count}`)
          .join(', ');
        out.line(`Dead: ${page.counts.total}${page.counts.truncated ? '+' : ''} (${perChannel}).`);
      }
      if (page.queue !== undefined && page.queue.approximateMessages > 0) {
        out.note(
          `The SQS dead-letter queue holds about ${page.queue.approximateMessages}: herald dlq list --queue`,
        );
      }
      if (page.ingest !== undefined && page.ingest.approximateMessages > 0) {
        out.note(
          `The ingest dead-letter queue holds about ${page.ingest.approximateMessages} events that were not routed: herald dlq list --ingest`,
        );
      }
      hintNextPage(out, page);
    });
  dlq
    .command('redrive')
    .description('send dead-lettered deliveries back for another round of attempts (never a delivered one)')
    .option('--channel <id>', 'only deliveries to this channel')
    .option('--type <type>', 'only deliveries of events of this type')
    .option('--event <id>', "only this event's dead deliveries")
    .option('--delivery <id...>', 'only these deliveries')
    .option('--queue', 'replay the SQS dead-letter queue instead (jobs that died without a record)')
    .option(
      '--ingest',
      'send the events the router failed on back to be routed (those it refused stay, as skipped)',
    )
    .option('--no-wait', 'do not wait for a redrive that goes on in the background')
    .action(async (options: RedriveOptions, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      if (options.queue && options.ingest) throw new UsageError('give --queue or --ingest, not both');
      let result = await out.progress('Redriving', () =>
        client.redrive({
          channel: options.channel,
          type: options.type,
          eventId: options.event,
          deliveryIds: options.delivery,
          ...(options.queue ? { source: 'queue' as const } : {}),
          ...(options.ingest ? { source: 'ingest' as const } : {}),
        }),
      );
      const id = result.id;
      while (options.wait && id !== undefined && result.status === 'running') {
        if (!out.json) out.note(`Redriven so far: ${result.redriven}, skipped: ${result.skipped}…`);
        await new Promise((resolve) => setTimeout(resolve, REDRIVE_POLL_MS));
        result = await client.getRedrive(id);
      }
      if (out.json) return out.printJson(result);
      const more =
        result.status === 'running' && id !== undefined
          ? ` It goes on in the background: herald dlq redrive-status ${id}`
          : '';
      out.line(`Redriven: ${result.redriven}, skipped: ${result.skipped}.${more}`);
    });
  dlq
    .command('redrive-status <id>')
    .description("a background redrive's progress")
    .action(async (id: string, _options: unknown, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const result = await client.getRedrive(id);
      if (out.json) return out.printJson(result);
      out.line(`Redrive ${id}: ${result.status}; redriven ${result.redriven}, skipped ${result.skipped}.`);
    });
};
