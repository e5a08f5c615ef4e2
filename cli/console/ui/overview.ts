/** Overview: deliveries by status over time, latency, dead letters, disabled channels. */
import type { OverviewAnswer } from '../api.ts';
import type { Bucket } from '../overview.ts';
import { api, query } from './api.ts';
import { type Child, h, svg, table } from './dom.ts';
import { badge, channelLink, duration, orderStatuses, statusLabel } from './format.ts';

const CHART_HEIGHT = 160;
const BAR_GAP = 2;

/** Stacked bars of the statuses per bucket; a table below says the same for screen readers. */
const chart = (buckets: readonly Bucket[], statuses: readonly string[], bucketMs: number): Child => {
  const most = Math.max(
    1,
    ...buckets.map((bucket) => Object.values(bucket.counts).reduce((a, b) => a + b, 0)),
  );
  const width = 24;
  const bars = buckets.map((bucket, at) => {
    let top = CHART_HEIGHT;
    const label = `${new Date(bucket.start).toISOString().slice(11, 16)} UTC: ${
      statuses.map((status) => `${bucket.counts[status] ?? 0} ${statusLabel(status)}`).join(', ') || 'none'
    }`;
    return svg(
      'g',
      {},
      svg('title', {}, label),
      statuses.map((status) => {
        const count = bucket.counts[status] ?? 0;
        if (count === 0) return null;
        const height = (count / most) * (CHART_HEIGHT - 4);
        top -= height;
        return svg('rect', {
          x: at * width + BAR_GAP / 2,
          y: top,
          width: width - BAR_GAP,
          height,
          class: `bar bar-${status.replace(/[^a-z0-9-]/g, '')}`,
        });
      }),
    );
  });
  const first = buckets[0]?.start ?? '';
  const last = buckets.at(-1)?.start ?? '';
  const minutes = bucketMs / 60_000;
  return h(
    'figure',
    { class: 'chart' },
    svg(
      'svg',
      {
        viewBox: `0 0 ${buckets.length * width} ${CHART_HEIGHT}`,
        preserveAspectRatio: 'none',
        role: 'img',
        'aria-label': `Deliveries per ${minutes >= 60 ? `${minutes / 60} h` : `${minutes} min`} by status`,
      },
      svg('line', {
        x1: 0,
        x2: buckets.length * width,
        y1: CHART_HEIGHT - 0.5,
        y2: CHART_HEIGHT - 0.5,
        class: 'axis',
      }),
      bars,
    ),
    h(
      'figcaption',
      {},
      h('span', {}, `${first.slice(11, 16)} UTC`),
      h(
        'span',
        { class: 'legend' },
        statuses.map((status) =>
          h(
            'span',
            {},
            h('span', { class: `swatch bar-${status.replace(/[^a-z0-9-]/g, '')}` }),
            statusLabel(status),
          ),
        ),
      ),
      h('span', {}, `${last.slice(11, 16)} UTC`),
    ),
  );
};

const tile = (label: string, value: Child, href?: string): HTMLElement =>
  h(
    'div',
    { class: 'tile' },
    h(
      'div',
      { class: 'tile-value' },
      href === undefined ? value : h('a', { class: 'tile-link', href }, value),
    ),
    h('div', { class: 'tile-label' }, label),
  );

export const renderOverview = async (params: URLSearchParams): Promise<Child> => {
  const window = params.get('window') === '24h' ? '24h' : '1h';
  const answer = await api<OverviewAnswer>(`/overview${query({ window })}`);
  const figures = answer.deliveries;
  const statuses = orderStatuses([
    'delivered',
    'pending',
    'dead',
    'suppressed',
    'digested',
    ...Object.keys(figures.totals),
  ]);
  const since = figures.from;
  const deliveriesHref = (status: string) => `#/deliveries${query({ status, since })}`;
  return [
    h('h1', { tabindex: -1 }, 'Overview'),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Time window' },
      (['1h', '24h'] as const).map((name) =>
        h(
          'a',
          {
            class: 'tab',
            href: `#/${query({ window: name })}`,
            'aria-current': name === window ? 'page' : undefined,
          },
          name === '1h' ? 'Last hour' : 'Last day',
        ),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'by-status' },
      h('h2', { id: 'by-status' }, `Deliveries in the last ${window === '1h' ? 'hour' : 'day'}`),
      h(
        'div',
        { class: 'tiles' },
        statuses.map((status) =>
          tile(statusLabel(status), figures.totals[status] ?? 0, deliveriesHref(status)),
        ),
        tile('p50 delivery latency', duration(figures.latencyMs?.p50)),
        tile('p95 delivery latency', duration(figures.latencyMs?.p95)),
      ),
      chart(figures.buckets, statuses, figures.bucketMs),
      h(
        'p',
        { class: 'note' },
        `${figures.scanned} deliveries read${figures.truncated ? ' (the window holds more: figures cover the newest only)' : ''}; latency is from a delivery's creation to its delivery, retries included${
          figures.latencyMs === null ? '' : `, over ${figures.latencyMs.count} delivered`
        }.`,
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'health' },
      h('h2', { id: 'health' }, 'Dead letters and channels'),
      h(
        'div',
        { class: 'tiles' },
        tile(
          'dead letters',
          `${answer.deadLetters?.total ?? 0}${answer.deadLetters?.truncated ? '+' : ''}`,
          '#/dead-letters',
        ),
        tile('in the SQS dead-letter queue', answer.deadLetterQueue ?? '-'),
        tile('events never routed', answer.ingestDeadLetters ?? '-'),
        tile(
          'channels disabled',
          `${answer.channels.disabled.length} of ${answer.channels.total}`,
          '#/channels',
        ),
      ),
      table(
        'Disabled channels',
        [
          {
            header: 'Channel',
            cell: (row: OverviewAnswer['channels']['disabled'][number]) => channelLink(row.id),
          },
          { header: 'Status', cell: () => badge('disabled') },
          { header: 'Reason', cell: (row) => row.disabledReason ?? 'disabled by its configuration' },
        ],
        answer.channels.disabled,
        'No channel is disabled.',
      ),
    ),
  ];
};
