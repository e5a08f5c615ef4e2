/** Policies: the list, a policy's page, and "what would match" (the router's matcher, run by the console server). */
import type { PolicyView } from '../../client.ts';
import type { MatchAnswer } from '../match.ts';
import { api } from './api.ts';
import { announce, type Child, fields, h, replace, table } from './dom.ts';
import { badge, channelLink, matchText, plain, time } from './format.ts';
import { errorBox } from './shared.ts';

const SAMPLE_EVENT = {
  type: 'deploy.finished',
  source: 'ci',
  severity: 'info',
  subject: 'Deployed api',
  attributes: { environment: 'production' },
};

const channelLinks = (ids: readonly string[]): Child =>
  ids.map((id, at) => [at === 0 ? '' : ', ', channelLink(id)]);

/** The "what would match" box: paste an event, see the policies and channels it reaches now. */
const matchBox = (): HTMLElement => {
  const textarea = h('textarea', { id: 'match-event', rows: 8, spellcheck: 'false' });
  textarea.value = JSON.stringify(SAMPLE_EVENT, null, 2);
  const result = h('div', { class: 'result', id: 'match-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'match' },
    h('label', { for: 'match-event' }, 'Event (JSON, as a producer sends it)'),
    textarea,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'What would match')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(textarea.value);
    } catch {
      replace(result, errorBox(new Error('The event is not valid JSON.')));
      return;
    }
    replace(result, 'Matching…');
    try {
      const answer = await api<MatchAnswer>('/match', { event: parsed });
      const summary =
        answer.routes.length === 0
          ? 'No policy or channel takes this event.'
          : `Reaches ${answer.routes.length} channel${answer.routes.length === 1 ? '' : 's'}.`;
      replace(
        result,
        h(
          'p',
          {},
          h('strong', {}, summary),
          ` Checked against ${answer.policies} policies and ${answer.channels} channels as they are now.`,
        ),
        table(
          'Channels the event reaches',
          [
            { header: 'Channel', cell: (row: MatchAnswer['routes'][number]) => channelLink(row.channelId) },
            {
              header: 'Because of',
              cell: (row) =>
                row.policyIds.map((id, at) => [
                  at === 0 ? '' : ', ',
                  id.startsWith('channel:')
                    ? "the channel's own events"
                    : h('a', { href: `#/policies/${encodeURIComponent(id)}` }, id),
                ]),
            },
            {
              header: 'Silenced',
              cell: (row) => (row.silencedBy === undefined ? 'no' : `yes, by ${row.silencedBy}`),
            },
          ],
          answer.routes,
          '',
        ),
        answer.missingChannels.length === 0
          ? null
          : h(
              'p',
              { class: 'bad' },
              `Named by a matching policy but missing or disabled: ${answer.missingChannels.join(', ')}`,
            ),
      );
      announce(summary);
    } catch (error) {
      replace(result, errorBox(error));
    }
  });
  return h(
    'section',
    { 'aria-labelledby': 'match-heading' },
    h('h2', { id: 'match-heading' }, 'What would match'),
    form,
    result,
  );
};

export const renderPolicies = async (): Promise<Child> => {
  const { items } = await api<{ items: PolicyView[] }>('/policies');
  return [
    h('h1', { tabindex: -1 }, 'Policies'),
    table(
      'Policies',
      [
        {
          header: 'Policy',
          cell: (row: PolicyView) => h('a', { href: `#/policies/${encodeURIComponent(row.id)}` }, row.id),
        },
        { header: 'Enabled', cell: (row) => badge(row.enabled === false ? 'disabled' : 'enabled') },
        { header: 'Events', cell: (row) => plain(row.events ?? ['*']) },
        { header: 'Match', cell: (row) => matchText(row.match) || '-' },
        { header: 'Min severity', cell: (row) => row.minSeverity ?? 'info' },
        { header: 'Channels', cell: (row) => channelLinks(row.channels) },
      ],
      items,
      'No policies yet: add some with herald apply.',
    ),
    matchBox(),
  ];
};

export const renderPolicy = async (id: string): Promise<Child> => {
  const policy = await api<PolicyView>(`/policies/${encodeURIComponent(id)}`);
  return [
    h('p', { class: 'crumbs' }, h('a', { href: '#/policies' }, 'Policies'), ' / ', id),
    h('h1', { tabindex: -1 }, `Policy ${id}`),
    fields([
      ['Enabled', badge(policy.enabled === false ? 'disabled' : 'enabled')],
      ['Description', policy.description],
      ['Events', plain(policy.events ?? ['*'])],
      ['Match', matchText(policy.match) || 'every event of those types'],
      ['Min severity', policy.minSeverity ?? 'info'],
      ['Routes to', channelLinks(policy.channels)],
      ['Dedup window', policy.dedupWindow === undefined ? undefined : `${plain(policy.dedupWindow)} s`],
      ['Updated', time(policy.updatedAt)],
      ['ETag', policy.etag],
    ]),
    matchBox(),
  ];
};
