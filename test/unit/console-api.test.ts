import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { AdminClient, type ChannelView, HeraldApiError } from '../../cli/client.ts';
import { channelBody, handleApi } from '../../cli/console/api.ts';
import { ConsoleRequestError, toConsoleError } from '../../cli/console/errors.ts';
import { whatWouldMatch } from '../../cli/console/match.ts';
import { percentile, summarizeDeliveries } from '../../cli/console/overview.ts';
import { EndpointError } from '../../cli/endpoint.ts';
import { type LocalServer, startLocalServer } from './support.ts';

const reply = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

let api: LocalServer;
let client: AdminClient;

beforeAll(async () => {
  api = await startLocalServer();
  client = new AdminClient({
    baseUrl: api.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
});

afterAll(async () => {
  await api.close();
});

const get = (path: string) => ({ method: 'GET', path, query: new URLSearchParams(), body: undefined });

describe('console proxy error mapping', () => {
  it("passes the admin API's error through with its status, code, message and details", async () => {
    // Prepare
    api.respond = (_request, response) =>
      reply(response, 400, {
        error: 'invalid_request',
        message: 'the request body is not valid',
        details: [{ path: 'config.url', message: 'url must be an https:// URL' }],
      });

    // Act
    const error = await handleApi(client, get('/channels/ops')).catch((caught: unknown) => caught);

    // Assess
    expect(toConsoleError(error)).toEqual({
      status: 400,
      body: {
        error: 'invalid_request',
        message: 'the request body is not valid',
        details: [{ path: 'config.url', message: 'url must be an https:// URL' }],
      },
    });
  });

  it('passes a 404 through', async () => {
    api.respond = (_request, response) =>
      reply(response, 404, { error: 'not_found', message: 'channel ops does not exist' });
    const error = await handleApi(client, get('/channels/ops')).catch((caught: unknown) => caught);
    expect(toConsoleError(error)).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });

  it('answers 502 when the API cannot be reached or answers what the client does not understand', () => {
    expect(toConsoleError(new HeraldApiError(0, 'unreachable', 'cannot reach x'))).toMatchObject({
      status: 502,
      body: { error: 'unreachable', message: 'cannot reach x' },
    });
    expect(toConsoleError(new HeraldApiError(200, 'unexpected_response', 'odd body'))).toMatchObject({
      status: 502,
    });
  });

  it('answers 503 when nothing can be signed or the stack cannot be found', () => {
    expect(toConsoleError(new HeraldApiError(0, 'no_credentials', 'configure credentials')).status).toBe(503);
    expect(toConsoleError(new EndpointError('stack Herald not found')).status).toBe(503);
  });

  it('answers 400 with field paths for a body the console refuses, and hides anything else behind a 500', () => {
    const invalid = z.object({ enabled: z.boolean() }).safeParse({ enabled: 'yes' });
    expect(toConsoleError(invalid.error)).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', details: [{ path: 'enabled' }] },
    });
    expect(toConsoleError(new Error('secret internals'))).toEqual({
      status: 500,
      body: { error: 'internal_error', message: 'the console server failed; see its output' },
    });
  });

  it('answers 404 for an unknown console route and 405 for a wrong method', async () => {
    const unknown = await handleApi(client, get('/nope')).catch((caught: unknown) => caught);
    const wrongMethod = await handleApi(client, { ...get('/overview'), method: 'POST' }).catch(
      (caught: unknown) => caught,
    );
    expect(unknown).toBeInstanceOf(ConsoleRequestError);
    expect(toConsoleError(unknown).status).toBe(404);
    expect(toConsoleError(wrongMethod).status).toBe(405);
  });
});

describe('console server helpers', () => {
  it('writes a channel back without its read-only fields and without the secrets Herald stores', () => {
    const view: ChannelView = {
      id: 'ops',
      type: 'webhook',
      enabled: true,
      target: 'POST hooks.example.com',
      etag: '"3"',
      createdAt: '2026-11-23T09:00:00Z',
      updatedAt: '2026-11-24T09:00:00Z',
      config: {
        method: 'POST',
        url: { configured: true },
        signingSecret: { secretRef: 'arn:aws:secretsmanager:eu-west-1:1:secret:x', key: 'signing' },
      },
    };
    expect(channelBody(view)).toEqual({
      type: 'webhook',
      enabled: true,
      config: {
        method: 'POST',
        signingSecret: { secretRef: 'arn:aws:secretsmanager:eu-west-1:1:secret:x', key: 'signing' },
      },
    });
  });

  it('counts deliveries by whatever status the API answers, per bucket, with delivered latency', () => {
    // Prepare
    const now = new Date('2026-12-07T12:00:00Z');
    const at = (minutesAgo: number, seconds = 0) =>
      new Date(now.getTime() - minutesAgo * 60_000 + seconds * 1000);
    const delivery = (status: string, minutesAgo: number, tookSeconds: number) => ({
      deliveryId: `d${minutesAgo}`,
      eventId: 'e',
      channelId: 'c',
      status,
      attemptCount: 1,
      createdAt: at(minutesAgo).toISOString(),
      updatedAt: at(minutesAgo, tookSeconds).toISOString(),
    });

    // Act
    const figures = summarizeDeliveries(
      [
        delivery('delivered', 1, 1),
        delivery('delivered', 2, 3),
        delivery('digested', 3, 0),
        delivery('dead', 50, 9),
        delivery('delivered', 120, 1),
      ],
      '1h',
      now,
      false,
    );

    // Assess
    expect(figures.totals).toEqual({ delivered: 2, digested: 1, dead: 1 });
    expect(figures.buckets).toHaveLength(12);
    expect(figures.buckets.at(-1)?.counts).toEqual({ delivered: 2, digested: 1 });
    expect(figures.latencyMs).toEqual({ p50: 1000, p95: 3000, count: 2 });
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
  });

  it("matches an event with the router's index, naming silenced and missing channels", () => {
    // Prepare
    const channel = (id: string, enabled = true): ChannelView => ({
      id,
      type: 'webhook',
      enabled,
      config: {},
    });
    const now = new Date('2026-12-07T12:00:00Z');

    // Act
    const answer = whatWouldMatch(
      { type: 'deploy.finished', source: 'ci', attributes: { environment: 'production' } },
      {
        policies: [
          {
            id: 'prod',
            events: ['deploy.*'],
            match: { environment: 'production' },
            channels: ['ops', 'gone'],
          },
          { id: 'staging', match: { environment: 'staging' }, channels: ['qa'] },
        ],
        channels: [channel('ops'), channel('qa')],
        silences: [
          {
            id: 'quiet',
            events: ['deploy.*'],
            startsAt: '2026-12-07T11:00:00Z',
            endsAt: '2026-12-07T13:00:00Z',
            status: 'active',
          },
        ],
      },
      now,
    );

    // Assess
    expect(answer.routes).toEqual([{ channelId: 'ops', policyIds: ['prod'], silencedBy: 'quiet' }]);
    expect(answer.missingChannels).toEqual(['gone']);
    expect(answer.event).toMatchObject({ severity: 'info', subject: 'deploy.finished' });
  });

  it('refuses an event the ingest API would refuse', () => {
    expect(() =>
      whatWouldMatch({ type: 'x' }, { policies: [], channels: [], silences: [] }, new Date()),
    ).toThrow(z.ZodError);
  });
});
