import { Webhook } from 'standardwebhooks';
import type { WebhookSecret, WebhookSettings } from '../channel.ts';
import type { HeraldEvent } from '../event.ts';
import {
  type SafeRequest,
  type SafeRequestOptions,
  type SafeResponse,
  safeRequest,
} from '../http/safe-request.ts';
import { type AttemptOutcome, classifyError, classifyResponse } from '../outcome.ts';
import { HERALD_VERSION } from '../version.ts';

export const USER_AGENT = `Herald/${HERALD_VERSION}`;

/** Where a delivery stands: carried in the body's `herald` member. */
export interface DeliveryContext {
  readonly deliveryId: string;
  readonly attempt: number;
  readonly channelId: string;
  readonly policyIds: readonly string[];
}

/** The JSON body a webhook receiver gets: the envelope plus `herald` (SPEC §3). */
export const webhookBody = (event: HeraldEvent, context: DeliveryContext): string =>
  JSON.stringify({
    ...event,
    herald: {
      deliveryId: context.deliveryId,
      attempt: context.attempt,
      channel: context.channelId,
      policy: context.policyIds[0] ?? null,
      policies: context.policyIds,
    },
  });

/** Builds the signed Standard Webhooks request for one attempt. */
export const renderWebhook = (
  event: HeraldEvent,
  context: DeliveryContext,
  settings: WebhookSettings,
  secret: Omit<WebhookSecret, 'previousSigningSecrets'> &
    Partial<Pick<WebhookSecret, 'previousSigningSecrets'>>,
  now: Date,
): SafeRequest => {
  const body = webhookBody(event, context);
  // While a secret rotates, every valid secret signs: `v1,<a> v1,<b>` (Standard Webhooks).
  const secrets = [
    secret.signingSecret,
    ...(secret.previousSigningSecrets ?? [])
      .filter((previous) => Date.parse(previous.until) > now.getTime())
      .map((previous) => previous.secret),
  ];
  const signature = secrets.map((key) => new Webhook(key).sign(context.deliveryId, now, body)).join(' ');
  return {
    url: secret.url,
    method: settings.method,
    timeoutMs: settings.timeoutMs,
    body,
    headers: {
      ...secret.headers,
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': context.deliveryId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature,
      'x-herald-event-type': event.type,
    },
  };
};

export interface AttemptResult {
  readonly outcome: AttemptOutcome;
  readonly latencyMs: number;
}

export type Send = (request: SafeRequest, options: SafeRequestOptions) => Promise<SafeResponse>;

/** Sends one attempt and classifies what came back; never throws. */
export const sendWebhook = async (
  request: SafeRequest,
  options: SafeRequestOptions,
  send: Send = safeRequest,
): Promise<AttemptResult> => {
  const started = performance.now();
  try {
    const response = await send(request, options);
    return {
      outcome: classifyResponse(response.status, response.headers, new Date()),
      latencyMs: elapsed(started),
    };
  } catch (error) {
    return { outcome: classifyError(error), latencyMs: elapsed(started) };
  }
};

const elapsed = (started: number): number => Math.round(performance.now() - started);
