/** Pieces several pages use: the error box and the deliveries table's columns. */
import type { DeliverySummary } from '../../client.ts';
import { ConsoleApiError } from './api.ts';
import { type Child, h } from './dom.ts';
import { badge, channelLink, eventLink, time } from './format.ts';

/** An error as the page shows it: the API's code and message, and each field detail. */
export const errorBox = (error: unknown): HTMLElement => {
  if (error instanceof ConsoleApiError) {
    return h(
      'div',
      { class: 'error', role: 'alert' },
      h('p', {}, h('strong', {}, `${error.status} ${error.code}`), `: ${error.message}`),
      error.details.length === 0
        ? null
        : h(
            'ul',
            {},
            error.details.map((detail) =>
              h('li', {}, detail.path === '' ? '' : h('code', {}, detail.path), ` ${detail.message}`),
            ),
          ),
    );
  }
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('p', {}, error instanceof Error ? error.message : String(error)),
  );
};

export const deliveryColumns: readonly {
  readonly header: string;
  readonly cell: (row: DeliverySummary) => Child;
}[] = [
  { header: 'Created', cell: (row) => time(row.createdAt) },
  { header: 'Status', cell: (row) => badge(row.status) },
  { header: 'Channel', cell: (row) => channelLink(row.channelId) },
  { header: 'Event', cell: (row) => eventLink(row.eventId) },
  { header: 'Attempts', cell: (row) => row.attemptCount },
  { header: 'Reason', cell: (row) => row.reason ?? '' },
];
