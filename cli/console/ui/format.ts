/** How the console writes statuses, times and durations. */
import { type Child, h } from './dom.ts';

/** The statuses the console knows how to order and name; any other string the API answers is shown as is. */
export const KNOWN_STATUSES = [
  'delivered',
  'pending',
  'dead',
  'suppressed',
  'digested',
  'collecting',
  'failed',
] as const;

const STATUS_LABELS: Readonly<Record<string, string>> = {
  pending: 'retrying (pending)',
  digested: 'digested (in a digest)',
  collecting: 'collecting (open digest)',
};

export const statusLabel = (status: string): string => STATUS_LABELS[status] ?? status;

/** Known statuses first in their order, then the others alphabetically. */
export const orderStatuses = (statuses: Iterable<string>): string[] => {
  const rank = (status: string) => {
    const at = (KNOWN_STATUSES as readonly string[]).indexOf(status);
    return at === -1 ? KNOWN_STATUSES.length : at;
  };
  return [...new Set(statuses)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
};

const cssName = (value: string): string => value.toLowerCase().replace(/[^a-z0-9-]/g, '');

/** A status (or attempt outcome) as a badge; its class names the colour, the text says it. */
export const badge = (status: string): HTMLElement =>
  h('span', { class: `badge badge-${cssName(status)}` }, statusLabel(status));

/** `2026-12-07 16:10:11 UTC`, or `-`. */
export const time = (iso: string | null | undefined): Child => {
  if (iso === null || iso === undefined || iso === '') return '-';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const text = `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return h('time', { datetime: date.toISOString() }, text);
};

/** `84 ms`, `1.2 s`, `3.5 min`. */
export const duration = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
};

export const channelLink = (id: string | null | undefined): Child =>
  id === null || id === undefined ? '-' : h('a', { href: `#/channels/${encodeURIComponent(id)}` }, id);

export const eventLink = (id: string | null | undefined): Child =>
  id === null || id === undefined ? '-' : h('a', { href: `#/events/${encodeURIComponent(id)}` }, id);

/** `environment=production branch=!main|!release-*`. */
export const matchText = (match: Readonly<Record<string, string | readonly string[]>> | undefined): string =>
  Object.entries(match ?? {})
    .map(
      ([attribute, pattern]) => `${attribute}=${typeof pattern === 'string' ? pattern : pattern.join('|')}`,
    )
    .join(' ');

/** Any value as short text (arrays joined, objects as JSON). */
export const plain = (value: unknown): string => {
  if (value === undefined || value === null) return '-';
  if (Array.isArray(value)) return value.map(plain).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
};
