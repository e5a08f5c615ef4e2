import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendHttp, USER_AGENT } from '#shared/channels/http.ts';
import type { DeliveryContext } from '#shared/channels/types.ts';
import {
  newSigningSecret,
  renderWebhook,
  rotateSigningSecrets,
  type WebhookSecret,
  type WebhookSettings,
  webhookBody,
} from '#shared/channels/webhook/index.ts';
import type { HeraldEvent } from '#shared/domain/event.ts';
import { HERALD_VERSION } from '#shared/domain/version.ts';
import {
  RequestTimeoutError,
  type SafeRequest,
  type SafeRequestOptions,
  type SafeResponse,
  safeRequest,
} from '#shared/http/safe-request.ts';
import { type LocalServer, startLocalServer } from './support.ts';

const event: HeraldEvent = {
  id: 'evt-1',
  type: 'request_created',
  source: 'dbward',
  time: '2026-11-23T09:00:00Z',
  subject: 'Break-glass access used on app/production',
  severity: 'critical',
  attributes: { database: 'app', environment: 'production' },
  data: { requestedBy: 'alice' },
};
const context: DeliveryContext = {
  deliveryId: 'msg_abc',
  attempt: 2,
  channelId: 'ops-webhook',
  policyIds: ['prod-ops', 'all'],
};
const settings = { method: 'POST', timeoutMs: 5000 } as const;
const secret = {
  url: 'https://hooks.example.com/herald',
  headers: { authorization: 'Bearer receiver-token', 'x-team': 'ops' },
  signingSecret: newSigningSecret(),
};

/** Renders without a template, filling the secret's defaults. */
const render = (
  e: HeraldEvent,
  c: DeliveryContext,
  s: WebhookSettings,
  secrets: Partial<WebhookSecret> & Pick<WebhookSecret, 'url' | 'signingSecret'>,
  now: Date,
) =>
  renderWebhook({
    event: e,
    context: c,
    settings: s,
    secrets: { headers: {}, previousSigningSecrets: [], ...secrets },
    template: undefined,
    now,
  });

/** Sends through the real client, or through a stubbed one. */
const send = (
  request: SafeRequest,
  options: SafeRequestOptions,
  stub?: (request: SafeRequest) => Promise<SafeResponse>,
) => sendHttp(request, { http: stub ?? ((r) => safeRequest(r, options)) });

describe('webhookBody', () => {
  it('is the envelope plus herald {deliveryId, attempt, channel, policy}', () => {
    // Act
    const body = JSON.parse(webhookBody(event, context));

    // Assess
    expect(body).toEqual({
      ...event,
      herald: {
        deliveryId: 'msg_abc',
        attempt: 2,
        channel: 'ops-webhook',
        policy: 'prod-ops',
        policies: ['prod-ops', 'all'],
      },
    });
  });

  it('sets policy to null for a channel selected by its own events filter only', () => {
    const body = JSON.parse(webhookBody(event, { ...context, policyIds: [] }));
    expect(body.herald.policy).toBeNull();
  });
});

describe('renderWebhook', () => {
  it('sets the Standard Webhooks and Herald headers and keeps custom headers', () => {
    // Prepare
    const now = new Date('2026-11-23T09:00:00.750Z');

    // Act
    const request = render(event, context, settings, secret, now);

    // Assess
    expect(request).toMatchObject({ url: secret.url, method: 'POST', timeoutMs: 5000 });
    expect(request.headers).toEqual({
      authorization: 'Bearer receiver-token',
      'x-team': 'ops',
      'content-type': 'application/json',
      'user-agent': `Herald/${HERALD_VERSION}`,
      'webhook-id': 'msg_abc',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]+=*$/),
      'x-herald-event-type': 'request_created',
    });
    expect(USER_AGENT).toBe(`Herald/${HERALD_VERSION}`);
  });

  it('does not let custom headers override the signature headers', () => {
    // Prepare
    const sneaky = { ...secret, headers: { 'webhook-id': 'forged', 'webhook-signature': 'v1,forged' } };

    // Act
    const request = render(event, context, settings, sneaky, new Date());

    // Assess
    expect(request.headers['webhook-id']).toBe('msg_abc');
    expect(request.headers['webhook-signature']).not.toBe('v1,forged');
  });

  it('keeps the same webhook-id on every attempt of one delivery', () => {
    const first = render(event, { ...context, attempt: 1 }, settings, secret, new Date());
    const third = render(event, { ...context, attempt: 3 }, settings, secret, new Date());
    expect(third.headers['webhook-id']).toBe(first.headers['webhook-id']);
  });

  it('produces a request a Standard Webhooks receiver verifies', () => {
    // Prepare
    const request = render(event, context, settings, secret, new Date());

    // Act
    const payload = new Webhook(secret.signingSecret).verify(request.body, request.headers);

    // Assess
    expect(payload).toEqual(JSON.parse(request.body));
  });

  it('produces a request that fails verification once the body is tampered with', () => {
    // Prepare
    const request = render(event, context, settings, secret, new Date());
    const tampered = request.body.replace('"critical"', '"info"');

    // Act
    const verify = () => new Webhook(secret.signingSecret).verify(tampered, request.headers);

    // Assess
    expect(tampered).not.toBe(request.body);
    expect(verify).toThrow(WebhookVerificationError);
  });

  it('produces a request that fails verification with another secret', () => {
    const request = render(event, context, settings, secret, new Date());
    expect(() => new Webhook(newSigningSecret()).verify(request.body, request.headers)).toThrow(
      WebhookVerificationError,
    );
  });

  it('produces a request that fails verification when the webhook-id is changed', () => {
    const request = render(event, context, settings, secret, new Date());
    const headers = { ...request.headers, 'webhook-id': 'msg_other' };
    expect(() => new Webhook(secret.signingSecret).verify(request.body, headers)).toThrow(
      WebhookVerificationError,
    );
  });
});

describe('sendWebhook', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends the rendered request and classifies a 2xx as delivered', async () => {
    // Prepare
    server.respond = (_request, response) => response.writeHead(200).end('ok');
    const request = render(event, context, settings, { ...secret, url: `${server.url}/hook` }, new Date());

    // Act
    const result = await send(request, { allowPrivateTargets: true });

    // Assess
    expect(result.outcome).toEqual({ kind: 'delivered', status: 200 });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    const received = server.received.at(-1);
    expect(received?.body).toBe(request.body);
    expect(received?.headers['webhook-id']).toBe('msg_abc');
    expect(() =>
      new Webhook(secret.signingSecret).verify(received?.body ?? '', {
        'webhook-id': String(received?.headers['webhook-id']),
        'webhook-timestamp': String(received?.headers['webhook-timestamp']),
        'webhook-signature': String(received?.headers['webhook-signature']),
      }),
    ).not.toThrow();
  });

  it('classifies what a stubbed sender throws instead of throwing', async () => {
    // Prepare
    const request = render(event, context, settings, secret, new Date());

    // Act
    const result = await send(request, { allowPrivateTargets: false }, async () => {
      throw new RequestTimeoutError('no response within 5000 ms');
    });

    // Assess
    expect(result.outcome).toMatchObject({ kind: 'retry', error: expect.stringMatching(/^timeout/) });
  });

  it('classifies a stubbed 429 with Retry-After as a retry', async () => {
    const request = render(event, context, settings, secret, new Date());
    const result = await send(request, { allowPrivateTargets: false }, async () => ({
      status: 429,
      headers: { 'retry-after': '30' },
      bodySnippet: '',
    }));
    expect(result.outcome).toMatchObject({ kind: 'retry', status: 429, retryAfterSeconds: 30 });
  });
});

describe('signing while a secret rotates', () => {
  const now = new Date('2026-11-23T09:00:00Z');
  const previous = newSigningSecret();
  const current = newSigningSecret();
  const headersOf = (request: ReturnType<typeof renderWebhook>) => ({
    'webhook-id': request.headers['webhook-id'] ?? '',
    'webhook-timestamp': request.headers['webhook-timestamp'] ?? '',
    'webhook-signature': request.headers['webhook-signature'] ?? '',
  });

  it('signs with the new and the previous secret, so receivers on either verify', () => {
    const rotating = {
      url: 'https://example.com',
      headers: {},
      signingSecret: current,
      previousSigningSecrets: [{ secret: previous, until: '2026-11-24T09:00:00Z' }],
    };
    const request = render(event, context, settings, rotating, now);
    expect(request.headers['webhook-signature']?.split(' ')).toHaveLength(2);
    // Receivers check the timestamp against their clock, so verify a request rendered now.
    const live = render(
      event,
      context,
      settings,
      { ...rotating, previousSigningSecrets: [{ secret: previous, until: '2999-01-01T00:00:00Z' }] },
      new Date(),
    );
    expect(new Webhook(current).verify(live.body, headersOf(live))).toBeTruthy();
    expect(new Webhook(previous).verify(live.body, headersOf(live))).toBeTruthy();
  });

  it('stops signing with a previous secret once its grace period is over', () => {
    const expired = {
      url: 'https://example.com',
      headers: {},
      signingSecret: current,
      previousSigningSecrets: [{ secret: previous, until: '2026-11-23T08:00:00Z' }],
    };
    const request = render(event, context, settings, expired, now);
    expect(request.headers['webhook-signature']?.split(' ')).toHaveLength(1);
  });

  it('keeps a replaced secret for 24 hours, and nothing when the secret did not change', () => {
    expect(rotateSigningSecrets(previous, current, [], now)).toEqual([
      { secret: previous, until: '2026-11-24T09:00:00.000Z' },
    ]);
    expect(rotateSigningSecrets(current, current, [], now)).toEqual([]);
    expect(
      rotateSigningSecrets(current, current, [{ secret: previous, until: '2026-11-23T08:00:00Z' }], now),
    ).toEqual([]);
  });
});
