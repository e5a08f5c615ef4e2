import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { type LocalServer, startLocalServer } from './support.ts';

const SIGNING = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const PREVIOUS = 'whsec_QmV0dGVyU2VjcmV0VmFsdWVGb3JUZXN0cw==';

const ENTRIES = [
  {
    id: '01JDQ6Z3M4N5P6Q7R8S9T0V1W3',
    at: '2026-11-23T09:05:00.000Z',
    principal: { arn: 'arn:aws:iam::123456789012:user/alice', accountId: '123456789012' },
    route: 'GET /v1/channels/{id}/signing-secret',
    resourceId: 'ops',
    status: 200,
    fields: [],
  },
  {
    id: '01JDQ6Z3M4N5P6Q7R8S9T0V1W2',
    at: '2026-11-23T09:00:00.000Z',
    principal: { arn: 'unknown' },
    route: 'PUT /v1/channels/{id}',
    resourceId: 'ops',
    status: null,
    fields: ['enabled', 'config.url'],
  },
];

const reply = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

const buffer = () => {
  const sink = {
    text: '',
    isTTY: false,
    write(chunk: string) {
      sink.text += chunk;
      return true;
    },
  };
  return sink;
};

describe('herald audit and herald channels signing-secret', () => {
  let server: LocalServer;

  beforeAll(async () => {
    server = await startLocalServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.received.length = 0;
  });

  const herald = async (...args: string[]) => {
    const stdout = buffer();
    const stderr = buffer();
    const code = await main(['node', 'herald', '--local', '--endpoint', server.url, ...args], {
      io: { stdout, stderr },
      env: {},
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  };

  it('lists the audit log as a table, passing since and limit, with a hint for the next page', async () => {
    // Prepare
    server.respond = (_request, response) => reply(response, 200, { items: ENTRIES, nextToken: 'tok2' });
    const before = Date.now();

    // Act
    const result = await herald('audit', '--since', '2h', '--limit', '2');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'TIME                      PRINCIPAL                             ROUTE                                 RESOURCE  STATUS  FIELDS',
        '2026-11-23T09:05:00.000Z  arn:aws:iam::123456789012:user/alice  GET /v1/channels/{id}/signing-secret  ops          200  -',
        '2026-11-23T09:00:00.000Z  unknown                               PUT /v1/channels/{id}                 ops            ?  enabled,config.url',
        '',
      ].join('\n'),
    );
    expect(result.stderr).toBe('More: add --next-token tok2\n');
    const [request] = server.received;
    const url = new URL(request?.url ?? '', 'http://localhost');
    expect(url.pathname).toBe('/v1/audit');
    expect(url.searchParams.get('limit')).toBe('2');
    const since = Date.parse(url.searchParams.get('since') ?? '');
    expect(Math.abs(since - (before - 2 * 3_600_000))).toBeLessThan(5_000);
    expect(request?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
  });

  it('passes --next-token on, and prints the page as the API sent it with --json', async () => {
    // Prepare
    server.respond = (_request, response) => reply(response, 200, { items: ENTRIES });

    // Act
    const result = await herald('--json', 'audit', '--next-token', 'tok2');

    // Assess
    expect(JSON.parse(result.stdout)).toEqual({ items: ENTRIES });
    expect(server.received[0]?.url).toBe('/v1/audit?nextToken=tok2');
  });

  it('refuses a --since that is neither a time nor a duration, before calling the API', async () => {
    const result = await herald('audit', '--since', 'yesterday');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("option '--since <time>' argument 'yesterday' is invalid");
    expect(server.received).toEqual([]);
  });

  it('prints the signing secret alone on stdout, with rotation notes on stderr only', async () => {
    // Prepare
    server.respond = (_request, response) =>
      reply(response, 200, {
        signingSecret: SIGNING,
        previous: [{ signingSecret: PREVIOUS, until: '2026-11-24T09:00:00.000Z' }],
      });

    // Act
    const result = await herald('channels', 'signing-secret', 'ops');

    // Assess
    expect(result).toEqual({
      code: 0,
      stdout: `${SIGNING}\n`,
      stderr:
        'A replaced secret also signs until 2026-11-24T09:00:00.000Z (herald --json channels signing-secret ops shows it).\n',
    });
    expect(server.received[0]).toMatchObject({ method: 'GET', url: '/v1/channels/ops/signing-secret' });
  });

  it('prints the whole answer with --json, before or after the command', async () => {
    // Prepare
    const body = {
      signingSecret: SIGNING,
      previous: [{ signingSecret: PREVIOUS, until: '2026-11-24T09:00:00.000Z' }],
    };
    server.respond = (_request, response) => reply(response, 200, body);

    // Act
    const before = await herald('--json', 'channels', 'signing-secret', 'ops');
    const after = await herald('channels', 'signing-secret', 'ops', '--json');

    // Assess
    expect(JSON.parse(before.stdout)).toEqual(body);
    expect(JSON.parse(after.stdout)).toEqual(body);
  });

  it('exits 1 with the reason, and nothing on stdout, for a channel without a signing secret', async () => {
    // Prepare
    server.respond = (_request, response) =>
      reply(response, 400, {
        error: 'no_signing_secret',
        message: 'channel chat is a slack channel, which has no signing secret (only webhook channels do)',
      });

    // Act
    const result = await herald('channels', 'signing-secret', 'chat');

    // Assess
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'herald: 400 no_signing_secret: channel chat is a slack channel, which has no signing secret (only webhook channels do)\n',
    });
  });
});
