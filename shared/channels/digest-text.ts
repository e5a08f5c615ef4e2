/**
 * What every channel type's digest renderer shares (SPEC §3 `digest`): an event's time in the digest's
 * zone, links safe to put in markup, lines packed into a provider's blocks, and the digest envelope cut
 * to a byte limit. Pure.
 */
import { type Digest, digestEvent } from '../domain/digest.ts';
import type { HeraldEvent } from '../domain/event.ts';
import { zonedFormat } from '../domain/time-zone.ts';
import { largestFitting, oneLine, truncate } from './text.ts';

/**
 * Most event lines a chat message (Slack, Discord, Teams) lists before "and N more": a digest is read
 * at a glance, and more lines than this only push the summary out of sight.
 */
export const MAX_CHAT_DIGEST_LINES = 100;

/** Longest subject a line shows: an event's own subject limit (SPEC §1). */
export const DIGEST_SUBJECT_CHARS = 256;
/** Longest source or type a line shows (SPEC §1: 128). */
export const DIGEST_NAME_CHARS = 128;

/** `07 Dec 09:14`: an event's time in the digest's zone; the text itself (cut) when it is not a date. */
export const entryTimeText = (time: string, timezone: string): string => {
  const millis = Date.parse(time);
  if (!Number.isFinite(millis)) return truncate(oneLine(time), 64);
  const format = zonedFormat('en-GB', timezone, {
    day: '2-digit',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return format.format(new Date(millis)).replace(',', '');
};

/** What a URL may hold to go into Slack, Discord, Teams or HTML markup without breaking out of it. */
const SAFE_LINK = /^https?:\/\/[^\s<>|()[\]{}"'`\\]+$/;
const MAX_LINK_CHARS = 2048;

/**
 * The link when it is an http(s) URL of at most 2048 characters with nothing that could end the
 * markup around it (spaces, quotes, brackets, `|`, `<`, `>`); undefined otherwise (the line shows
 * none).
 */
export const markupSafeLink = (link: string | undefined): string | undefined => {
  if (link === undefined || link.length > MAX_LINK_CHARS || !SAFE_LINK.test(link)) return undefined;
  return URL.canParse(link) ? link : undefined;
};

/**
 * Lines packed into at most `maxChunks` chunks of at most `maxChunkChars` each (lines joined with one
 * newline), at most `maxLines` lines in all, newest first; the count left out in `more`. A line longer
 * than a chunk is cut to fit one.
 */
export const packLines = <T>(
  items: readonly T[],
  line: (item: T) => string,
  limits: { readonly maxChunks: number; readonly maxChunkChars: number; readonly maxLines: number },
): { chunks: string[]; shown: number; more: number } => {
  const chunks: string[] = [];
  let current: string | undefined;
  let shown = 0;
  for (const item of items) {
    if (shown >= limits.maxLines) break;
    const text = truncate(line(item), limits.maxChunkChars);
    if (current !== undefined && current.length + 1 + text.length <= limits.maxChunkChars) {
      current = `${current}\n${text}`;
    } else {
      if (current !== undefined) chunks.push(current);
      if (chunks.length >= limits.maxChunks) {
        current = undefined;
        break;
      }
      current = text;
    }
    shown += 1;
  }
  if (current !== undefined) chunks.push(current);
  return { chunks, shown, more: items.length - shown };
};

/**
 * The digest envelope ({@link digestEvent}) with at most `maxEvents` events and `maxTypes` counts by
 * type; when types are left out, `data.moreTypes` says how many.
 */
export const digestEnvelope = (digest: Digest, maxEvents: number, maxTypes: number): HeraldEvent => {
  if (maxTypes >= digest.byType.length) return digestEvent(digest, maxEvents);
  const event = digestEvent({ ...digest, byType: digest.byType.slice(0, maxTypes) }, maxEvents);
  const data = event.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return event;
  return { ...event, data: { ...data, moreTypes: digest.byType.length - maxTypes } };
};

/**
 * The digest as a JSON body (`body` turns the envelope into what the service gets: the webhook body,
 * escaped for the service) of at most `maxBytes` UTF-8 bytes: every event when it fits; else the
 * newest that fit, with `data.more` counting the rest. Should the counts by type alone take more than
 * half the budget (thousands of distinct types), they are cut first, with `data.moreTypes`.
 */
export const fittingDigestBody = (
  digest: Digest,
  maxBytes: number,
  body: (envelope: HeraldEvent) => string,
): string => {
  const bytesOf = (events: number, types: number) =>
    Buffer.byteLength(body(digestEnvelope(digest, events, types)));
  const total = digest.entries.length;
  const typeCount = digest.byType.length;
  const summaryFits = (types: number) => bytesOf(0, types) <= maxBytes / 2;
  const types = summaryFits(typeCount) ? typeCount : largestFitting(typeCount, summaryFits);
  const fits = (events: number) => bytesOf(events, types) <= maxBytes;
  // An estimate from each event's own JSON (and a comma) over the body without events (whose `more`
  // has the most digits): exact but for a byte or two, unless `body` escapes characters in events.
  let estimate = 0;
  for (let used = bytesOf(0, types); estimate < total; estimate += 1) {
    const { deliveryId: _deliveryId, ...entry } = digest.entries[estimate] ?? { deliveryId: '' };
    const cost = Buffer.byteLength(JSON.stringify(entry)) + 1;
    if (used + cost > maxBytes) break;
    used += cost;
  }
  let events: number;
  if (!fits(estimate)) events = largestFitting(estimate - 1, fits);
  else if (estimate === total || !fits(estimate + 1)) events = estimate;
  // Only the few bytes the estimate counts twice can make room for another event or two.
  else events = largestFitting(Math.min(total, estimate + 8), fits, estimate + 1);
  return body(digestEnvelope(digest, events, types));
};
