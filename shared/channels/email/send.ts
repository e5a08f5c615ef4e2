/**
 * The `email` sender: hands the rendered e-mail to the SMTP or SES transport and classifies what
 * they throw (SPEC §5). Reasons are short, on one line, and never carry the SMTP credentials.
 */

import type { AttemptOutcome } from '../../domain/outcome.ts';
import { TargetNotAllowedError } from '../../http/safe-request.ts';
import { timed } from '../http.ts';
import { truncate } from '../text.ts';
import type { AttemptResult, Transports } from '../types.ts';
import type { EmailMessage, SesEmailMessage, SmtpEmailMessage } from './render.ts';

/** Longest reason recorded for an attempt. */
export const MAX_REASON_CHARS = 300;
/** What stands in for a credential in a reason. */
const REDACTED = '[redacted]';

/** nodemailer codes for a connection that failed or broke: worth another try. */
const SMTP_CONNECTION_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROTOCOL',
  'EPROXY',
  'ESTREAM',
]);
/** nodemailer codes for a failed login: retried, since fixed credentials apply to the next attempt. */
const SMTP_AUTH_CODES = new Set(['EAUTH', 'ENOAUTH']);
/** nodemailer codes for a sender, recipient or message the server (or nodemailer) did not take. */
const SMTP_MESSAGE_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS', 'EREQUIRETLS']);

/** What nodemailer puts in `command` for its own steps rather than an SMTP command. */
const SMTP_PSEUDO_COMMANDS = new Set(['CONN', 'API']);

/** SES errors that pass: throttling, quotas, the service's own trouble. */
const SES_RETRY_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'LimitExceededException',
  'InternalServiceErrorException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/** The fields of a nodemailer (or Node system) error that classification reads. */
interface SmtpErrorFields {
  readonly code: string | undefined;
  readonly responseCode: number | undefined;
  readonly response: string | undefined;
  readonly command: string | undefined;
  readonly message: string;
}

const field = (error: unknown, name: string): unknown =>
  typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
const stringField = (error: unknown, name: string): string | undefined => {
  const value = field(error, name);
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const readSmtpError = (error: unknown): SmtpErrorFields => {
  const responseCode = field(error, 'responseCode');
  return {
    code: stringField(error, 'code'),
    responseCode:
      typeof responseCode === 'number' && responseCode >= 200 && responseCode < 600
        ? responseCode
        : undefined,
    response: stringField(error, 'response'),
    command: stringField(error, 'command'),
    message: messageOf(error),
  };
};

/**
 * A reason as recorded: every credential form replaced (longest first, so a token is not half
 * replaced by a shorter one), on one line, cut to {@link MAX_REASON_CHARS}.
 */
export const scrubReason = (reason: string, redact: readonly string[]): string => {
  let scrubbed = reason;
  for (const secret of [...redact].filter((value) => value !== '').sort((a, b) => b.length - a.length)) {
    scrubbed = scrubbed.split(secret).join(REDACTED);
  }
  return truncate(
    scrubbed
      .replace(/\p{Cc}+/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
    MAX_REASON_CHARS,
  );
};

const withStatus = (status: number | undefined) => (status === undefined ? {} : { status });

/** Classifies what the SMTP transport threw. */
export const classifySmtpError = (error: unknown, redact: readonly string[]): AttemptOutcome => {
  if (error instanceof TargetNotAllowedError) {
    return { kind: 'failed', error: scrubReason(`target refused: ${error.message}`, redact) };
  }
  const smtp = readSmtpError(error);
  const detail = smtp.response ?? smtp.message;
  const status = withStatus(smtp.responseCode);
  const retry = (reason: string): AttemptOutcome => ({
    kind: 'retry',
    ...status,
    error: scrubReason(reason, redact),
  });
  const failed = (reason: string): AttemptOutcome => ({
    kind: 'failed',
    ...status,
    error: scrubReason(reason, redact),
  });
  const code = smtp.code === undefined ? '' : ` (${smtp.code})`;
  // nodemailer names the SMTP command in flight; CONN and API are its own steps, not commands.
  const at =
    smtp.command === undefined || SMTP_PSEUDO_COMMANDS.has(smtp.command) ? '' : ` at ${smtp.command}`;
  if (smtp.code !== undefined && SMTP_AUTH_CODES.has(smtp.code)) {
    return retry(`SMTP authentication failed (${detail})`);
  }
  if (smtp.responseCode !== undefined && (smtp.code === undefined || !SMTP_CONNECTION_CODES.has(smtp.code))) {
    return smtp.responseCode >= 500
      ? failed(`SMTP server refused the message${at}: ${detail}`)
      : retry(`SMTP server deferred the message${at}: ${detail}`);
  }
  if (smtp.code !== undefined && SMTP_MESSAGE_CODES.has(smtp.code)) {
    return failed(`SMTP message not accepted${code}: ${detail}`);
  }
  if (smtp.code !== undefined && SMTP_CONNECTION_CODES.has(smtp.code)) {
    return retry(`SMTP connection failed${at}${code}: ${detail}`);
  }
  return retry(`SMTP network error${code}: ${detail}`);
};

/** Classifies what the SES transport threw (AWS SDK v3 errors: `name`, `$metadata.httpStatusCode`). */
export const classifySesError = (error: unknown): AttemptOutcome => {
  const name = stringField(error, 'name') ?? 'Error';
  const message = messageOf(error);
  const metadata = field(error, '$metadata');
  const httpStatus = field(metadata, 'httpStatusCode');
  if (typeof httpStatus !== 'number') {
    // No HTTP answer: the request did not get through (network, timeout, credentials lookup).
    return { kind: 'retry', error: scrubReason(`SES request failed (${name}): ${message}`, []) };
  }
  const reason = scrubReason(`SES ${name}: ${message}`, []);
  if (SES_RETRY_NAMES.has(name) || httpStatus === 429 || httpStatus >= 500) {
    return { kind: 'retry', status: httpStatus, error: reason };
  }
  return { kind: 'failed', status: httpStatus, error: reason };
};

/** SMTP's reply to a message it took; SES answers 200. */
const SMTP_ACCEPTED = 250;
const SES_ACCEPTED = 200;

const sendSmtp = (message: SmtpEmailMessage, transports: Pick<Transports, 'smtp'>): Promise<AttemptResult> =>
  timed(
    async () => {
      await transports.smtp(message.server, message.email);
      return { kind: 'delivered', status: SMTP_ACCEPTED };
    },
    (error) => classifySmtpError(error, message.redact),
  );

const sendSes = (message: SesEmailMessage, transports: Pick<Transports, 'ses'>): Promise<AttemptResult> =>
  timed(async () => {
    await transports.ses({
      ...message.email,
      ...(message.configurationSet === undefined ? {} : { configurationSet: message.configurationSet }),
    });
    return { kind: 'delivered', status: SES_ACCEPTED };
  }, classifySesError);

/** Sends one rendered e-mail over its transport and classifies the result; never throws. */
export const sendEmail = (
  message: EmailMessage,
  transports: Pick<Transports, 'smtp' | 'ses'>,
): Promise<AttemptResult> =>
  message.transport === 'smtp' ? sendSmtp(message, transports) : sendSes(message, transports);
