/** `webhook`: the envelope as JSON, signed with Standard Webhooks (SPEC §3). */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import * as z from 'zod';
import { DIGEST_EVENT_TYPE } from '../../domain/digest.ts';
import type { HeraldEvent } from '../../domain/event.ts';
import type { SafeRequest } from '../../http/safe-request.ts';
import { lazySchema } from '../../runtime/lazy-schema.ts';
import { HttpsUrl, secretUrlTarget, sendHttp, USER_AGENT, urlHost } from '../http.ts';
import { TimeoutMs } from '../record.ts';
import { renderTemplate, type TemplateDelivery } from '../template.ts';
import {
  type DeliveryContext,
  type DigestRenderInput,
  type DigestRendering,
  defineChannelType,
  type RenderInput,
} from '../types.ts';

const HeaderName = lazySchema(() =>
  z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid header name'),
);
/** Headers Herald sets itself (or HTTP needs to be right): a channel cannot override them. */
const RESERVED_HEADERS = new Set([
  'content-length',
  'content-type',
  'host',
  'transfer-encoding',
  'connection',
  'user-agent',
]);
const Headers = lazySchema(() =>
  z.record(
    HeaderName.refine(
      (name) => !RESERVED_HEADERS.has(name.toLowerCase()) && !name.toLowerCase().startsWith('webhook-'),
      'Herald sets this header itself',
    ),
    z
      .string()
      .max(4096)
      .refine(
        (value) => [...value].every((char) => char.charCodeAt(0) >= 0x20 && char.charCodeAt(0) !== 0x7f),
        'header values cannot contain control characters',
      ),
  ),
);
const SigningSecret = lazySchema(() =>
  z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'signingSecret must be whsec_ followed by base64'),
);

/** How long a replaced signing secret keeps signing too, so receivers can switch over (SPEC §3). */
export const SIGNING_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

/** Signing secrets that were replaced and still sign until `until`. */
export const PreviousSigningSecrets = lazySchema(() =>
  z
    .array(z.strictObject({ secret: SigningSecret, until: z.string() }))
    .max(10)
    .default([]),
);
export type PreviousSigningSecrets = z.infer<typeof PreviousSigningSecrets>;

/** The secret part of a webhook channel once resolved: what the deliver function signs and sends with. */
export const WebhookSecret = lazySchema(() =>
  z.object({
    url: HttpsUrl('url'),
    headers: Headers.default({}),
    signingSecret: SigningSecret,
    previousSigningSecrets: PreviousSigningSecrets,
  }),
);
export type WebhookSecret = z.infer<typeof WebhookSecret>;

/** Non-secret part of a webhook channel, kept in the config table. */
export const WebhookSettings = lazySchema(() =>
  z.strictObject({
    method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
    timeoutMs: TimeoutMs,
  }),
);
export type WebhookSettings = z.infer<typeof WebhookSettings>;

/** A new Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * The previous signing secrets to keep after a write: the replaced one for the grace period (when the
 * secret changed), and those still within theirs.
 */
export const rotateSigningSecrets = (
  replaced: unknown,
  next: unknown,
  current: unknown,
  now: Date,
): PreviousSigningSecrets => {
  const kept = PreviousSigningSecrets.catch([])
    .parse(current)
    .filter((entry) => Date.parse(entry.until) > now.getTime() && entry.secret !== next);
  if (typeof replaced !== 'string' || replaced === next || typeof next !== 'string') return kept;
  return [
    { secret: replaced, until: new Date(now.getTime() + SIGNING_SECRET_GRACE_MS).toISOString() },
    ...kept,
  ].slice(0, 10);
};

/** The delivery fields of a body (`herald`) and of templates. */
export const heraldFields = (context: DeliveryContext): TemplateDelivery => ({
  deliveryId: context.deliveryId,
  attempt: context.attempt,
  channel: context.channelId,
  policy: context.policyIds[0] ?? null,
});

/** The JSON body a webhook receiver gets: the envelope plus `herald` (SPEC §3). */
export const webhookBody = (event: HeraldEvent, context: DeliveryContext, text?: string): string =>
  JSON.stringify({
    ...event,
    herald: {
      ...heraldFields(context),
      policies: context.policyIds,
      ...(text === undefined ? {} : { text }),
    },
  });

/** The body for one attempt: the template's, or the envelope with a templated subject and text. */
const renderBody = ({ event, context, template }: RenderInput<WebhookSettings, WebhookSecret>): string => {
  const herald = heraldFields(context);
  if (template?.body !== undefined) {
    const body = renderTemplate(template.body, event, herald, 'json');
    try {
      JSON.parse(body);
    } catch {
      // Checked against a sample event when saved; an event whose values break it is not sent as is.
      throw new Error('the body template renders invalid JSON for this event');
    }
    return body;
  }
  const subject =
    template?.subject === undefined ? event.subject : renderTemplate(template.subject, event, herald, 'text');
  const text =
    template?.text === undefined ? undefined : renderTemplate(template.text, event, herald, 'text');
  return webhookBody({ ...event, subject }, context, text);
};

/**
 * The signed Standard Webhooks request carrying `body`: `webhook-id` is the delivery id, and while a
 * secret rotates every valid secret signs (`v1,<a> v1,<b>`).
 */
const signedRequest = (
  body: string,
  eventType: string,
  {
    context,
    settings,
    secrets,
    now,
  }: Omit<RenderInput<WebhookSettings, WebhookSecret>, 'event' | 'template'>,
): SafeRequest => {
  const keys = [
    secrets.signingSecret,
    ...secrets.previousSigningSecrets
      .filter((previous) => Date.parse(previous.until) > now.getTime())
      .map((previous) => previous.secret),
  ];
  const signature = keys.map((key) => new Webhook(key).sign(context.deliveryId, now, body)).join(' ');
  return {
    url: secrets.url,
    method: settings.method,
    timeoutMs: settings.timeoutMs,
    body,
    headers: {
      ...secrets.headers,
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': context.deliveryId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature,
      'x-herald-event-type': eventType,
    },
  };
};

/** Builds the signed Standard Webhooks request for one attempt. */
export const renderWebhook = (input: RenderInput<WebhookSettings, WebhookSecret>): SafeRequest =>
  signedRequest(renderBody(input), input.event.type, input);

/**
 * Largest digest body a webhook receiver gets, in UTF-8 bytes: 1 MiB. Many receivers (and the proxies
 * before them) refuse bodies past 1 MB; the newest events that fit are listed, `data.more` counts the
 * rest.
 */
export const MAX_DIGEST_BODY_BYTES = 1_048_576;

/**
 * Builds the signed request for a digest: the body is the digest envelope (`herald.digest`, each event
 * with its id in `data.events`) plus `herald`, cut to {@link MAX_DIGEST_BODY_BYTES}; signed like any
 * webhook, its `webhook-id` the digest's delivery id.
 */
export const renderWebhookDigest = (
  input: DigestRenderInput<WebhookSettings, WebhookSecret>,
  digests: Pick<DigestRendering, 'fittingDigestBody'>,
): SafeRequest => {
  const body = digests.fittingDigestBody(input.digest, MAX_DIGEST_BODY_BYTES, (envelope) =>
    webhookBody(envelope, input.context),
  );
  return signedRequest(body, DIGEST_EVENT_TYPE, input);
};

export const webhook = defineChannelType({
  type: 'webhook',
  settings: WebhookSettings,
  secretFields: {
    url: lazySchema(() => HttpsUrl('url')),
    headers: lazySchema(() => Headers.optional()),
    signingSecret: lazySchema(() => SigningSecret.optional()),
  },
  secrets: WebhookSecret,
  // Custom headers carry the receiver's credentials; the signing secret only signs, so it is kept.
  targetBoundSecrets: ['url', 'headers'],
  templateParts: ['subject', 'text', 'body'],
  example: {
    url: 'https://hooks.example.com/herald',
    method: 'POST',
    headers: { authorization: 'Bearer receiver-token' },
    signingSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  },
  targets: (_settings, secrets) => secretUrlTarget('url', secrets),
  summary: (settings, secrets) => `${settings.method} ${urlHost(secrets.url, 'url in a referenced secret')}`,
  prepareSecrets: (next, stored, now, referenced) => {
    if (referenced.has('signingSecret')) return next;
    const signingSecret = next.signingSecret ?? newSigningSecret();
    return {
      ...next,
      signingSecret,
      previousSigningSecrets: rotateSigningSecrets(
        stored.signingSecret,
        signingSecret,
        stored.previousSigningSecrets,
        now,
      ),
    };
  },
  render: renderWebhook,
  renderDigest: renderWebhookDigest,
  send: (request, transports) => sendHttp(request, transports),
});
