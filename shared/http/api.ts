import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HttpError } from '../domain/errors.ts';

/** A JSON response. */
export const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** The request body as text (HTTP APIs may deliver it base64-encoded). */
export const requestBody = (event: APIGatewayProxyEventV2): string | undefined =>
  event.body === undefined || !event.isBase64Encoded
    ? event.body
    : Buffer.from(event.body, 'base64').toString('utf8');

/** A request header, whatever its case. */
export const requestHeader = (event: APIGatewayProxyEventV2, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
};

/**
 * The one place errors become HTTP responses: an {@link HttpError} shows its code, message and
 * details; anything else is logged and answered with a generic 500 that leaks nothing.
 */
export const httpErrors = (logger: {
  error(message: string, error: Error): void;
}): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> => ({
  onError: (request) => {
    const { error } = request;
    if (error instanceof HttpError && error.status < 500) {
      request.response = json(error.status, {
        error: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      });
      return;
    }
    if (error instanceof HttpError) {
      logger.error('request failed', error);
      request.response = json(error.status, { error: error.code, message: error.message });
      return;
    }
    logger.error('unexpected error', error instanceof Error ? error : new Error(String(error)));
    request.response = json(500, { error: 'internal_error', message: 'internal error' });
  },
});
