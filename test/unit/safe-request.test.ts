import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  RequestTimeoutError,
  type SafeRequest,
  safeRequest,
  TargetNotAllowedError,
} from '#shared/http/safe-request.ts';
import { type LocalServer, startLocalServer } from './support.ts';

/** Names the fake resolver answers; every other name goes to the real resolver. */
const fakeDns = vi.hoisted(() => new Map<string, { address: string; family: number }[]>());

vi.mock('node:dns', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:dns')>();
  const lookup = (
    hostname: string,
    options: object,
    callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
  ) => {
    const answer = fakeDns.get(hostname);
    if (answer === undefined) return actual.lookup(hostname, { ...options, all: true }, callback);
    setImmediate(() => callback(null, answer));
  };
  return { ...actual, default: { ...actual, lookup }, lookup };
});

const allowPrivate = { allowPrivateTargets: true };
const strict = { allowPrivateTargets: false };

const post = (url: string, overrides: Partial<SafeRequest> = {}): SafeRequest => ({
  url,
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-test': 'yes' },
  body: '{"hello":"wörld"}',
  timeoutMs: 2000,
  ...overrides,
});

describe('safeRequest against a local server', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends method, headers and body and returns status, headers and a body snippet', async () => {
    // Prepare
    server.respond = (_request, response) => response.writeHead(201, { 'x-receiver': 'r1' }).end('created');

    // Act
    const response = await safeRequest(post(`${server.url}/hook`, { method: 'PUT' }), allowPrivate);

    // Assess
    expect(response.status).toBe(201);
    expect(response.headers['x-receiver']).toBe('r1');
    expect(response.bodySnippet).toBe('created');
    const received = server.received.at(-1);
    expect(received).toMatchObject({ method: 'PUT', url: '/hook', body: '{"hello":"wörld"}' });
    expect(received?.headers['x-test']).toBe('yes');
    expect(received?.headers['content-length']).toBe(String(Buffer.byteLength('{"hello":"wörld"}')));
  });

  it('keeps only the first 512 bytes of a long response body', async () => {
    server.respond = (_request, response) => response.writeHead(500).end('e'.repeat(10_000));
    const response = await safeRequest(post(server.url), allowPrivate);
    expect(response.status).toBe(500);
    expect(response.bodySnippet).toBe('e'.repeat(512));
  });

  it('does not follow a 302 redirect', async () => {
    // Prepare
    server.respond = (request, response) => {
      if (request.url === '/moved') response.writeHead(302, { location: '/target' }).end();
      else response.writeHead(200).end('followed');
    };
    const before = server.received.length;

    // Act
    const response = await safeRequest(post(`${server.url}/moved`), allowPrivate);

    // Assess
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/target');
    expect(server.received.slice(before).map((request) => request.url)).toEqual(['/moved']);
  });

  it('gives up with RequestTimeoutError when no response comes within the timeout', async () => {
    // Prepare: never answer
    server.respond = () => {};
    const started = Date.now();

    // Act
    const result = safeRequest(post(server.url, { timeoutMs: 150 }), allowPrivate);

    // Assess
    await expect(result).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses the same local server when private targets are not allowed', async () => {
    await expect(async () => safeRequest(post(server.url), strict)).rejects.toBeInstanceOf(
      TargetNotAllowedError,
    );
    await expect(async () =>
      safeRequest(post(server.url.replace('http:', 'https:')), strict),
    ).rejects.toBeInstanceOf(TargetNotAllowedError);
  });

  it('reports a refused connection as a network error', async () => {
    // Prepare: a port nobody listens on
    const closed = await startLocalServer();
    await closed.close();

    // Act
    const result = safeRequest(post(closed.url), allowPrivate);

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('safeRequest connect-time address check', () => {
  it('refuses a public-looking name that resolves to a private address', async () => {
    // Prepare
    fakeDns.set('inward.example.com', [{ address: '10.0.0.7', family: 4 }]);

    // Act
    const result = safeRequest(post('https://inward.example.com/hook', { timeoutMs: 1000 }), strict);

    // Assess
    await expect(result).rejects.toBeInstanceOf(TargetNotAllowedError);
    await expect(result).rejects.toThrow('inward.example.com resolves only to non-public addresses');
  });

  it('refuses a name that resolves to the metadata address', async () => {
    fakeDns.set('metadata.example.com', [{ address: '169.254.169.254', family: 4 }]);
    const result = safeRequest(post('https://metadata.example.com/', { timeoutMs: 1000 }), strict);
    await expect(result).rejects.toThrow('metadata.example.com resolves only to non-public addresses');
  });

  it('refuses a name that resolves to IPv6 loopback', async () => {
    fakeDns.set('loop6.example.com', [{ address: '::1', family: 6 }]);
    const result = safeRequest(post('https://loop6.example.com/', { timeoutMs: 1000 }), strict);
    await expect(result).rejects.toThrow('loop6.example.com resolves only to non-public addresses');
  });

  it('lets a name that resolves to a public IPv4 address through the guard', async () => {
    // Prepare: a documentation address (public, unroutable): the attempt fails later, not at the guard
    fakeDns.set('public4.example.com', [{ address: '203.0.113.7', family: 4 }]);

    // Act
    const error = await safeRequest(post('https://public4.example.com/', { timeoutMs: 300 }), strict).then(
      () => undefined,
      (caught: unknown) => caught,
    );

    // Assess
    expect(error).not.toBeInstanceOf(TargetNotAllowedError);
  });
});
