import { describe, expect, it } from 'vitest';
import { validateTargetUrl } from '#shared/admin/targets.ts';
import { ValidationError } from '#shared/domain/errors.ts';

describe('validateTargetUrl (channel registration)', () => {
  it.each([
    ['http://hooks.example.com/x', 'only https'],
    ['https://10.1.2.3/x', 'not a public address'],
    ['https://127.0.0.1:8443/x', 'not a public address'],
    ['https://169.254.169.254/latest', 'not a public address'],
    ['https://[::1]/x', 'not a public address'],
    ['https://localhost/x', 'not a public address'],
  ])('refuses %s with a 400 on the field path', async (url, message) => {
    const attempt = validateTargetUrl(url, 'config.url', { allowPrivateTargets: false });
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({
      status: 400,
      details: [{ path: 'config.url', message: expect.stringContaining(message) }],
    });
  });

  it('accepts a public https address', async () => {
    await expect(
      validateTargetUrl('https://8.8.8.8/hook', 'config.url', { allowPrivateTargets: false }),
    ).resolves.toBeUndefined();
  });

  it('accepts private and plain-HTTP targets when the stack allows private targets', async () => {
    await expect(
      validateTargetUrl('http://127.0.0.1:8787/demo', 'config.url', { allowPrivateTargets: true }),
    ).resolves.toBeUndefined();
  });
});
