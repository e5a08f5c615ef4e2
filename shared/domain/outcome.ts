import { RequestTimeoutError, TargetNotAllowedError } from '../http/safe-request.ts';

/**
 * What one delivery attempt came to, whatever the transport (SPEC §5): `delivered`; `retry` (HTTP 408,
 * 425, 429, 5xx, timeouts, network errors, throttling, a refused SMTP login), optionally after the delay
 * the provider asked for; `failed` for a permanent refusal; `gone` when the target no longer exists
 * (HTTP 410, Slack's `no_service`, a deleted SNS topic): the channel gets disabled. `status` is the
 * provider's own code (HTTP status, SMTP reply code); `error` a short reason that never holds a secret.
 */
export type AttemptOutcome =
  | { readonly kind: 'delivered'; readonly status: number }
  | {
      readonly kind: 'retry';
      readonly status?: number;
      readonly error: string;
      readonly retryAfterSeconds?: number;
    }
  | { readonly kind: 'failed'; readonly status?: number; readonly error: string }
  | { readonly kind: 'gone'; readonly status?: number; readonly error: string };

const RETRYABLE_STATUSES = new Set([408, 425, 429]);
/** A receiver cannot push Herald's next attempt further than a day. */
const MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60;

/** Reads `Retry-After` as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export const parseRetryAfter = (value: string | undefined, now: Date): number | undefined => {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const seconds = /^\d+$/.test(trimmed) ? Number(trimmed) : (Date.parse(trimmed) - now.getTime()) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(Math.max(Math.ceil(seconds), 0), MAX_RETRY_AFTER_SECONDS);
};

const headerValue = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/** Classifies an HTTP response. */
export const classifyResponse = (
  status: number,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  now: Date,
): AttemptOutcome => {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status === 410) return { kind: 'gone', status, error: 'receiver answered 410 Gone' };
  if (status >= 500 || RETRYABLE_STATUSES.has(status)) {
    const retryAfterSeconds = parseRetryAfter(headerValue(headers['retry-after']), now);
    return {
      kind: 'retry',
      status,
      error: `receiver answered ${status}`,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    };
  }
  const what = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  return { kind: 'failed', status, error: `receiver answered ${status}${what}` };
};

/** Classifies an error thrown while sending. */
export const classifyError = (error: unknown): AttemptOutcome => {
  if (error instanceof TargetNotAllowedError)
    return { kind: 'failed', error: `target refused: ${error.message}` };
  if (error instanceof RequestTimeoutError) return { kind: 'retry', error: `timeout: ${error.message}` };
  const code = (error as { code?: unknown } | undefined)?.code;
  if (
    code === 'ERR_INVALID_CHAR' ||
    code === 'ERR_HTTP_INVALID_HEADER_VALUE' ||
    code === 'ERR_INVALID_HTTP_TOKEN'
  ) {
    // The request itself cannot be built: retrying cannot help.
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'failed', error: `invalid request: ${message}` };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'retry', error: `network error: ${typeof code === 'string' ? `${code} ` : ''}${message}` };
};
