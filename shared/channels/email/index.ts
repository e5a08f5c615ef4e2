/**
 * `email`: an e-mail per event over SMTP or SES (SPEC §3): subject `[prefix] <subject>`, a text and an
 * HTML body with the attributes and data, priority headers by severity; a digest lists its events in
 * one e-mail (`digest.ts`, loaded from `digests.js` when a digest is sent).
 */
import { defineChannelType } from '../types.ts';
import { renderEmail } from './render.ts';
import { sendEmail } from './send.ts';
import {
  checkEmailSettings,
  EMAIL_SECRET_FIELDS,
  EmailSecrets,
  EmailSettings,
  recipientsOf,
  smtpPort,
} from './settings.ts';

export {
  type EmailMessage,
  emailBytes,
  escapeHtml,
  MAX_MESSAGE_BYTES,
  MAX_SUBJECT_CHARS,
  renderEmail,
  type SesEmailMessage,
  type SmtpEmailMessage,
} from './render.ts';
export { classifySesError, classifySmtpError, MAX_REASON_CHARS, scrubReason, sendEmail } from './send.ts';
export {
  checkEmailSettings,
  DEFAULT_PRIORITIES,
  EmailSecrets,
  EmailSettings,
  MAX_RECIPIENTS,
  parseMailbox,
  smtpPort,
  smtpTls,
} from './settings.ts';

/** How many recipients a summary names before it counts the rest. */
const SUMMARY_RECIPIENTS = 2;

/** `host:port`, with an IPv6 address in brackets. */
const hostPort = (host: string, port: number): string =>
  `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;

/** The recipients for a summary: the first few, then how many more. */
const recipientList = (settings: EmailSettings): string => {
  const recipients = recipientsOf(settings);
  const shown = recipients.slice(0, SUMMARY_RECIPIENTS).join(', ');
  const more = recipients.length - SUMMARY_RECIPIENTS;
  return more > 0 ? `${shown} (+${more})` : shown;
};

export const email = defineChannelType({
  type: 'email',
  settings: EmailSettings,
  secretFields: EMAIL_SECRET_FIELDS,
  secrets: EmailSecrets,
  templateParts: ['subject', 'text'],
  example: {
    transport: 'smtp',
    host: 'smtp.example.com',
    port: 587,
    tls: 'starttls',
    username: 'herald@example.com',
    password: 'smtp-app-password-7f3k',
    from: 'Herald <alerts@example.com>',
    to: ['oncall@example.com', 'platform@example.com'],
    subjectPrefix: 'herald',
    priority: { warning: 'high' },
    timeoutMs: 10_000,
  },
  check: checkEmailSettings,
  targets: (settings) => {
    if (settings.transport === 'ses')
      return [{ kind: 'ses-identity', path: 'config.from', value: settings.from }];
    return settings.host === undefined
      ? []
      : [{ kind: 'host', path: 'config.host', host: settings.host, port: smtpPort(settings) }];
  },
  summary: (settings) =>
    settings.transport === 'ses'
      ? `ses → ${recipientList(settings)}`
      : `smtp ${hostPort(settings.host ?? '?', smtpPort(settings))} → ${recipientList(settings)}`,
  render: renderEmail,
  renderDigest: (input, digests) => digests.renderEmailDigest(input),
  send: (message, transports) => sendEmail(message, transports),
});
