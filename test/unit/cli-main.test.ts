import { mkdtempSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { type LocalServer, type ReceivedRequest, startLocalServer } from './support.ts';

type Kind = 'channels' | 'policies';

/** An in-memory admin API with the contract's shapes: enough to drive the CLI end to end. */
const fakeAdminApi = () => {
  const stores: Record<Kind, Map<string, Record<string, unknown>>> = {
    channels: new Map(),
    policies: new Map(),
  };
  const send = (response: ServerResponse, status: number, body?: unknown) => {
    response
      .writeHead(status, { 'content-type': 'application/json' })
      .end(body === undefined ? undefined : JSON.stringify(body));
  };
  const view = (kind: Kind, id: string, body: Record<string, unknown>) =>
    kind === 'channels'
      ? {
          id,
          type: 'webhook',
          enabled: body.enabled !== false,
          target: 'POST hooks.example.com',
          config: { url: { configured: true }, method: 'POST' },
          etag: '"1"',
        }
      : { id, channels: body.channels, warnings: warningsFor(body), etag: '"1"' };
  const warningsFor = (body: Record<string, unknown>) =>
    (Array.isArray(body.channels) ? body.channels : [])
      .filter((channel) => !stores.channels.has(String(channel)))
      .map((channel) => `channel ${String(channel)} does not exist`);
  const respond = (request: ReceivedRequest, response: ServerResponse) => {
    const url = new URL(request.url, 'http://localhost');
    const [, version, kind, id, action] = url.pathname.split('/');
    if (version !== 'v1' || (kind !== 'channels' && kind !== 'policies')) {
      return send(response, 404, { error: 'not_found', message: `no route ${url.pathname}` });
    }
    const store = stores[kind];
    const noun = kind === 'channels' ? 'channel' : 'policy';
    if (id === undefined)
      return send(response, 200, { items: [...store].map(([key, body]) => view(kind, key, body)) });
    const current = store.get(id);
    if (action === 'test') {
      if (id === 'queue') {
        return send(response, 200, { ok: true, status: 200, latencyMs: 9, error: null, messageId: 'm-42' });
      }
      return id === 'ok'
        ? send(response, 200, { ok: true, status: 200, latencyMs: 7, error: null })
        : send(response, 200, { ok: false, status: 500, latencyMs: 12, error: 'HTTP 500' });
    }
    if (request.method === 'GET') {
      return current === undefined
        ? send(response, 404, { error: 'not_found', message: `${noun} ${id} does not exist` })
        : send(response, 200, view(kind, id, current));
    }
    if (request.method === 'DELETE') {
      if (current === undefined)
        return send(response, 404, { error: 'not_found', message: `${noun} ${id} does not exist` });
      store.delete(id);
      return send(response, 204);
    }
    const body = JSON.parse(request.body) as Record<string, unknown>;
    if (body.type === 'bad') {
      return send(response, 400, {
        error: 'invalid_request',
        message: 'the request body is not valid',
        details: [{ path: 'type', message: 'type must be one of: webhook' }],
      });
    }
    if (url.searchParams.get('dryRun') === 'true') {
      const keys = new Set([...Object.keys(body), ...Object.keys(current ?? {})]);
      const changes = [...keys].filter((key) => JSON.stringify(body[key]) !== JSON.stringify(current?.[key]));
      const planned = current === undefined ? 'create' : changes.length > 0 ? 'update' : 'unchanged';
      return send(response, 200, {
        action: planned,
        changes: planned === 'update' ? changes : [],
        ...(kind === 'policies' ? { warnings: warningsFor(body) } : {}),
      });
    }
    store.set(id, body);
    return send(response, current === undefined ? 201 : 200, view(kind, id, body));
  };
  return { stores, respond };
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

describe('herald (end to end against a fake admin API)', () => {
  let server: LocalServer;
  let api: ReturnType<typeof fakeAdminApi>;
  let dir: string;

  beforeAll(async () => {
    server = await startLocalServer();
    dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    api = fakeAdminApi();
    server.respond = api.respond;
    server.received.length = 0;
  });

  /** Runs `herald --local --endpoint <fake> ...args` and captures the output. */
  const herald = async (...args: string[]) => {
    const stdout = buffer();
    const stderr = buffer();
    const code = await main(['node', 'herald', '--local', '--endpoint', server.url, ...args], {
      io: { stdout, stderr },
      env: {},
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  };

  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  const HERALD_YAML = [
    'channels:',
    '  - id: ops-webhook',
    '    type: webhook',
    '    config:',
    '      url: https://hooks.example.com/ops',
    'policies:',
    '  - id: prod',
    '    channels: [ops-webhook]',
    '',
  ].join('\n');

  const writes = () =>
    server.received.filter((request) => request.method !== 'GET' && !request.url.includes('dryRun'));

  it('applies a file, then a second apply of the same file changes nothing', async () => {
    // Prepare
    const path = file('herald.yaml', HERALD_YAML);

    // Act
    const first = await herald('apply', '-f', path);
    server.received.length = 0;
    const second = await herald('apply', '-f', path);

    // Assess
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      '+ channel ops-webhook (create)\n+ policy prod (create)\nApplied: 2 created, 0 updated, 0 deleted, 0 unchanged.\n',
    );
    expect(first.stderr).toBe('');
    expect(second.stdout).toBe(
      '= channel ops-webhook (unchanged)\n= policy prod (unchanged)\nNo changes: 2 unchanged.\n',
    );
    expect(writes()).toEqual([]);
  });

  it('with --dry-run prints the plan and writes nothing', async () => {
    // Prepare
    const path = file('dry.yaml', HERALD_YAML);

    // Act
    const result = await herald('apply', '-f', path, '--dry-run');

    // Assess
    expect(result.stdout).toContain('+ channel ops-webhook (create)');
    expect(result.stdout).toContain(
      'Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged (dry run: nothing written).',
    );
    expect(api.stores.channels.size).toBe(0);
    expect(writes()).toEqual([]);
  });

  it('shows updated fields, and with --prune deletes what the file no longer names', async () => {
    // Prepare
    await herald('apply', '-f', file('before.yaml', HERALD_YAML));
    api.stores.policies.set('old', { id: 'old', channels: ['ops-webhook'] });
    const changed = HERALD_YAML.replace(
      'channels: [ops-webhook]',
      'channels: [ops-webhook]\n    minSeverity: warning',
    );

    // Act
    const result = await herald('apply', '-f', file('after.yaml', changed), '--prune');

    // Assess
    expect(result.stdout.split('\n')).toEqual([
      '= channel ops-webhook (unchanged)',
      '~ policy prod (update: minSeverity)',
      '- policy old (delete)',
      'Applied: 0 created, 1 updated, 1 deleted, 1 unchanged.',
      '',
    ]);
    expect([...api.stores.policies.keys()]).toEqual(['prod']);
  });

  it('prints policy warnings from the server on stderr', async () => {
    // Prepare
    const path = file('ghost.yaml', 'policies:\n  - id: p\n    channels: [ghost]\n');

    // Act
    const result = await herald('apply', '-f', path);

    // Assess
    expect(result.stderr).toBe('! policy p: channel ghost does not exist\n');
  });

  it('rejects an invalid file with the line of each problem, before calling the API', async () => {
    // Prepare
    const path = file(
      'broken.yaml',
      HERALD_YAML.replace('https://hooks.example.com/ops', 'ftp://hooks.example.com'),
    );

    // Act
    const result = await herald('apply', '-f', path);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `herald: ${path} is not valid (1 problem):\n${path}:5: channels.0.config.url: url must be an https:// URL\n`,
    );
    expect(server.received).toEqual([]);
  });

  it('lists channels as a table, or as the API JSON with --json', async () => {
    // Prepare
    await herald('apply', '-f', file('list.yaml', HERALD_YAML));

    // Act
    const table = await herald('channels', 'list');
    const json = await herald('--json', 'channels', 'list');

    // Assess
    expect(table.stdout).toBe(
      'ID           TYPE     ENABLED  TARGET                  EVENTS  UPDATED\n' +
        'ops-webhook  webhook  true     POST hooks.example.com  -       -\n',
    );
    expect(JSON.parse(json.stdout)).toMatchObject({ items: [{ id: 'ops-webhook' }] });
  });

  it('exits 1 with a one-line reason for an API error', async () => {
    // Act
    const result = await herald('channels', 'get', 'x');

    // Assess
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'herald: 404 not_found: channel x does not exist\n',
    });
  });

  it('checks a channel file locally before putting it, naming the field and line', async () => {
    // Prepare
    const path = file('bad-channel.json', '{"type": "bad", "config": {}}');

    // Act
    const result = await herald('channels', 'put', 'x', '-f', path);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path}:1: type: `);
    expect(server.received).toEqual([]);
  });

  it('prints the server details of a rejected PUT', async () => {
    // Prepare
    server.respond = (_request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: 'invalid_request',
          message: 'the request body is not valid',
          details: [{ path: 'config.url', message: 'private addresses are refused' }],
        }),
      );
    };
    const path = file('private.yaml', 'type: webhook\nconfig:\n  url: https://10.0.0.1/hook\n');

    // Act
    const result = await herald('channels', 'put', 'x', '-f', path);

    // Assess
    expect(result.stderr).toBe(
      'herald: 400 invalid_request: the request body is not valid\n  config.url: private addresses are refused\n',
    );
  });

  it('exits 1 when a channel test fails, after printing what happened', async () => {
    // Prepare
    api.stores.channels.set('ops', { type: 'webhook' });

    // Act
    const result = await herald('channels', 'test', 'ops');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('✘ channel ops: failed (HTTP 500, 12 ms): HTTP 500\n');
  });

  it('tests every enabled channel with --all, one line each, and exits 1 when one fails', async () => {
    // Prepare
    api.stores.channels.set('ok', { type: 'webhook' });
    api.stores.channels.set('ops', { type: 'webhook' });
    api.stores.channels.set('off', { type: 'webhook', enabled: false });

    // Act
    const result = await herald('channels', 'test', '--all');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      '✔ channel ok: delivered (HTTP 200, 7 ms)\n✘ channel ops: failed (HTTP 500, 12 ms): HTTP 500\n',
    );
  });

  it('prints the message id an SQS, SNS or EventBridge test-send reports', async () => {
    // Prepare
    api.stores.channels.set('queue', { type: 'sqs' });

    // Act
    const result = await herald('channels', 'test', 'queue');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('✔ channel queue: delivered (HTTP 200, 9 ms, message id m-42)\n');
  });

  it('refuses channels test with both an id and --all, or with neither', async () => {
    const neither = await herald('channels', 'test');
    const both = await herald('channels', 'test', 'ops', '--all');
    for (const result of [neither, both]) {
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('herald: give a channel id, or --all to test every enabled channel\n');
    }
  });

  it('sends an event built from flags, signed, to /v1/iam/events', async () => {
    // Prepare
    server.respond = (_request, response) => {
      response
        .writeHead(202, { 'content-type': 'application/json' })
        .end(JSON.stringify({ events: [{ id: 'e1', duplicate: false }] }));
    };

    // Act
    const result = await herald(
      'send',
      '--type',
      'deploy.finished',
      '--source',
      'ci',
      '--attr',
      'environment=production',
      '--attr',
      'query=a=b',
      '--data',
      '{"build": 7}',
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('ID  DUPLICATE\ne1  false\n');
    const [request] = server.received;
    expect(request?.url).toBe('/v1/iam/events');
    expect(request?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    expect(JSON.parse(request?.body ?? '')).toEqual({
      type: 'deploy.finished',
      source: 'ci',
      attributes: { environment: 'production', query: 'a=b' },
      data: { build: 7 },
    });
  });

  it('refuses an invalid event before sending it', async () => {
    // Act
    const result = await herald('send', '--type', 'Deploy Finished', '--source', 'ci');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^herald: the event is not valid: type: /);
    expect(server.received).toEqual([]);
  });

  it('prints a new key once on stdout, with the warning on stderr', async () => {
    // Prepare
    server.respond = (_request, response) => {
      response
        .writeHead(201, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ id: 'key_1', name: 'ci', key: 'hk_secret', createdAt: '2026-11-23T09:00:00Z' }),
        );
    };

    // Act
    const result = await herald('keys', 'create', '--name', 'ci');

    // Assess
    expect(result.stdout).toBe('hk_secret\n');
    expect(result.stderr).toContain('Store this key now');
  });

  it('exits 1 on a usage error', async () => {
    // Act
    const result = await herald('channels', 'put', 'x');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("required option '-f, --file <file>' not specified");
  });
});
