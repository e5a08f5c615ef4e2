/**
 * The real transports, for the composition roots (the deliver and admin handlers). HTTP is ready at
 * once; the SNS, SES and SMTP transports (and their clients) are loaded on first use and kept for the
 * function instance, so an instance that only sends webhooks never initialises them (cold start).
 */
import { type SafeRequestOptions, safeRequest } from '../../http/safe-request.ts';
import type { Transports } from '../types.ts';
import type { SmtpTransportOptions } from './smtp.ts';

/** A value made once, on first use; a failed load is tried again next time. */
const onFirstUse = <T>(load: () => Promise<T>): (() => Promise<T>) => {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
};

export const createTransports = (options: SafeRequestOptions & SmtpTransportOptions): Transports => {
  const sns = onFirstUse(async () => (await import('./sns.ts')).createSnsTransport());
  const ses = onFirstUse(async () => (await import('./ses.ts')).createSesTransport());
  const smtp = onFirstUse(async () => (await import('./smtp.ts')).createSmtpTransport(options));
  return {
    http: (request) => safeRequest(request, options),
    sns: async (message) => (await sns())(message),
    ses: async (email) => (await ses())(email),
    smtp: async (server, email) => (await smtp())(server, email),
  };
};
