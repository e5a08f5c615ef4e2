/**
 * The console in the browser: a hash router over the pages. Each page is rendered from the console
 * server's `/api/*` answers into `<main>`; navigation moves the focus to the page's heading.
 */
import { renderChannel, renderChannels } from './channels.ts';
import { renderDeadLetters } from './dead-letters.ts';
import { renderDeliveries, renderEvent } from './deliveries.ts';
import { type Child, h, replace } from './dom.ts';
import { renderOverview } from './overview.ts';
import { renderPolicies, renderPolicy } from './policies.ts';
import { errorBox } from './shared.ts';
import { renderAudit, renderSilences } from './silences.ts';

const SECTIONS = [
  ['', 'Overview'],
  ['channels', 'Channels'],
  ['policies', 'Policies'],
  ['deliveries', 'Deliveries'],
  ['dead-letters', 'Dead letters'],
  ['silences', 'Silences'],
  ['audit', 'Audit log'],
] as const;

/** `#/channels/ops?x=1` → `['channels', 'ops']` and its parameters. */
const parseHash = (): { parts: string[]; params: URLSearchParams } => {
  const [path = '', search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return {
    parts: path
      .split('/')
      .filter((part) => part !== '')
      .map(decodeURIComponent),
    params: new URLSearchParams(search),
  };
};

const route = (parts: readonly string[], params: URLSearchParams): Promise<Child> => {
  const [section = '', id] = parts;
  switch (section) {
    case '':
      return renderOverview(params);
    case 'channels':
      return id === undefined ? renderChannels(params) : renderChannel(id);
    case 'policies':
      return id === undefined ? renderPolicies() : renderPolicy(id);
    case 'deliveries':
      return renderDeliveries(params);
    case 'events':
      return id === undefined ? renderDeliveries(params) : renderEvent(id);
    case 'dead-letters':
      return renderDeadLetters(params);
    case 'silences':
      return renderSilences();
    case 'audit':
      return renderAudit(params);
    default:
      return Promise.resolve([
        h('h1', { tabindex: -1 }, 'Not found'),
        h('p', {}, h('a', { href: '#/' }, 'Back to the overview')),
      ]);
  }
};

let rendering = 0;

const render = async (): Promise<void> => {
  const main = document.getElementById('main');
  const nav = document.getElementById('nav');
  if (main === null || nav === null) return;
  const { parts, params } = parseHash();
  const section = parts[0] === 'events' ? 'deliveries' : (parts[0] ?? '');
  replace(
    nav,
    SECTIONS.map(([path, label]) =>
      h(
        'li',
        {},
        h(
          'a',
          { class: 'nav-link', href: `#/${path}`, 'aria-current': path === section ? 'page' : undefined },
          label,
        ),
      ),
    ),
  );
  const current = ++rendering;
  main.setAttribute('aria-busy', 'true');
  let content: Child;
  try {
    content = await route(parts, params);
  } catch (error) {
    content = [h('h1', { tabindex: -1 }, 'Something went wrong'), errorBox(error)];
  }
  if (current !== rendering) return;
  replace(main, content);
  main.removeAttribute('aria-busy');
  const heading = main.querySelector('h1');
  document.title = `${heading?.textContent ?? 'Herald'} · Herald console`;
  if (document.activeElement !== document.body && document.activeElement !== null)
    heading?.focus({ preventScroll: true });
};

window.addEventListener('hashchange', () => void render());
void render();
