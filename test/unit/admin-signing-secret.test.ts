import { describe, expect, it } from 'vitest';
import type { ActivityAdmin } from '#shared/admin/activity.ts';
import { adminRoutes, dispatch } from '#shared/admin/api.ts';
import type { ApiKeyAdmin } from '#shared/admin/api-keys.ts';
import type { AuditLog } from '#shared/admin/audit.ts';
import { toChannelView } from '#shared/admin/channels.ts';
import type { DeadLetterAdmin } from '#shared/admin/dead-letters.ts';
import type { PolicyAdmin } from '#shared/admin/policies.ts';
import type { SilenceAdmin } from '#shared/admin/silences.ts';
import { SIGNING_SECRET_GRACE_MS } from '#shared/channels/webhook/index.ts';
import { HttpError } from '#shared/domain/errors.ts';
import { adminWithFakes, putRequest } from './support.ts';

const NOW = new Date('2026-11-23T09:00:00Z');
const SIGNING = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NEXT = 'whsec_QmV0dGVyU2VjcmV0VmFsdWVGb3JUZXN0cw==';
const HOOK_URL = 'https://hooks.example.com/herald';

const webhook = (config: Record<string, unknown> = {}) => ({
  type: 'webhook',
  config: { url: HOOK_URL, ...config },
});

const failure = async (attempt: Promise<unknown>): Promise<HttpError> => {
  const error = await attempt.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(error)}`);
  return error;
};

describe('ChannelAdmin.signingSecret', () => {
  it("returns a webhook channel's signing secret, while every other read shows only that it is configured", async () => {
    // Prepare
    const { admin } = adminWithFakes();
    await admin.put(putRequest('ops', webhook({ signingSecret: SIGNING })), false, NOW);

    // Act
    const secret = await admin.signingSecret('ops', NOW);
    const view = toChannelView(await admin.get('ops'));

    // Assess
    expect(secret).toEqual({ signingSecret: SIGNING });
    expect(view.config.signingSecret).toEqual({ configured: true });
    expect(JSON.stringify(view)).not.toContain(SIGNING.slice(6));
  });

  it('returns the secret Herald generated when none was given', async () => {
    // Prepare
    const { admin, secrets } = adminWithFakes();
    await admin.put(putRequest('ops', webhook()), false, NOW);

    // Act
    const secret = await admin.signingSecret('ops', NOW);

    // Assess
    expect(secret.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    expect(secret.signingSecret).toBe(secrets.get('herald/channels/ops')?.signingSecret);
  });

  it('lists a replaced secret as previous while it still signs, and no longer after its grace period', async () => {
    // Prepare
    const { admin } = adminWithFakes();
    await admin.put(putRequest('ops', webhook({ signingSecret: SIGNING })), false, NOW);
    await admin.put(putRequest('ops', webhook({ signingSecret: NEXT })), false, NOW);

    // Act
    const rotating = await admin.signingSecret('ops', new Date(NOW.getTime() + 60_000));
    const settled = await admin.signingSecret('ops', new Date(NOW.getTime() + SIGNING_SECRET_GRACE_MS + 1));

    // Assess
    expect(rotating).toEqual({
      signingSecret: NEXT,
      previous: [
        { signingSecret: SIGNING, until: new Date(NOW.getTime() + SIGNING_SECRET_GRACE_MS).toISOString() },
      ],
    });
    expect(settled).toEqual({ signingSecret: NEXT });
  });

  it("reads a referenced signing secret from the user's secret", async () => {
    // Prepare
    const { admin } = adminWithFakes({ secrets: { 'team/webhooks': { signing: SIGNING } } });
    await admin.put(
      putRequest('ops', webhook({ signingSecret: { secretRef: 'team/webhooks', key: 'signing' } })),
      false,
      NOW,
    );

    // Act
    const secret = await admin.signingSecret('ops', NOW);

    // Assess
    expect(secret).toEqual({ signingSecret: SIGNING });
  });

  it('answers 409 naming the reference, not a value, when a referenced secret is gone or not a signing secret', async () => {
    // Prepare
    const { admin, store } = adminWithFakes({ secrets: { 'team/webhooks': { signing: SIGNING } } });
    await admin.put(
      putRequest('ops', webhook({ signingSecret: { secretRef: 'team/webhooks', key: 'signing' } })),
      false,
      NOW,
    );

    // Act
    await store.write('team/webhooks', { signing: 'not-a-whsec-value' }, 'ops');
    const malformed = await failure(admin.signingSecret('ops', NOW));
    await store.remove('team/webhooks');
    const gone = await failure(admin.signingSecret('ops', NOW));

    // Assess
    for (const error of [malformed, gone]) {
      expect(error).toMatchObject({
        status: 409,
        code: 'signing_secret_unreadable',
        message: "channel ops's signing secret cannot be read from team/webhooks (key signing)",
      });
    }
  });

  it("lets a failure to read Herald's own secret through as it is (a 500), not as the user's mistake", async () => {
    // Prepare
    const { admin, secrets } = adminWithFakes();
    await admin.put(putRequest('ops', webhook({ signingSecret: SIGNING })), false, NOW);
    secrets.delete('herald/channels/ops');

    // Act
    const attempt = admin.signingSecret('ops', NOW);

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(attempt).rejects.not.toBeInstanceOf(HttpError);
  });

  it('answers 400 for a channel whose type has no signing secret, and 404 for an unknown channel', async () => {
    // Prepare
    const { admin } = adminWithFakes();
    await admin.put(
      putRequest('chat', {
        type: 'slack',
        config: {
          webhookUrl: 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
        },
      }),
      false,
      NOW,
    );

    // Act
    const slack = await failure(admin.signingSecret('chat', NOW));
    const unknown = await failure(admin.signingSecret('none', NOW));

    // Assess
    expect(slack).toMatchObject({
      status: 400,
      code: 'no_signing_secret',
      message: 'channel chat is a slack channel, which has no signing secret (only webhook channels do)',
    });
    expect(unknown).toMatchObject({ status: 404, code: 'not_found', message: 'channel none does not exist' });
  });
});

describe('GET /v1/channels/{id}/signing-secret', () => {
  it('answers the secret with cache-control: no-store, and 400 for an id that is not one', async () => {
    // Prepare
    const { admin } = adminWithFakes();
    await admin.put(putRequest('ops', webhook({ signingSecret: SIGNING })), false, NOW);
    const routes = adminRoutes({
      channels: admin,
      policies: {} as PolicyAdmin,
      apiKeys: {} as ApiKeyAdmin,
      activity: {} as ActivityAdmin,
      deadLetters: {} as DeadLetterAdmin,
      silences: {} as SilenceAdmin,
      audit: {} as AuditLog,
    });
    const read = (id: string) =>
      dispatch(
        routes,
        {
          method: 'GET',
          routeKey: 'GET /v1/channels/{id}/signing-secret',
          pathParameters: { id },
          query: {},
          headers: {},
          body: undefined,
        },
        NOW,
      );

    // Act
    const response = await read('ops');
    const invalid = await failure(read('Not_An_Id'));

    // Assess
    expect(response).toEqual({
      status: 200,
      body: { signingSecret: SIGNING },
      headers: { 'cache-control': 'no-store' },
    });
    expect(invalid.status).toBe(400);
  });
});
