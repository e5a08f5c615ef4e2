/** Silences (create, expire) and the audit log. */
import type { AuditEntry, Page, SilenceView } from '../../client.ts';
import { api, query } from './api.ts';
import { announce, type Child, h, replace, table } from './dom.ts';
import { badge, matchText, plain, time } from './format.ts';
import { errorBox } from './shared.ts';

const list = (text: string): string[] =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');

const field = (id: string, label: string, hint: string, input: HTMLElement): HTMLElement =>
  h('div', {}, h('label', { for: id }, label), input, h('small', { id: `${id}-hint` }, hint));

const createForm = (): HTMLElement => {
  const input = (id: string, value = '') => {
    const element = h('input', { id, name: id, autocomplete: 'off', 'aria-describedby': `${id}-hint` });
    element.value = value;
    return element;
  };
  const duration = input('silence-for', '1h');
  const events = input('silence-events');
  const match = input('silence-match');
  const channels = input('silence-channels');
  const comment = input('silence-comment');
  const out = h('div', { class: 'result', role: 'status', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Create a silence' },
    field('silence-for', 'For', 'a duration: 30m, 2h, 1d', duration),
    field('silence-events', 'Event types', 'globs, comma-separated (default: all)', events),
    field('silence-match', 'Match', 'attribute=pattern, comma-separated', match),
    field('silence-channels', 'Channels', 'ids, comma-separated (default: all)', channels),
    field('silence-comment', 'Comment', 'why', comment),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create silence')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const created = await api<SilenceView>('/silences', {
        for: duration.value.trim(),
        events: list(events.value),
        match: list(match.value),
        channels: list(channels.value),
        ...(comment.value.trim() === '' ? {} : { comment: comment.value.trim() }),
      });
      announce(`Silence ${created.id} created`);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (error) {
      replace(out, errorBox(error));
    }
  });
  return h(
    'section',
    { 'aria-labelledby': 'new-silence' },
    h('h2', { id: 'new-silence' }, 'New silence'),
    form,
    out,
  );
};

const expireButton = (silence: SilenceView, out: HTMLElement): Child => {
  if (silence.status === 'expired') return '-';
  const button = h('button', { type: 'button', 'aria-label': `Expire silence ${silence.id}` }, 'Expire');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await api<SilenceView>(`/silences/${encodeURIComponent(silence.id)}/expire`, {});
      announce(`Silence ${silence.id} expired`);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (error) {
      replace(out, errorBox(error));
      button.disabled = false;
    }
  });
  return button;
};

export const renderSilences = async (): Promise<Child> => {
  const { items } = await api<{ items: SilenceView[] }>('/silences');
  const out = h('div', { class: 'result', role: 'status', 'aria-live': 'polite' });
  const order = { active: 0, pending: 1, expired: 2 } as const;
  const sorted = [...items].sort((a, b) => order[a.status] - order[b.status] || a.id.localeCompare(b.id));
  return [
    h('h1', { tabindex: -1 }, 'Silences'),
    out,
    table(
      'Silences',
      [
        { header: 'Silence', cell: (row: SilenceView) => row.id },
        { header: 'Status', cell: (row) => badge(row.status) },
        { header: 'Events', cell: (row) => plain(row.events ?? ['*']) },
        { header: 'Match', cell: (row) => matchText(row.match) || '-' },
        { header: 'Channels', cell: (row) => plain(row.channels ?? 'all') },
        {
          header: 'Ends',
          cell: (row) =>
            row.schedule === undefined ? time(row.endsAt) : `windows in ${row.schedule.timezone}`,
        },
        { header: 'Comment', cell: (row) => row.comment ?? '' },
        { header: '', cell: (row) => expireButton(row, out) },
      ],
      sorted,
      'No silences.',
    ),
    createForm(),
  ];
};

export const renderAudit = async (params: URLSearchParams): Promise<Child> => {
  const page = await api<Page<AuditEntry>>(
    `/audit${query({ nextToken: params.get('nextToken') ?? undefined })}`,
  );
  return [
    h('h1', { tabindex: -1 }, 'Audit log'),
    h('p', { class: 'note' }, 'Every admin write and signing-secret read, newest first.'),
    table(
      'Audit log',
      [
        { header: 'At', cell: (row: AuditEntry) => time(row.at) },
        { header: 'Who', cell: (row) => h('code', {}, row.principal.arn) },
        { header: 'Route', cell: (row) => row.route },
        { header: 'Resource', cell: (row) => row.resourceId ?? '-' },
        { header: 'Status', cell: (row) => (row.status === null ? 'unknown' : String(row.status)) },
        { header: 'Fields', cell: (row) => row.fields.join(', ') },
      ],
      page.items,
      'Nothing audited yet.',
    ),
    page.nextToken
      ? h('p', {}, h('a', { href: `#/audit${query({ nextToken: page.nextToken })}` }, 'Next page'))
      : null,
  ];
};
