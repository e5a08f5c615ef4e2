/** Text helpers every renderer shares: cutting to a provider's limit, severity colours, links. */
import type { HeraldEvent, Severity } from '../domain/event.ts';

export const ELLIPSIS = '…';

/**
 * Cuts text to at most `max` UTF-16 code units (what providers' limits count, or fewer), ending with
 * an ellipsis when cut, and never between the two halves of a surrogate pair.
 */
export const truncate = (text: string, max: number): string => {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let end = max - ELLIPSIS.length;
  if (end <= 0) return ELLIPSIS.slice(0, max);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}${ELLIPSIS}`;
};

/** One line: CR, LF and other line breaks become spaces. */
export const oneLine = (text: string): string => text.replace(/[\r\n\u2028\u2029]+/g, ' ');

/** Severity colours, the same on every channel: blue, amber, red, dark red. */
export const SEVERITY_COLORS: Readonly<Record<Severity, string>> = {
  info: '#2F80ED',
  warning: '#F2A900',
  error: '#E5484D',
  critical: '#8B0000',
};

/** A colour as the integer Discord takes. */
export const colorNumber = (hex: string): number => Number.parseInt(hex.slice(1), 16);

const LINK_KEYS = ['url', 'link', 'href'] as const;

const isWebUrl = (value: unknown): value is string => {
  if (typeof value !== 'string' || value.length > 2048) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
};

/**
 * The link an event carries, if any: the first http(s) URL among the attributes `url`, `link`, `href`,
 * then the same keys at the top of `data`.
 */
export const eventLink = (event: HeraldEvent): string | undefined => {
  for (const key of LINK_KEYS) if (isWebUrl(event.attributes[key])) return event.attributes[key];
  const data = event.data;
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
    for (const key of LINK_KEYS) {
      const value = (data as Record<string, unknown>)[key];
      if (isWebUrl(value)) return value;
    }
  }
  return undefined;
};

/** `data` as indented JSON, cut to `max`; empty when the event has none. */
export const dataText = (event: HeraldEvent, max: number): string =>
  event.data === undefined ? '' : truncate(JSON.stringify(event.data, null, 2), max);

/**
 * The largest n in [low, high] for which `ok(n)` holds, assuming it holds for every smaller n and for
 * `low` (unchecked); `low` when no larger one does.
 */
export const largestFitting = (high: number, ok: (n: number) => boolean, low = 0): number => {
  let bottom = low;
  let top = high;
  while (bottom < top) {
    const middle = Math.ceil((bottom + top) / 2);
    if (ok(middle)) bottom = middle;
    else top = middle - 1;
  }
  return bottom;
};
