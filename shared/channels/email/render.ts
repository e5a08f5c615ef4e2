/**
 * The `email` renderer: one event to a subject, a plain-text body and an HTML body (inline styles,
 * table layout, so Gmail and Outlook show it as meant), plus priority and Herald headers. Pure.
 */
import * as z from 'zod';
import { MAX_ATTRIBUTES, type Severity } from '../../domain/event.ts';
import { renderTemplate } from '../template.ts';
import { eventLink, oneLine, SEVERITY_COLORS, truncate } from '../text.ts';
import type { RenderedEmail, RenderInput, SmtpServer } from '../types.ts';
import { heraldFields } from '../webhook/index.ts';
import {
  checkEmailSettings,
  type EmailSecrets,
  type EmailSettings,
  type Mailbox,
  type Priority,
  parseMailbox,
  smtpPort,
  smtpTls,
} from './settings.ts';

/** Largest rendered message (subject, headers, both bodies, UTF-8): `data` is cut to stay under it. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** A header line is at most 998 characters (RFC 5322 §2.1.1), `Subject: ` included. */
export const MAX_SUBJECT_CHARS = 998 - 'Subject: '.length;
/** Longest description (a rendered text template) shown in the bodies. */
export const MAX_DESCRIPTION_CHARS = 8192;
/** Longest envelope value shown (source, type, time, attribute keys and values; SPEC §1 limits). */
const MAX_FIELD_CHARS = 256;
/** Longest Herald header value; SES takes printable ASCII up to 995 characters. */
const MAX_HEADER_VALUE_CHARS = 256;

/** An e-mail ready for SMTP: the server (with its credentials) and what to scrub from error reasons. */
export interface SmtpEmailMessage {
  readonly transport: 'smtp';
  readonly server: SmtpServer;
  readonly email: RenderedEmail;
  /** Credentials in every form an SMTP exchange carries them (plain and base64). */
  readonly redact: readonly string[];
}

/** An e-mail ready for SES. */
export interface SesEmailMessage {
  readonly transport: 'ses';
  readonly email: RenderedEmail;
  readonly configurationSet?: string;
}

/** What the e-mail renderer makes for one attempt. */
export type EmailMessage = SmtpEmailMessage | SesEmailMessage;

const PRIORITY_HEADERS: Readonly<
  Record<Priority, { readonly xPriority: string; readonly importance: string }>
> = {
  high: { xPriority: '1 (Highest)', importance: 'high' },
  normal: { xPriority: '3 (Normal)', importance: 'normal' },
  low: { xPriority: '5 (Lowest)', importance: 'low' },
};

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML text or attribute value: `& < > " '` escaped. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);

/**
 * Text for a body: LF line ends, lone surrogates and control characters (but tab and LF) replaced by
 * U+FFFD.
 */
export const bodyText = (text: string): string =>
  text
    .replace(/\r\n?|[\u2028\u2029]/g, '\n')
    .replace(/\p{Cs}/gu, '\uFFFD')
    .replace(/(?![\t\n])\p{Cc}/gu, '\uFFFD');

/** Text for a header: {@link bodyText} on one line, tabs as spaces. */
export const headerText = (text: string): string => oneLine(bodyText(text)).replace(/\t/g, ' ');

/** A header value as SES takes it: printable ASCII on one line (anything else becomes `?`), cut. */
export const asciiHeaderValue = (text: string): string =>
  text.replace(/[^\x20-\x7E]/g, '?').slice(0, MAX_HEADER_VALUE_CHARS);

/** Size of text in UTF-8. */
export const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** The size of a rendered e-mail: addresses, subject, headers and both bodies in UTF-8. */
export const emailBytes = (email: RenderedEmail): number =>
  [email.from, ...email.to, ...email.cc, ...email.bcc, email.subject, email.text, email.html]
    .map(utf8Bytes)
    .reduce((sum, bytes) => sum + bytes, 0) +
  Object.entries(email.headers).reduce((sum, [name, value]) => sum + utf8Bytes(name) + utf8Bytes(value), 0);

/** RFC 2047 encoded words, each within 75 characters (45 bytes of UTF-8 per word, whole code points). */
const encodedWords = (text: string): string => {
  const words: string[] = [];
  let chunk = '';
  for (const char of text) {
    if (utf8Bytes(chunk + char) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk !== '') words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, 'utf8').toString('base64')}?=`).join(' ');
};

/**
 * A mailbox as the transport takes it: the name quoted (the settings refuse `"` and `\` in it). SES
 * wants a non-ASCII name as encoded words; nodemailer encodes it itself.
 */
export const formatMailbox = (mailbox: Mailbox, transport: EmailSettings['transport']): string => {
  if (mailbox.name === '') return mailbox.address;
  const name =
    transport === 'ses' && /[^\x20-\x7E]/.test(mailbox.name)
      ? encodedWords(mailbox.name)
      : `"${mailbox.name}"`;
  return `${name} <${mailbox.address}>`;
};

/** What both bodies show, as plain text (each body escapes it for its format). */
interface Summary {
  readonly title: string;
  readonly description: string | undefined;
  readonly severity: Severity;
  readonly fields: readonly (readonly [label: string, value: string])[];
  readonly link: string | undefined;
  readonly attributes: readonly (readonly [key: string, value: string])[];
  readonly footer: string;
}

/** `data` as shown: the JSON, and a note when it was cut. */
interface DataPart {
  readonly json: string;
  readonly note: string | undefined;
}

const labelled = (rows: readonly (readonly [string, string])[], indent: string): string[] => {
  const width = Math.max(0, ...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => `${indent}${`${label}:`.padEnd(width)}${value}`);
};

/** The plain-text body. */
const textBody = (summary: Summary, data: DataPart | undefined): string => {
  const lines = [summary.title, ''];
  if (summary.description !== undefined) lines.push(summary.description, '');
  const fields: (readonly [string, string])[] = [['Severity', summary.severity], ...summary.fields];
  if (summary.link !== undefined) fields.push(['Link', summary.link]);
  lines.push(...labelled(fields, ''), '');
  if (summary.attributes.length > 0) lines.push('Attributes', ...labelled(summary.attributes, '  '), '');
  if (data !== undefined) {
    lines.push('Data', data.json);
    if (data.note !== undefined) lines.push(data.note);
    lines.push('');
  }
  lines.push('-- ', summary.footer, '');
  return lines.join('\n');
};

/** Shared with the digest e-mail (`digest.ts`). */
export const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const MONO = "SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace";
/** Shared with the digest e-mail (`digest.ts`). */
export const TEXT_COLOR = '#1F2328';
/** Shared with the digest e-mail (`digest.ts`). */
export const MUTED_COLOR = '#59636E';
/** Badge text that stays readable on each severity colour (dark on amber, white on the others). */
const BADGE_TEXT: Readonly<Record<Severity, string>> = {
  info: '#FFFFFF',
  warning: TEXT_COLOR,
  error: '#FFFFFF',
  critical: '#FFFFFF',
};

/** A table cell with inline style. */
export const cell = (style: string, content: string): string => `<td style="${style}">${content}</td>`;
/** Shared with the digest e-mail (`digest.ts`). */
export const LABEL_CELL = `padding:4px 16px 4px 0;font-family:${FONT};font-size:13px;line-height:20px;color:${MUTED_COLOR};vertical-align:top;white-space:nowrap;`;
/** Shared with the digest e-mail (`digest.ts`). */
export const VALUE_CELL = `padding:4px 0;font-family:${FONT};font-size:13px;line-height:20px;color:${TEXT_COLOR};vertical-align:top;word-break:break-word;`;
/** Shared with the digest e-mail (`digest.ts`). */
export const KEY_CELL = `padding:4px 16px 4px 0;font-family:${MONO};font-size:12px;line-height:20px;color:${MUTED_COLOR};vertical-align:top;white-space:nowrap;`;
/** Shared with the digest e-mail (`digest.ts`). */
export const TABLE =
  '<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">';
/** Shared with the digest e-mail (`digest.ts`). */
export const HEADING = `margin:0 0 8px 0;font-family:${FONT};font-size:12px;line-height:16px;font-weight:600;letter-spacing:0.5px;text-transform:uppercase;color:${MUTED_COLOR};`;

/** A row of the message's card holding `content`. */
export const section = (content: string): string =>
  `<tr><td style="padding:8px 24px 16px 24px;">${content}</td></tr>`;

/**
 * An HTML e-mail: a card with a bar and a badge in the severity's colour, the title (escaped), `intro`
 * under it and `sections` (HTML, escaped by the caller), and the footer (escaped).
 */
export const htmlPage = (
  page: { readonly title: string; readonly severity: Severity; readonly footer: string },
  intro: string,
  sections: readonly string[],
): string => {
  const color = SEVERITY_COLORS[page.severity];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)}</title>`,
    '</head>',
    '<body style="margin:0;padding:0;background-color:#F4F5F7;">',
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#F4F5F7;">',
    '<tr><td align="center" style="padding:24px 12px;">',
    '<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;border-collapse:collapse;background-color:#FFFFFF;border:1px solid #DFE2E6;">',
    `<tr><td bgcolor="${color}" style="height:6px;line-height:6px;font-size:0;background-color:${color};">&nbsp;</td></tr>`,
    `<tr><td style="padding:20px 24px 12px 24px;">`,
    `<span style="display:inline-block;padding:2px 8px;font-family:${FONT};font-size:11px;line-height:16px;font-weight:700;letter-spacing:0.5px;color:${BADGE_TEXT[page.severity]};background-color:${color};">${page.severity.toUpperCase()}</span>`,
    `<h1 style="margin:12px 0 0 0;font-family:${FONT};font-size:20px;line-height:28px;font-weight:600;color:${TEXT_COLOR};word-break:break-word;">${escapeHtml(page.title)}</h1>`,
    intro,
    '</td></tr>',
    ...sections,
    `<tr><td style="padding:12px 24px 20px 24px;border-top:1px solid #EEF0F2;font-family:${FONT};font-size:12px;line-height:18px;color:${MUTED_COLOR};">${escapeHtml(page.footer)}</td></tr>`,
    '</table>',
    '</td></tr>',
    '</table>',
    '</body>',
    '</html>',
    '',
  ]
    .filter((part) => part !== '')
    .join('\n');
};

/** The HTML body: a severity bar, the title, the fields, attributes and data. Every value escaped. */
const htmlBody = (summary: Summary, data: DataPart | undefined): string => {
  const rows = summary.fields.map(
    ([label, value]) => `<tr>${cell(LABEL_CELL, label)}${cell(VALUE_CELL, escapeHtml(value))}</tr>`,
  );
  if (summary.link !== undefined) {
    const href = escapeHtml(summary.link);
    rows.push(
      `<tr>${cell(LABEL_CELL, 'Link')}${cell(VALUE_CELL, `<a href="${href}" style="color:#0969DA;text-decoration:underline;">${escapeHtml(truncate(summary.link, 200))}</a>`)}</tr>`,
    );
  }
  const description =
    summary.description === undefined
      ? ''
      : `<p style="margin:12px 0 0 0;font-family:${FONT};font-size:14px;line-height:22px;color:${TEXT_COLOR};">${escapeHtml(summary.description).split('\n').join('<br>\n')}</p>`;
  const parts = [section(`${TABLE}\n${rows.join('\n')}\n</table>`)];
  if (summary.attributes.length > 0) {
    const attributeRows = summary.attributes.map(
      ([key, value]) => `<tr>${cell(KEY_CELL, escapeHtml(key))}${cell(VALUE_CELL, escapeHtml(value))}</tr>`,
    );
    parts.push(
      section(`<p style="${HEADING}">Attributes</p>\n${TABLE}\n${attributeRows.join('\n')}\n</table>`),
    );
  }
  if (data !== undefined) {
    const note =
      data.note === undefined
        ? ''
        : `\n<p style="margin:8px 0 0 0;font-family:${FONT};font-size:12px;line-height:16px;color:${MUTED_COLOR};">${escapeHtml(data.note)}</p>`;
    parts.push(
      section(
        `<p style="${HEADING}">Data</p>\n<pre style="margin:0;padding:12px;font-family:${MONO};font-size:12px;line-height:18px;color:${TEXT_COLOR};background-color:#F6F8FA;border:1px solid #DFE2E6;white-space:pre-wrap;word-wrap:break-word;">${escapeHtml(data.json)}</pre>${note}`,
      ),
    );
  }
  return htmlPage(summary, description, parts);
};

/** The longest note {@link fitData} may add, reserved before the data is measured. */
const WORST_NOTE = `(data cut at ${MAX_MESSAGE_BYTES / 1024} KB)`;

/**
 * `data` as indented JSON, cut (never mid surrogate pair) so both bodies together spend at most
 * `budget` bytes on it.
 */
const fitData = (json: string, budget: number): DataPart => {
  const cost = (text: string) => utf8Bytes(text) + utf8Bytes(escapeHtml(text));
  if (cost(json) <= budget) return { json, note: undefined };
  let low = 0;
  let high = json.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (cost(truncate(json, middle)) <= budget) low = middle;
    else high = middle - 1;
  }
  const kept = truncate(json, low);
  return { json: kept, note: `(data cut at ${Math.floor(utf8Bytes(kept) / 1024)} KB)` };
};

/** An envelope value on one line, cut to the envelope's own limit (attribute values: 256). */
const fieldText = (text: string): string => truncate(headerText(text), MAX_FIELD_CHARS);

/** The subject without prefix: the template's, else the event's subject, else its type. */
const titleOf = ({ event, context, template }: RenderInput<EmailSettings, EmailSecrets>): string => {
  const templated =
    template?.subject === undefined
      ? ''
      : renderTemplate(template.subject, event, heraldFields(context), 'text');
  const [title = '(no subject)'] = [templated, event.subject, event.type]
    .map((text) => headerText(text).trim())
    .filter((text) => text !== '');
  return title;
};

/** Credentials as an SMTP exchange carries them: plain, base64 (AUTH LOGIN) and the AUTH PLAIN token. */
export const credentialForms = (secrets: EmailSecrets): string[] => {
  const { username, password } = secrets;
  const forms = [username, password].flatMap((value) =>
    value === undefined ? [] : [value, Buffer.from(value, 'utf8').toString('base64')],
  );
  if (username !== undefined && password !== undefined) {
    forms.push(Buffer.from(`\u0000${username}\u0000${password}`, 'utf8').toString('base64'));
  }
  return forms;
};

/**
 * Addresses, subject and headers of an e-mail: priority by `severity` (the channel's map), the event
 * type, severity and delivery id as `X-Herald-*`, marked auto-generated.
 */
export const envelopeOf = (
  settings: EmailSettings,
  subject: string,
  eventType: string,
  severity: Severity,
  deliveryId: string,
): Omit<RenderedEmail, 'text' | 'html'> => {
  const priority = PRIORITY_HEADERS[settings.priority[severity]];
  const mailbox = parseMailbox(settings.from) ?? { name: '', address: settings.from };
  return {
    from: formatMailbox(mailbox, settings.transport),
    to: settings.to,
    cc: settings.cc,
    bcc: settings.bcc,
    subject,
    headers: {
      'X-Priority': priority.xPriority,
      Importance: priority.importance,
      'X-Herald-Event-Type': asciiHeaderValue(eventType),
      'X-Herald-Severity': severity,
      'X-Herald-Delivery-Id': asciiHeaderValue(deliveryId),
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
    },
  };
};

/** `[prefix] title`, cut to {@link MAX_SUBJECT_CHARS}. */
export const subjectOf = (settings: EmailSettings, title: string): string =>
  truncate(
    settings.subjectPrefix === undefined ? title : `[${headerText(settings.subjectPrefix)}] ${title}`,
    MAX_SUBJECT_CHARS,
  );

/** Refuses settings the save-time check refuses (a ZodError, as an invalid secret would be). */
export const assertSendable = (settings: EmailSettings): void => {
  const problems = checkEmailSettings(settings);
  if (problems.length > 0) {
    throw new z.ZodError(
      problems.map(({ path, message }) => ({ code: 'custom', path: [path], message, input: settings })),
    );
  }
};

/** An e-mail ready for its transport: SES with its configuration set, or the SMTP server. */
export const messageOf = (
  email: RenderedEmail,
  settings: EmailSettings,
  secrets: EmailSecrets,
): EmailMessage => {
  if (settings.transport === 'ses') {
    return {
      transport: 'ses',
      email,
      ...(settings.configurationSet === undefined ? {} : { configurationSet: settings.configurationSet }),
    };
  }
  return {
    transport: 'smtp',
    server: {
      host: settings.host ?? '',
      port: smtpPort(settings),
      tls: smtpTls(settings),
      ...(secrets.username === undefined ? {} : { username: secrets.username }),
      ...(secrets.password === undefined ? {} : { password: secrets.password }),
      timeoutMs: settings.timeoutMs,
    },
    email,
    redact: credentialForms(secrets),
  };
};

/** Builds the e-mail for one attempt. Pure. */
export const renderEmail = (input: RenderInput<EmailSettings, EmailSecrets>): EmailMessage => {
  const { event, context, settings, secrets, template } = input;
  assertSendable(settings);
  const title = titleOf(input);
  const subject = subjectOf(settings, title);
  const description =
    template?.text === undefined
      ? undefined
      : truncate(
          bodyText(renderTemplate(template.text, event, heraldFields(context), 'text')),
          MAX_DESCRIPTION_CHARS,
        );
  const link = eventLink(event);
  const summary: Summary = {
    title,
    description,
    severity: event.severity,
    fields: [
      ['Source', fieldText(event.source)],
      ['Type', fieldText(event.type)],
      ['Time', fieldText(event.time)],
    ],
    link: link === undefined ? undefined : bodyText(link),
    attributes: Object.entries(event.attributes)
      .slice(0, MAX_ATTRIBUTES)
      .map(([key, value]) => [fieldText(key), fieldText(value)]),
    footer: `Sent by Herald · delivery ${headerText(context.deliveryId)} · channel ${headerText(context.channelId)}`,
  };
  const envelope = envelopeOf(settings, subject, event.type, event.severity, context.deliveryId);
  const json = event.data === undefined ? undefined : bodyText(JSON.stringify(event.data, null, 2));
  let data: DataPart | undefined;
  if (json !== undefined) {
    const frame = { json: '', note: WORST_NOTE };
    const fixed = emailBytes({ ...envelope, text: textBody(summary, frame), html: htmlBody(summary, frame) });
    data = fitData(json, MAX_MESSAGE_BYTES - fixed);
  }
  const email: RenderedEmail = { ...envelope, text: textBody(summary, data), html: htmlBody(summary, data) };
  return messageOf(email, settings, secrets);
};
