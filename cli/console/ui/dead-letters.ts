/** Dead letters: the list with reasons and counts, redrive all, one channel's, or one delivery. */
import type { DeadLetter, DeadLetterPage, RedriveResult } from '../../client.ts';
import { api, query } from './api.ts';
import { announce, type Child, h, replace, table } from './dom.ts';
import { channelLink, eventLink, time } from './format.ts';
import { errorBox } from './shared.ts';

const resultText = (result: RedriveResult): string =>
  `Redriven ${result.redriven}, skipped ${result.skipped}${result.status === 'running' ? ' so far (still running)' : ''}.`;

/** A button that redrives `what` and shows `{redriven, skipped}`. */
const redriveButton = (
  label: string,
  what: Record<string, unknown>,
  out: HTMLElement,
  name?: string,
): HTMLElement => {
  const button = h('button', { type: 'button', 'aria-label': name }, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    replace(out, 'Redriving…');
    try {
      const result = await api<RedriveResult>('/dead-letters/redrive', what);
      replace(out, h('p', { class: 'ok' }, resultText(result)));
      announce(resultText(result));
    } catch (error) {
      replace(out, errorBox(error));
    } finally {
      button.disabled = false;
    }
  });
  return button;
};

export const renderDeadLetters = async (params: URLSearchParams): Promise<Child> => {
  const channel = params.get('channel') ?? undefined;
  const page = await api<DeadLetterPage>(
    `/dead-letters${query({ channel, nextToken: params.get('nextToken') ?? undefined })}`,
  );
  const out = h('div', { class: 'result', id: 'redrive-result', role: 'status', 'aria-live': 'polite' });
  const byChannel = Object.entries(page.counts?.byChannel ?? {}).sort((a, b) => b[1] - a[1]);
  return [
    h('h1', { tabindex: -1 }, channel === undefined ? 'Dead letters' : `Dead letters of ${channel}`),
    h(
      'p',
      {},
      page.counts === undefined
        ? null
        : `${page.counts.total}${page.counts.truncated ? '+' : ''} dead letter${page.counts.total === 1 ? '' : 's'}. `,
      `SQS dead-letter queue: ${page.queue?.approximateMessages ?? '-'}; events never routed: ${page.ingest?.approximateMessages ?? '-'}.`,
    ),
    h(
      'div',
      { class: 'actions' },
      channel === undefined
        ? redriveButton('Redrive all', {}, out)
        : [
            redriveButton(`Redrive ${channel}`, { channel }, out),
            h('a', { href: '#/dead-letters' }, 'All channels'),
          ],
    ),
    out,
    channel === undefined
      ? [
          h('h2', {}, 'By channel'),
          table(
            'Dead letters by channel',
            [
              { header: 'Channel', cell: (row: [string, number]) => channelLink(row[0]) },
              {
                header: 'Dead letters',
                cell: (row) =>
                  h('a', { href: `#/dead-letters${query({ channel: row[0] })}` }, String(row[1])),
              },
              {
                header: 'Redrive',
                cell: (row) =>
                  redriveButton('Redrive', { channel: row[0] }, out, `Redrive channel ${row[0]}`),
              },
            ],
            byChannel,
            'No dead letters.',
          ),
        ]
      : null,
    h('h2', {}, 'Newest first'),
    table(
      'Dead letters',
      [
        { header: 'Dead since', cell: (row: DeadLetter) => time(row.deadLetteredAt) },
        { header: 'Channel', cell: (row) => channelLink(row.channelId) },
        { header: 'Event', cell: (row) => eventLink(row.eventId) },
        { header: 'Type', cell: (row) => row.eventType ?? '-' },
        { header: 'Reason', cell: (row) => row.reason ?? '-' },
        { header: 'Attempts', cell: (row) => row.attemptCount ?? '-' },
        {
          header: 'Redrive',
          cell: (row) =>
            row.deliveryId
              ? redriveButton(
                  'Redrive',
                  { deliveryIds: [row.deliveryId] },
                  out,
                  `Redrive delivery ${row.deliveryId}`,
                )
              : '-',
        },
      ],
      page.items,
      'No dead letters.',
    ),
    page.nextToken
      ? h(
          'p',
          {},
          h('a', { href: `#/dead-letters${query({ channel, nextToken: page.nextToken })}` }, 'Next page'),
        )
      : null,
  ];
};
