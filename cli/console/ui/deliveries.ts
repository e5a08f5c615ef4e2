/** Events and deliveries: search by event id, filter deliveries page by page, an event's attempt timeline. */
import type { DeliverySummary, EventDetail, Page } from '../../client.ts';
import { api, query } from './api.ts';
import { type Child, fields, h, replace, table } from './dom.ts';
import { badge, channelLink, duration, KNOWN_STATUSES, plain, statusLabel, time } from './format.ts';
import { deliveryColumns, errorBox } from './shared.ts';

const SINCE_CHOICES = [
  ['', 'any time'],
  ['15m', 'last 15 minutes'],
  ['1h', 'last hour'],
  ['24h', 'last day'],
  ['7d', 'last 7 days'],
] as const;
const SINCE_MS: Readonly<Record<string, number>> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
};

/** `since` in the page's address is either a choice (`1h`) or an ISO time (a link from the overview). */
const sinceTime = (since: string | null): string | undefined => {
  if (since === null || since === '') return undefined;
  const ms = SINCE_MS[since];
  return ms === undefined ? since : new Date(Date.now() - ms).toISOString();
};

const searchForm = (): HTMLElement => {
  const input = h('input', {
    id: 'event-id',
    name: 'event',
    type: 'search',
    autocomplete: 'off',
    required: true,
  });
  const form = h(
    'form',
    { class: 'inline', role: 'search' },
    h('label', { for: 'event-id' }, 'Event id'),
    input,
    h('button', { type: 'submit' }, 'Find event'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = input.value.trim();
    if (id !== '') location.hash = `#/events/${encodeURIComponent(id)}`;
  });
  return form;
};

const filterForm = (params: URLSearchParams, channelIds: readonly string[]): HTMLElement => {
  const status = h('input', { id: 'filter-status', name: 'status', list: 'statuses', autocomplete: 'off' });
  status.value = params.get('status') ?? '';
  const channel = h('input', {
    id: 'filter-channel',
    name: 'channel',
    list: 'channel-ids',
    autocomplete: 'off',
  });
  channel.value = params.get('channel') ?? '';
  const given = params.get('since') ?? '';
  const since = h(
    'select',
    { id: 'filter-since', name: 'since' },
    SINCE_CHOICES.map(([value, label]) => h('option', { value, selected: value === given }, label)),
    SINCE_MS[given] === undefined && given !== ''
      ? h('option', { value: given, selected: true }, `since ${given}`)
      : null,
  );
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter deliveries' },
    h('div', {}, h('label', { for: 'filter-status' }, 'Status'), status),
    h(
      'datalist',
      { id: 'statuses' },
      KNOWN_STATUSES.map((value) => h('option', { value }, statusLabel(value))),
    ),
    h('div', {}, h('label', { for: 'filter-channel' }, 'Channel'), channel),
    h(
      'datalist',
      { id: 'channel-ids' },
      channelIds.map((value) => h('option', { value })),
    ),
    h('div', {}, h('label', { for: 'filter-since' }, 'Created'), since),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/deliveries${query({ status: status.value.trim(), channel: channel.value.trim(), since: since.value })}`;
  });
  return form;
};

export const renderDeliveries = async (params: URLSearchParams): Promise<Child> => {
  const filters = {
    status: params.get('status') ?? undefined,
    channel: params.get('channel') ?? undefined,
    since: sinceTime(params.get('since')),
  };
  const [first, channels] = await Promise.all([
    api<Page<DeliverySummary>>(`/deliveries${query({ ...filters, limit: '50' })}`),
    api<{ items: { id: string }[] }>('/channels?last=0&limit=100').catch(() => ({ items: [] })),
  ]);
  const rows = h(
    'div',
    { id: 'delivery-rows' },
    table('Deliveries', deliveryColumns, first.items, 'No deliveries match.'),
  );
  const more = h('div', { class: 'actions' });
  const items = [...first.items];
  const addMore = (nextToken: string | null | undefined) => {
    replace(more);
    if (nextToken === null || nextToken === undefined || nextToken === '') return;
    const button = h('button', { type: 'button' }, 'Next page');
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const page = await api<Page<DeliverySummary>>(
          `/deliveries${query({ ...filters, limit: '50', nextToken })}`,
        );
        items.push(...page.items);
        replace(rows, table('Deliveries', deliveryColumns, items, 'No deliveries match.'));
        addMore(page.nextToken);
      } catch (error) {
        replace(more, errorBox(error));
      }
    });
    more.append(button);
  };
  addMore(first.nextToken);
  return [
    h('h1', { tabindex: -1 }, 'Events and deliveries'),
    searchForm(),
    filterForm(
      params,
      channels.items.map((channel) => channel.id),
    ),
    h(
      'p',
      { class: 'note', id: 'filter-summary' },
      `Status ${filters.status ?? 'any'}, channel ${filters.channel ?? 'any'}, created ${
        filters.since === undefined ? 'any time' : `since ${filters.since.slice(0, 19).replace('T', ' ')} UTC`
      }. Newest first, by ${filters.status === undefined ? 'creation' : 'when they took the status'}.`,
    ),
    rows,
    more,
  ];
};

type Delivery = EventDetail['deliveries'][number];
type Attempt = Delivery['attempts'][number];

const timeline = (delivery: Pick<Delivery, 'deliveryId' | 'attempts'>): HTMLElement =>
  delivery.attempts.length === 0
    ? h('p', { class: 'empty' }, 'No attempt recorded yet.')
    : h(
        'ol',
        { class: 'timeline', 'aria-label': `Attempts of delivery ${delivery.deliveryId}` },
        delivery.attempts.map((attempt: Attempt) =>
          h(
            'li',
            {},
            h('div', { class: 'when' }, `Attempt ${attempt.attempt}`, ' · ', time(attempt.at)),
            h(
              'div',
              {},
              badge(attempt.outcome),
              ' ',
              attempt.httpStatus === null || attempt.httpStatus === undefined
                ? 'no HTTP status'
                : `HTTP ${attempt.httpStatus}`,
              ' · ',
              duration(attempt.latencyMs),
              typeof attempt.messageId === 'string' ? ` · message id ${attempt.messageId}` : null,
            ),
            attempt.error ? h('div', { class: 'bad' }, attempt.error) : null,
          ),
        ),
      );

export const renderEvent = async (id: string): Promise<Child> => {
  const detail = await api<EventDetail>(`/events/${encodeURIComponent(id)}`);
  const { event } = detail;
  return [
    h('p', { class: 'crumbs' }, h('a', { href: '#/deliveries' }, 'Events and deliveries'), ' / ', id),
    h('h1', { tabindex: -1 }, `Event ${id}`),
    fields([
      ['Type', event.type],
      ['Source', event.source],
      ['Subject', event.subject],
      ['Severity', event.severity],
      ['Time', time(event.time)],
      ['Accepted', time(detail.acceptedAt)],
      ['Status', badge(detail.status)],
      ['Attributes', Object.keys(event.attributes ?? {}).length === 0 ? undefined : plain(event.attributes)],
    ]),
    h('h2', {}, `Deliveries (${detail.deliveries.length})`),
    detail.deliveries.length === 0
      ? h('p', { class: 'empty' }, 'No delivery: no policy or channel took this event.')
      : null,
    detail.deliveries.map((delivery) =>
      h(
        'section',
        { class: 'delivery', 'aria-label': `Delivery to ${delivery.channelId}` },
        h('h3', {}, 'To ', channelLink(delivery.channelId), ' ', badge(delivery.status)),
        fields([
          ['Delivery id', h('code', {}, delivery.deliveryId)],
          ['Attempts', delivery.attemptCount],
          ['Reason', delivery.reason ?? undefined],
          [
            'Digest',
            delivery.digest === undefined
              ? undefined
              : [h('code', {}, delivery.digest.deliveryId), ' ', badge(delivery.digest.status)],
          ],
        ]),
        // A notification that went into a digest was sent with the digest: its attempts are the digest's.
        timeline(delivery.digest ?? delivery),
      ),
    ),
  ];
};
