/** `herald events get <id>`: the event, its deliveries and every attempt. */
import type { Command } from 'commander';
import type { EventDetail } from '../client.ts';
import type { CliContext } from '../context.ts';
import { formatFields, formatTable, type Output } from '../output.ts';

const attributesText = (attributes: Record<string, string> | undefined): string =>
  Object.entries(attributes ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');

/** Prints an event summary, a deliveries table and an attempts table. */
export const printEvent = (out: Output, detail: EventDetail): void => {
  const { event } = detail;
  out.line(
    formatFields([
      ['event', event.id],
      ['type', event.type],
      ['source', event.source],
      ['subject', event.subject],
      ['severity', event.severity],
      ['time', event.time],
      ['attributes', attributesText(event.attributes)],
      ['status', detail.status],
      ['accepted', detail.acceptedAt],
    ]),
  );
  out.line();
  if (detail.deliveries.length === 0) {
    out.line(
      detail.status === 'routed' ? 'No deliveries: no policy or channel matched.' : 'No deliveries yet.',
    );
    return;
  }
  out.line('Deliveries');
  out.line(
    formatTable(detail.deliveries, [
      { header: 'delivery', value: (delivery) => delivery.deliveryId },
      { header: 'channel', value: (delivery) => delivery.channelId },
      { header: 'status', value: (delivery) => delivery.status },
      { header: 'attempts', value: (delivery) => delivery.attemptCount, align: 'right' },
      { header: 'reason', value: (delivery) => delivery.reason },
      {
        header: 'digest',
        value: (delivery) =>
          delivery.digest === undefined
            ? undefined
            : `${delivery.digest.deliveryId} (${delivery.digest.status}${delivery.digest.period === undefined ? '' : `, period ending ${delivery.digest.period.end}`})`,
      },
    ]),
  );
  // A notification that went into a digest was sent with the digest's attempts.
  const attempts = detail.deliveries.flatMap((delivery) =>
    (delivery.digest?.attempts ?? delivery.attempts).map((attempt) => ({
      channelId: delivery.channelId,
      ...attempt,
    })),
  );
  if (attempts.length === 0) return;
  out.line();
  out.line('Attempts');
  out.line(
    formatTable(attempts, [
      { header: 'channel', value: (attempt) => attempt.channelId },
      { header: '#', value: (attempt) => attempt.attempt, align: 'right' },
      { header: 'at', value: (attempt) => attempt.at },
      { header: 'outcome', value: (attempt) => attempt.outcome },
      { header: 'http', value: (attempt) => attempt.httpStatus, align: 'right' },
      {
        header: 'latency',
        value: (attempt) => (attempt.latencyMs == null ? undefined : `${attempt.latencyMs} ms`),
        align: 'right',
      },
      { header: 'error', value: (attempt) => attempt.error },
    ]),
  );
};

export const registerEvents = (program: Command, context: CliContext): void => {
  const events = program.command('events').description('inspect events');
  events
    .command('get <id>')
    .description('show an event, its deliveries and their attempts')
    .action(async (id: string, _options: object, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const detail = await out.progress(`Reading event ${id}`, () => client.getEvent(id));
      if (out.json) return out.printJson(detail);
      printEvent(out, detail);
    });
};
