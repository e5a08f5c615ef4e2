/**
 * How the console server answers a failure: the admin API's own errors pass through with their status,
 * code, message and field details; what never reached the API becomes a 502/503 that says why; a bad
 * request to the console itself is a 400; anything else a 500 with a generic message.
 */
import * as z from 'zod';
import { HeraldApiError } from '../client.ts';
import { EndpointError } from '../endpoint.ts';

/** A request the console itself refuses (a malformed body, an unknown route). */
export class ConsoleRequestError extends Error {
  override readonly name = 'ConsoleRequestError';

  constructor(
    readonly status: 400 | 404 | 405 | 409 | 413,
    readonly code: string,
    message: string,
    readonly details: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** The JSON error body the browser reads (the admin API's shape). */
export interface ConsoleErrorBody {
  readonly error: string;
  readonly message: string;
  readonly details?: readonly { path: string; message: string }[];
}

/** Maps any error to the status and body the console answers. */
export const toConsoleError = (error: unknown): { status: number; body: ConsoleErrorBody } => {
  if (error instanceof ConsoleRequestError) {
    return {
      status: error.status,
      body: {
        error: error.code,
        message: error.message,
        ...(error.details.length === 0 ? {} : { details: error.details }),
      },
    };
  }
  if (error instanceof z.ZodError) {
    return {
      status: 400,
      body: {
        error: 'invalid_request',
        message: 'the request is not valid',
        details: error.issues.map((issue) => ({
          path: issue.path.map(String).join('.'),
          message: issue.message,
        })),
      },
    };
  }
  if (error instanceof HeraldApiError) {
    const details = error.details.map((detail) => ({ path: detail.path, message: detail.message }));
    const body = { error: error.code, message: error.message, ...(details.length === 0 ? {} : { details }) };
    if (error.status === 0) {
      // Nothing answered (unreachable, timeout) or nothing could be signed (no credentials).
      return { status: error.code === 'no_credentials' ? 503 : 502, body };
    }
    if (error.code === 'unexpected_response') return { status: 502, body };
    return { status: error.status >= 400 && error.status <= 599 ? error.status : 502, body };
  }
  if (error instanceof EndpointError) {
    return { status: 503, body: { error: 'endpoint_unavailable', message: error.message } };
  }
  return {
    status: 500,
    body: { error: 'internal_error', message: 'the console server failed; see its output' },
  };
};
