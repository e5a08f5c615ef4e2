/** Channels: the list with their newest delivery, and a channel's page with Send Test and enable/disable. */
import type { TestResult } from '../../client.ts';
import type { ChannelDetailAnswer, ChannelListAnswer, ChannelRow, EnabledAnswer } from '../api.ts';
import { api, query } from './api.ts';
import { announce, type Child, fields, h, replace, table } from './dom.ts';
import { badge, channelLink, duration, plain, time } from './format.ts';
import { deliveryColumns, errorBox } from './shared.ts';

const enabledBadge = (enabled: boolean, reason?: string): Child =>
  enabled
    ? badge('enabled')
    : [badge('disabled'), reason === undefined ? null : h('span', { class: 'reason' }, ` ${reason}`)];

export const renderChannels = async (params: URLSearchParams): Promise<Child> => {
  const answer = await api<ChannelListAnswer>(
    `/channels${query({ nextToken: params.get('nextToken') ?? undefined })}`,
  );
  return [
    h('h1', { tabindex: -1 }, 'Channels'),
    table(
      'Channels',
      [
        { header: 'Channel', cell: (row: ChannelRow) => channelLink(row.id) },
        { header: 'Type', cell: (row) => row.type },
        { header: 'Target', cell: (row) => row.target ?? '-' },
        { header: 'Enabled', cell: (row) => enabledBadge(row.enabled, row.disabledReason) },
        {
          header: 'Last delivery',
          cell: (row) =>
            row.lastDelivery === null
              ? 'none yet'
              : [badge(row.lastDelivery.status), ' ', time(row.lastDelivery.createdAt)],
        },
      ],
      answer.items,
      'No channels yet: add some with herald apply.',
    ),
    answer.nextToken === null
      ? null
      : h('p', {}, h('a', { href: `#/channels${query({ nextToken: answer.nextToken })}` }, 'Next page')),
  ];
};

const testResultText = (result: TestResult): string => {
  const parts = [
    result.status === null ? 'no status' : `HTTP ${result.status}`,
    duration(result.latencyMs),
    ...(result.messageId ? [`message id ${result.messageId}`] : []),
  ].join(', ');
  return result.ok ? `✔ delivered (${parts})` : `✘ failed: ${result.error ?? 'refused'} (${parts})`;
};

export const renderChannel = async (id: string): Promise<Child> => {
  const answer = await api<ChannelDetailAnswer>(`/channels/${encodeURIComponent(id)}`);
  const { channel } = answer;
  const result = h('div', { class: 'result', id: 'test-result', role: 'status', 'aria-live': 'polite' });
  const enableResult = h('div', { class: 'result', role: 'status', 'aria-live': 'polite' });
  const testButton = h('button', { type: 'button', class: 'primary' }, 'Send test');
  testButton.addEventListener('click', async () => {
    testButton.disabled = true;
    replace(result, 'Sending a test notification…');
    try {
      const test = await api<TestResult>(`/channels/${encodeURIComponent(id)}/test`, {});
      replace(result, h('p', { class: test.ok ? 'ok' : 'bad' }, testResultText(test)));
      announce(testResultText(test));
    } catch (error) {
      replace(result, errorBox(error));
    } finally {
      testButton.disabled = false;
    }
  });
  const toggle = h('button', { type: 'button' }, channel.enabled ? 'Disable' : 'Enable');
  toggle.addEventListener('click', async () => {
    toggle.disabled = true;
    try {
      const written = await api<EnabledAnswer>(`/channels/${encodeURIComponent(id)}/enabled`, {
        enabled: !channel.enabled,
      });
      announce(`Channel ${id} ${written.channel.enabled ? 'enabled' : 'disabled'}`);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (error) {
      replace(enableResult, errorBox(error));
      toggle.disabled = false;
    }
  });
  return [
    h('p', { class: 'crumbs' }, h('a', { href: '#/channels' }, 'Channels'), ' / ', id),
    h('h1', { tabindex: -1 }, `Channel ${id}`),
    fields([
      ['Type', channel.type],
      ['Target', channel.target ?? '-'],
      ['Enabled', enabledBadge(channel.enabled, channel.disabledReason)],
      ['Description', channel.description],
      ['Own events', channel.events === undefined ? undefined : plain(channel.events)],
      ['Retry', channel.retry === undefined ? undefined : plain(channel.retry)],
      ['Rate limit', channel.rateLimit === undefined ? undefined : plain(channel.rateLimit)],
      ['Updated', time(channel.updatedAt)],
      ['ETag', channel.etag],
    ]),
    h('div', { class: 'actions' }, testButton, toggle),
    result,
    enableResult,
    h('h2', {}, 'Configuration'),
    answer.config.length === 0
      ? h('p', { class: 'empty' }, 'No settings.')
      : fields(
          answer.config.map((field) => [
            field.key,
            field.secret ? h('span', { class: 'secret' }, field.text) : h('code', {}, field.text),
          ]),
        ),
    h('h2', {}, 'Recent deliveries'),
    table(
      'Recent deliveries',
      deliveryColumns.filter((column) => column.header !== 'Channel'),
      answer.deliveries,
      'No deliveries yet.',
    ),
    h('p', {}, h('a', { href: `#/deliveries${query({ channel: id })}` }, 'All deliveries of this channel')),
  ];
};
