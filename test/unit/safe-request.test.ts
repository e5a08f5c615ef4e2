import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  guardedLookup,
  RequestTimeoutError,
  resolveTargetHost,
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

vi.mock('node:dns/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:dns/promises')>();
  const lookup = async (hostname: string, options: { all: true }) =>
    fakeDns.get(hostname) ?? actual.lookup(hostname, options);
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

  it('stops reading a body that streams without end and closes the connection', async () => {
    // Prepare: a receiver that writes a chunk every few milliseconds, for ever
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    server.respond = (_request, response) => {
      response.writeHead(500);
      const stream = setInterval(() => response.write('x'.repeat(100)), 5);
      response.on('close', () => {
        clearInterval(stream);
        closed();
      });
    };
    const started = Date.now();

    // Act
    const response = await safeRequest(post(server.url, { timeoutMs: 2000 }), allowPrivate);

    // Assess
    expect(response.status).toBe(500);
    expect(response.bodySnippet).toBe('x'.repeat(512));
    expect(Date.now() - started).toBeLessThan(2000);
    await connectionClosed;
  });

  it('ends at the timeout with the status and the body so far when a receiver trickles for ever', async () => {
    // Prepare: a status at once, then one byte every 20 ms, never reaching the snippet size
    server.respond = (_request, response) => {
      response.writeHead(503);
      const stream = setInterval(() => response.write('y'), 20);
      response.on('close', () => clearInterval(stream));
    };
    const started = Date.now();

    // Act
    const response = await safeRequest(post(server.url, { timeoutMs: 300 }), allowPrivate);

    // Assess
    const elapsed = Date.now() - started;
    expect(response.status).toBe(503);
    expect(response.bodySnippet).toMatch(/^y+$/);
    expect(response.bodySnippet.length).toBeLessThan(512);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1000);
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
    await expect(result).rejects.toThrow('inward.example.com resolves to a non-public address');
  });

  it('refuses a name that resolves to the metadata address', async () => {
    fakeDns.set('metadata.example.com', [{ address: '169.254.169.254', family: 4 }]);
    const result = safeRequest(post('https://metadata.example.com/', { timeoutMs: 1000 }), strict);
    await expect(result).rejects.toThrow('metadata.example.com resolves to a non-public address');
  });

  it('refuses a name that resolves to IPv6 loopback', async () => {
    fakeDns.set('loop6.example.com', [{ address: '::1', family: 6 }]);
    const result = safeRequest(post('https://loop6.example.com/', { timeoutMs: 1000 }), strict);
    await expect(result).rejects.toThrow('loop6.example.com resolves to a non-public address');
  });

  it.each([
    [
      'public first',
      [
        { address: '8.8.8.8', family: 4 },
        { address: '10.0.0.7', family: 4 },
      ],
    ],
    [
      'private first',
      [
        { address: '127.0.0.1', family: 4 },
        { address: '1.1.1.1', family: 4 },
      ],
    ],
    [
      'IPv4 public, IPv6 private',
      [
        { address: '8.8.8.8', family: 4 },
        { address: 'fd00:ec2::254', family: 6 },
      ],
    ],
  ])(
    'refuses a name with one public and one private answer (%s), not only its private one',
    async (_order, answers) => {
      // Prepare
      fakeDns.set('mixed.example.com', answers);

      // Act
      const result = safeRequest(post('https://mixed.example.com/', { timeoutMs: 1000 }), strict);

      // Assess
      await expect(result).rejects.toThrow('mixed.example.com resolves to a non-public address');
    },
  );

  it('refuses a name whose answer is a private address in IPv6 clothing', async () => {
    fakeDns.set('nat64.example.com', [{ address: '64:ff9b::a9fe:a9fe', family: 6 }]);
    const result = safeRequest(post('https://nat64.example.com/', { timeoutMs: 1000 }), strict);
    await expect(result).rejects.toBeInstanceOf(TargetNotAllowedError);
  });
});

describe('guardedLookup', () => {
  const lookUp = (hostname: string, all: boolean) =>
    new Promise<{ error: Error | null; result: unknown }>((resolve) => {
      guardedLookup(hostname, { all }, (error: Error | null, address: unknown, family?: number) => {
        resolve({ error, result: all ? address : { address, family } });
      });
    });

  it('passes a name whose answers are all public, as one address or as the list', async () => {
    // Prepare
    const answers = [
      { address: '8.8.8.8', family: 4 },
      { address: '2606:4700:4700::1111', family: 6 },
    ];
    fakeDns.set('public.example.com', answers);

    // Act
    const one = await lookUp('public.example.com', false);
    const all = await lookUp('public.example.com', true);

    // Assess
    expect(one).toEqual({ error: null, result: { address: '8.8.8.8', family: 4 } });
    expect(all).toEqual({ error: null, result: answers });
  });

  it('refuses a name with any non-public answer, also when the caller asks for every address', async () => {
    fakeDns.set('half.example.com', [
      { address: '1.1.1.1', family: 4 },
      { address: '192.168.1.1', family: 4 },
    ]);
    const { error } = await lookUp('half.example.com', true);
    expect(error).toBeInstanceOf(TargetNotAllowedError);
  });
});

describe('resolveTargetHost with DNS answers', () => {
  it('returns the first answer of a name whose answers are all public', async () => {
    fakeDns.set('mail.example.com', [
      { address: '8.8.4.4', family: 4 },
      { address: '8.8.8.8', family: 4 },
    ]);
    await expect(resolveTargetHost('mail.example.com', strict)).resolves.toBe('8.8.4.4');
  });

  it('refuses a name with one public and one private answer', async () => {
    fakeDns.set('mixed-mail.example.com', [
      { address: '8.8.8.8', family: 4 },
      { address: '10.1.1.1', family: 4 },
    ]);
    await expect(resolveTargetHost('mixed-mail.example.com', strict)).rejects.toThrow(
      'mixed-mail.example.com resolves to a non-public address',
    );
  });

  it('returns a private answer when private targets are allowed', async () => {
    fakeDns.set('local-mail.example.com', [{ address: '10.1.1.1', family: 4 }]);
    await expect(resolveTargetHost('local-mail.example.com', allowPrivate)).resolves.toBe('10.1.1.1');
  });
});
