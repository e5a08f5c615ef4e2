/**
 * The real transports, for the composition roots (the deliver and admin handlers). HTTP is ready at
 * once; the SNS, SQS, EventBridge, SES and SMTP transports (and their clients, and the STS client and
 * cache of assumed-role credentials the SQS and EventBridge ones share) are loaded on first use and
 * kept for the function instance, so an instance that only sends webhooks never initialises them (cold
 * start).
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
  const roles = onFirstUse(async () => (await import('./assumed-role.ts')).createAssumedRoles());
  const sqs = onFirstUse(async () => (await import('./sqs.ts')).createSqsTransport(await roles()));
  const eventbridge = onFirstUse(async () =>
    (await import('./eventbridge.ts')).createEventBridgeTransport(await roles()),
  );
  const ses = onFirstUse(async () => (await import('./ses.ts')).createSesTransport());
  const smtp = onFirstUse(async () => (await import('./smtp.ts')).createSmtpTransport(options));
  return {
    http: (request) => safeRequest(request, options),
    sns: async (message) => (await sns())(message),
    sqs: async (message) => (await sqs())(message),
    eventbridge: async (entry) => (await eventbridge())(entry),
    ses: async (email) => (await ses())(email),
    smtp: async (server, email) => (await smtp())(server, email),
  };
};
