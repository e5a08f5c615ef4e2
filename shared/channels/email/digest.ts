/**
 * The `email` digest: one e-mail per period, subject `[prefix] Digest: 30 events (2 error, 28 info)`,
 * a text and an HTML body with the period, the counts by type and severity and a table of the events,
 * newest first. Pure.
 */
import {
  DIGEST_EVENT_TYPE,
  type Digest,
  type DigestEntry,
  digestPeriodText,
  digestTitle,
  moreText,
} from '../../domain/digest.ts';
import { DIGEST_NAME_CHARS, DIGEST_SUBJECT_CHARS, entryTimeText, markupSafeLink } from '../digest-text.ts';
import { SEVERITY_COLORS, truncate } from '../text.ts';
import type { DigestRenderInput, RenderedEmail } from '../types.ts';
import {
  assertSendable,
  bodyText,
  cell,
  type EmailMessage,
  emailBytes,
  envelopeOf,
  escapeHtml,
  FONT,
  HEADING,
  headerText,
  htmlPage,
  KEY_CELL,
  LABEL_CELL,
  MAX_MESSAGE_BYTES,
  MUTED_COLOR,
  messageOf,
  section,
  subjectOf,
  TABLE,
  utf8Bytes,
  VALUE_CELL,
} from './render.ts';
import type { EmailSecrets, EmailSettings } from './settings.ts';

/** Most events a digest e-mail lists before "and N more" (fewer when they would pass 256 KB). */
export const MAX_EMAIL_DIGEST_LINES = 1000;
/** Most counts by type it lists before "and N more". */
export const MAX_EMAIL_DIGEST_TYPES = 100;

/** One event as both bodies show it: plain text, before each body escapes it. */
interface EventRow {
  readonly time: string;
  readonly severity: DigestEntry['severity'];
  readonly subject: string;
  readonly source: string;
  readonly link: string | undefined;
}

const rowOf = (entry: DigestEntry, timezone: string): EventRow => ({
  time: headerText(entryTimeText(entry.time, timezone)),
  severity: entry.severity,
  subject: truncate(headerText(entry.subject), DIGEST_SUBJECT_CHARS) || '(no subject)',
  source: truncate(headerText(entry.source), DIGEST_NAME_CHARS),
  link: markupSafeLink(entry.link),
});

/** `- 07 Dec 09:14  error  Subject  (source)` and the link on its own line. */
const textLine = (row: EventRow): string =>
  `- ${row.time}  ${row.severity.padEnd(8)} ${row.subject}  (${row.source})${row.link === undefined ? '' : `\n  ${row.link}`}`;

const SUBJECT_STYLE = `font-family:${FONT};font-size:13px;line-height:20px;`;
const LINK_STYLE = 'color:#0969DA;text-decoration:underline;';

/** A table row: time, severity (in its colour), subject (linked when it has a link) over its source. */
const htmlRow = (row: EventRow): string => {
  const subject =
    row.link === undefined
      ? escapeHtml(row.subject)
      : `<a href="${escapeHtml(row.link)}" style="${LINK_STYLE}">${escapeHtml(row.subject)}</a>`;
  const severity = `<span style="color:${SEVERITY_COLORS[row.severity]};font-weight:600;">${row.severity}</span>`;
  const source = `<br><span style="color:${MUTED_COLOR};font-size:12px;">${escapeHtml(row.source)}</span>`;
  return `<tr>${cell(LABEL_CELL, escapeHtml(row.time))}${cell(LABEL_CELL, severity)}${cell(VALUE_CELL, `<span style="${SUBJECT_STYLE}">${subject}</span>${source}`)}</tr>`;
};

/** The parts both bodies show around the events. */
interface DigestSummary {
  readonly title: string;
  readonly period: string;
  readonly types: readonly (readonly [type: string, count: string])[];
  readonly severities: readonly (readonly [severity: string, count: string])[];
  readonly footer: string;
}

const summaryOf = (digest: Digest, deliveryId: string, channelId: string): DigestSummary => {
  const types: [string, string][] = digest.byType
    .slice(0, MAX_EMAIL_DIGEST_TYPES)
    .map(({ type, count }) => [truncate(headerText(type), DIGEST_NAME_CHARS), String(count)]);
  const hiddenTypes = digest.byType.length - types.length;
  if (hiddenTypes > 0) types.push([moreText(hiddenTypes), '']);
  return {
    title: digestTitle(digest),
    period: digestPeriodText(digest),
    types,
    severities: digest.bySeverity.map(({ severity, count }) => [severity, String(count)]),
    footer: `Sent by Herald · digest ${headerText(deliveryId)} · channel ${headerText(channelId)}`,
  };
};

const textBody = (summary: DigestSummary, rows: readonly EventRow[], more: number): string =>
  [
    summary.title,
    summary.period,
    '',
    'By type',
    ...summary.types.map(([type, count]) => `  ${count.padStart(6)}  ${type}`),
    '',
    'By severity',
    ...summary.severities.map(([severity, count]) => `  ${count.padStart(6)}  ${severity}`),
    '',
    'Events (newest first)',
    ...rows.map(textLine),
    ...(more === 0 ? [] : [moreText(more)]),
    '',
    '-- ',
    summary.footer,
    '',
  ].join('\n');

const countTable = (heading: string, rows: readonly (readonly [string, string])[]): string =>
  section(
    `<p style="${HEADING}">${heading}</p>\n${TABLE}\n${rows
      .map(
        ([name, count]) =>
          `<tr>${cell(KEY_CELL, escapeHtml(count))}${cell(VALUE_CELL, escapeHtml(name))}</tr>`,
      )
      .join('\n')}\n</table>`,
  );

const htmlBody = (
  summary: DigestSummary,
  severity: Digest['severity'],
  rows: readonly EventRow[],
  more: number,
): string => {
  const period = `<p style="margin:8px 0 0 0;font-family:${FONT};font-size:13px;line-height:20px;color:${MUTED_COLOR};">${escapeHtml(summary.period)}</p>`;
  const rest =
    more === 0
      ? ''
      : `\n<p style="margin:8px 0 0 0;font-family:${FONT};font-size:12px;line-height:16px;color:${MUTED_COLOR};">${escapeHtml(moreText(more))}</p>`;
  return htmlPage({ title: summary.title, severity, footer: summary.footer }, period, [
    countTable('By type', summary.types),
    countTable('By severity', summary.severities),
    section(
      `<p style="${HEADING}">Events (newest first)</p>\n${TABLE}\n${rows.map(htmlRow).join('\n')}\n</table>${rest}`,
    ),
  ]);
};

/**
 * Builds the e-mail of a digest. Pure. Subject `[prefix] Digest: 30 events (2 error, 28 info)`;
 * priority headers by the digest's highest severity (the channel's map); the period, the counts (at
 * most {@link MAX_EMAIL_DIGEST_TYPES} types) and the events, newest first: at most
 * {@link MAX_EMAIL_DIGEST_LINES}, and only as many as keep the message under `MAX_MESSAGE_BYTES`
 * (256 KB), the rest counted as "and N more". Every value is escaped in the HTML.
 */
export const renderEmailDigest = ({
  digest,
  context,
  settings,
  secrets,
}: DigestRenderInput<EmailSettings, EmailSecrets>): EmailMessage => {
  assertSendable(settings);
  const summary = summaryOf(digest, context.deliveryId, context.channelId);
  const envelope = envelopeOf(
    settings,
    subjectOf(settings, summary.title),
    DIGEST_EVENT_TYPE,
    digest.severity,
    context.deliveryId,
  );
  const build = (rows: readonly EventRow[], more: number): RenderedEmail => ({
    ...envelope,
    text: bodyText(textBody(summary, rows, more)),
    html: htmlBody(summary, digest.severity, rows, more),
  });
  // What the message takes without events (with the longest "and N more"), then event by event.
  let budget = MAX_MESSAGE_BYTES - emailBytes(build([], digest.entries.length));
  const rows: EventRow[] = [];
  for (const entry of digest.entries.slice(0, MAX_EMAIL_DIGEST_LINES)) {
    const row = rowOf(entry, digest.period.timezone);
    const cost = utf8Bytes(textLine(row)) + utf8Bytes(htmlRow(row)) + 2;
    if (cost > budget) break;
    budget -= cost;
    rows.push(row);
  }
  return messageOf(build(rows, digest.entries.length - rows.length), settings, secrets);
};
