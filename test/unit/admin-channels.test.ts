import { describe, expect, it } from 'vitest';
import { ValidationError } from '#shared/domain/errors.ts';
import { adminWithFakes, putRequest } from './support.ts';

const NOW = new Date('2026-11-23T09:00:00Z');
const SIGNING = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const webhook = (url: string, extra: Record<string, unknown> = {}) => ({
  type: 'webhook',
  config: { url, signingSecret: SIGNING, ...extra },
});

/** The field issues of a refused PUT. */
const refusal = async (attempt: Promise<unknown>) => {
  const error = await attempt.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).details;
};

describe('ChannelAdmin.put: secrets and targets', () => {
  it('keeps stored headers when the target stays, and refuses to carry them to a new host', async () => {
    // Prepare
    const { admin } = adminWithFakes();
    const headers = { authorization: 'Bearer receiver-token' };
    await admin.put(putRequest('ops', webhook('https://hooks.example.com/a', { headers })), false, NOW);

    // Act
    const samePlace = await admin.put(putRequest('ops', webhook('https://hooks.example.com/b')), false, NOW);
    const elsewhere = admin.put(putRequest('ops', webhook('https://collector.example.net/x')), false, NOW);

    // Assess
    expect(samePlace).toMatchObject({ kind: 'written', view: { config: { headers: { configured: true } } } });
    expect(await refusal(elsewhere)).toEqual([
      {
        path: 'config.headers',
        message: 'the target changed, so the stored headers is not kept: give it again',
      },
    ]);
  });

  it('moves a channel to a new host when its target-bound secrets are given again', async () => {
    const { admin } = adminWithFakes();
    await admin.put(
      putRequest('ops', webhook('https://hooks.example.com/a', { headers: { a: '1' } })),
      false,
      NOW,
    );
    const moved = await admin.put(
      putRequest('ops', webhook('https://other.example.net/x', { headers: { a: '2' } })),
      false,
      NOW,
    );
    expect(moved).toMatchObject({ kind: 'written', created: false });
  });

  it('refuses to log in to a new SMTP server with the stored password', async () => {
    // Prepare
    const { admin } = adminWithFakes();
    const email = (host: string, secrets: Record<string, string> = {}) => ({
      type: 'email',
      config: { transport: 'smtp', host, from: 'alerts@example.com', to: ['oncall@example.com'], ...secrets },
    });
    await admin.put(
      putRequest('mail', email('smtp.example.com', { username: 'u', password: 'p' })),
      false,
      NOW,
    );

    // Act
    const attempt = admin.put(putRequest('mail', email('mail.example.net')), false, NOW);

    // Assess
    expect((await refusal(attempt))?.map((issue) => issue.path)).toEqual([
      'config.username',
      'config.password',
    ]);
  });

  it("refuses a secretRef into Herald's own channel secrets", async () => {
    // Prepare: another channel's secret, under Herald's prefix.
    const { admin } = adminWithFakes({
      secrets: { 'herald/channels/ops': { routingKey: 'R0UT1NGKEYOFANOTHERCHANNEL000000' } },
    });

    // Act
    const attempt = admin.put(
      putRequest('thief', {
        type: 'pagerduty',
        config: { routingKey: { secretRef: 'herald/channels/ops', key: 'routingKey' } },
      }),
      false,
      NOW,
    );

    // Assess
    expect(await refusal(attempt)).toEqual([
      {
        path: 'config.routingKey',
        message: "herald/channels/ops is one of Herald's own channel secrets: reference a secret you own",
      },
    ]);
  });

  it('checks a target kept in a referenced secret like an inline one, and refuses an unreadable reference', async () => {
    // Prepare
    const { admin } = adminWithFakes({
      allowPrivateTargets: false,
      secrets: { 'team/hooks': { url: 'https://169.254.169.254/latest/meta-data' } },
    });

    // Act
    const metadata = admin.put(
      putRequest('ops', { type: 'webhook', config: { url: { secretRef: 'team/hooks', key: 'url' } } }),
      false,
      NOW,
    );
    const missing = admin.put(
      putRequest('ops', { type: 'webhook', config: { url: { secretRef: 'team/none', key: 'url' } } }),
      false,
      NOW,
    );

    // Assess
    expect(await refusal(metadata)).toEqual([
      { path: 'config.url', message: '169.254.169.254 is not a public address' },
    ]);
    expect(await refusal(missing)).toEqual([
      { path: 'config.url', message: 'team/none cannot be read (ResourceNotFoundException)' },
    ]);
  });
});
