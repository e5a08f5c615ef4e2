import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serversLookup } from '#shared/http/dns.ts';
import { safeRequest, TargetNotAllowedError } from '#shared/http/safe-request.ts';
import { type DnsStub, startDnsStub } from '../integration/dns-stub.ts';

let stub: DnsStub;

beforeAll(async () => {
  stub = await startDnsStub();
});

afterAll(async () => {
  await stub.close();
});

describe('serversLookup (names resolved through given DNS servers)', () => {
  it('returns the A and AAAA answers together, also for a name with a trailing dot', async () => {
    stub.answer('both.herald.test', ['8.8.8.8', '2606:4700:4700::1111']);
    const lookup = serversLookup([stub.address]);
    await expect(lookup('both.herald.test.')).resolves.toEqual([
      { address: '8.8.8.8', family: 4 },
      { address: '2606:4700:4700::1111', family: 6 },
    ]);
  });

  it('fails with ENOTFOUND for a name the server does not know', async () => {
    await expect(serversLookup([stub.address])('unknown.herald.test')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });

  it('feeds the connect-time guard: a name that now answers loopback is refused before connecting', async () => {
    // Prepare
    stub.answer('rebind.herald.test', ['127.0.0.1']);
    const lookup = serversLookup([stub.address]);

    // Act
    const sent = safeRequest(
      { url: 'https://rebind.herald.test/hook', method: 'POST', headers: {}, body: '{}', timeoutMs: 2000 },
      { allowPrivateTargets: false, lookup },
    );

    // Assess
    await expect(sent).rejects.toBeInstanceOf(TargetNotAllowedError);
    await expect(sent).rejects.toThrow('rebind.herald.test resolves to a non-public address');
  });
});
