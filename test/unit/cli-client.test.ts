import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdminClient, HeraldApiError, quoteEtag } from '../../cli/client.ts';
import { type LocalServer, startLocalServer } from './support.ts';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

const reply = (
  response: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
) => {
  response
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(body === undefined ? undefined : JSON.stringify(body));
};

const CHANNEL = {
  id: 'ops',
  type: 'webhook',
  enabled: true,
  config: {
    url: { configured: true },
    signingSecret: { configured: true },
    method: 'POST',
    timeoutMs: 10000,
  },
  createdAt: '2026-11-23T09:00:00Z',
  updatedAt: '2026-11-23T09:00:00Z',
  etag: '"1"',
};

const failure = async (promise: Promise<unknown>): Promise<HeraldApiError> => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof HeraldApiError)) throw new Error(`expected a HeraldApiError, got ${String(error)}`);
  return error;
};

describe('AdminClient', () => {
  let server: LocalServer;
  let client: AdminClient;

  beforeAll(async () => {
    server = await startLocalServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.received.length = 0;
    client = new AdminClient({
      baseUrl: `${server.url}/_aws/execute-api/abc123`,
      region: 'eu-west-1',
      credentials: CREDENTIALS,
    });
  });

  it('signs every request with SigV4 for execute-api in the region', async () => {
    // Prepare
    server.respond = (_request, response) => reply(response, 200, CHANNEL, { etag: '"1"' });

    // Act
    await client.getChannel('ops');

    // Assess
    const [request] = server.received;
    expect(request?.url).toBe('/_aws/execute-api/abc123/v1/channels/ops');
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(request?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('returns a channel with the ETag header', async () => {
    // Prepare
    server.respond = (_request, response) => reply(response, 200, CHANNEL, { etag: '"7"' });

    // Act
    const { view, etag } = await client.getChannel('ops');

    // Assess
    expect(view.config.url).toEqual({ configured: true });
    expect(etag).toBe('"7"');
  });

  it('sends a PUT body as JSON with a quoted If-Match and tells created from replaced', async () => {
    // Prepare
    server.respond = (_request, response) => reply(response, 201, CHANNEL, { etag: '"1"' });

    // Act
    const written = await client.putChannel(
      'ops',
      { type: 'webhook', config: { url: 'https://x' } },
      { ifMatch: '3' },
    );

    // Assess
    const [request] = server.received;
    expect(request?.method).toBe('PUT');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['if-match']).toBe('"3"');
    expect(JSON.parse(request?.body ?? '')).toEqual({ type: 'webhook', config: { url: 'https://x' } });
    expect(written).toMatchObject({ created: true, etag: '"1"' });
  });

  it('plans with ?dryRun=true and reads the action, changes and warnings', async () => {
    // Prepare
    server.respond = (_request, response) =>
      reply(response, 200, {
        action: 'update',
        changes: ['channels'],
        warnings: ['channel x does not exist'],
      });

    // Act
    const plan = await client.planPolicy('prod', { channels: ['x'] });

    // Assess
    expect(server.received[0]?.url).toBe('/_aws/execute-api/abc123/v1/policies/prod?dryRun=true');
    expect(plan).toEqual({ action: 'update', changes: ['channels'], warnings: ['channel x does not exist'] });
  });

  it('follows nextToken until the last page', async () => {
    // Prepare
    server.respond = (request, response) =>
      request.url.includes('nextToken=page2')
        ? reply(response, 200, { items: [{ ...CHANNEL, id: 'b' }] })
        : reply(response, 200, { items: [{ ...CHANNEL, id: 'a' }], nextToken: 'page2' });

    // Act
    const channels = await client.listAllChannels();

    // Assess
    expect(channels.map((channel) => channel.id)).toEqual(['a', 'b']);
    expect(server.received).toHaveLength(2);
  });

  it('passes delivery filters as query parameters, leaving out the ones not given', async () => {
    // Prepare
    server.respond = (_request, response) => reply(response, 200, { items: [] });

    // Act
    await client.listDeliveries({ status: 'dead', channel: 'ops', limit: 5 });

    // Assess
    expect(server.received[0]?.url).toBe(
      '/_aws/execute-api/abc123/v1/deliveries?status=dead&channel=ops&limit=5',
    );
  });

  it('maps a Herald error body to status, code, message and details', async () => {
    // Prepare
    server.respond = (_request, response) =>
      reply(response, 400, {
        error: 'invalid_request',
        message: 'the request body is not valid',
        details: [{ path: 'config.url', message: 'url must be an https:// URL' }],
      });

    // Act
    const error = await failure(client.putChannel('ops', {}));

    // Assess
    expect(error).toMatchObject({
      status: 400,
      code: 'invalid_request',
      message: 'the request body is not valid',
      details: [{ path: 'config.url', message: 'url must be an https:// URL' }],
    });
  });

  it('maps a 404 to not_found', async () => {
    // Prepare
    server.respond = (_request, response) =>
      reply(response, 404, { error: 'not_found', message: 'channel x does not exist' });

    // Act
    const error = await failure(client.getChannel('x'));

    // Assess
    expect(error).toMatchObject({ status: 404, code: 'not_found', message: 'channel x does not exist' });
  });

  it('maps API Gateway errors, which are not in Herald shape, by status', async () => {
    // Prepare
    server.respond = (_request, response) => reply(response, 403, { message: 'Forbidden' });

    // Act
    const error = await failure(client.listKeys());

    // Assess
    expect(error).toMatchObject({
      status: 403,
      code: 'forbidden',
      message: 'GET /_aws/execute-api/abc123/v1/api-keys: Forbidden',
    });
  });

  it('reports a body it does not understand instead of passing it on', async () => {
    // Prepare
    server.respond = (_request, response) => reply(response, 200, { unexpected: true });

    // Act
    const error = await failure(client.testChannel('ops'));

    // Assess
    expect(error.code).toBe('unexpected_response');
  });

  it('accepts 204 for deletes and sends If-Match when given', async () => {
    // Prepare
    server.respond = (_request, response) => response.writeHead(204).end();

    // Act
    await client.deletePolicy('old', { ifMatch: '"2"' });

    // Assess
    expect(server.received[0]).toMatchObject({
      method: 'DELETE',
      url: '/_aws/execute-api/abc123/v1/policies/old',
    });
    expect(server.received[0]?.headers['if-match']).toBe('"2"');
  });

  it('reports an endpoint that does not answer as status 0, unreachable', async () => {
    // Prepare
    const closed = await startLocalServer();
    await closed.close();
    const offline = new AdminClient({ baseUrl: closed.url, region: 'us-east-1', credentials: CREDENTIALS });

    // Act
    const error = await failure(offline.listChannels());

    // Assess
    expect(error).toMatchObject({ status: 0, code: 'unreachable' });
    expect(error.message).toContain(closed.url);
  });
});

describe('quoteEtag', () => {
  it('quotes a bare ETag and leaves quoted, weak and * alone', () => {
    // Assess
    expect(['3', '"3"', 'W/"3"', '*'].map(quoteEtag)).toEqual(['"3"', '"3"', 'W/"3"', '*']);
  });
});
