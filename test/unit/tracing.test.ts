import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSampled, LazyTracer, tracedTransports } from '#shared/runtime/tracing.ts';
import { type LocalServer, startLocalServer } from './support.ts';

const traceHeader = (sampled: boolean, root = '1-5759e988-bd862e3fe1be46a994272793') =>
  `Root=${root};Parent=53995c3f42cd8ad8;Sampled=${sampled ? 1 : 0}`;

const context = { functionName: 'herald-test', awsRequestId: 'r-1' } as Context;

describe('isSampled', () => {
  it.each([
    [traceHeader(true), true],
    [traceHeader(false), false],
    ['Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1;Lineage=a:0', true],
    ['Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?', false],
    [undefined, false],
    ['', false],
  ])('reads %s as sampled: %s', (header, sampled) => {
    expect(isSampled(header)).toBe(sampled);
  });
});

describe('LazyTracer without a sampled invocation', () => {
  it('never loads the Tracer', async () => {
    // Prepare
    let loads = 0;
    const tracer = new LazyTracer({
      serviceName: 'herald-test',
      log: { warn: () => undefined },
      traceHeader: () => traceHeader(false),
      load: () => {
        loads += 1;
        return Promise.reject(new Error('not expected'));
      },
    });
    const handler = middy(async () => tracer.subsegment('send http', async () => 'sent')).use(
      tracer.middleware(),
    );

    // Act
    const results = [await handler({}, context), await handler({}, context)];

    // Assess
    expect(results).toEqual(['sent', 'sent']);
    expect(loads).toBe(0);
  });

  it('runs the invocation untraced, and says so once, when the Tracer does not load', async () => {
    // Prepare
    const warnings: string[] = [];
    const tracer = new LazyTracer({
      serviceName: 'herald-test',
      log: { warn: (message) => warnings.push(message) },
      traceHeader: () => traceHeader(true),
      load: () => Promise.reject(new Error('Cannot find module ./xray-tracer.js')),
    });
    const handler = middy(async () => tracer.subsegment('send http', async () => 'sent')).use(
      tracer.middleware(),
    );

    // Act
    const results = [await handler({}, context), await handler({}, context)];

    // Assess
    expect(results).toEqual(['sent', 'sent']);
    expect(warnings).toEqual(['the tracer did not load: invocations run untraced']);
  });
});

/** An X-Ray segment document as the SDK sends it to the daemon. */
interface SegmentDocument {
  readonly name: string;
  readonly type?: string;
  readonly trace_id?: string;
  readonly parent_id?: string;
  readonly error?: boolean;
  readonly fault?: boolean;
  readonly annotations?: Record<string, unknown>;
  readonly aws?: { readonly operation?: string };
  readonly metadata?: Record<string, unknown>;
}

/**
 * The real Tracer and X-Ray SDK, as in Lambda (`LAMBDA_TASK_ROOT`, `AWS_EXECUTION_ENV`, the trace header
 * per invocation), sending to a UDP socket standing in for the X-Ray daemon, with a DynamoDB client
 * calling a local server.
 */
describe('LazyTracer on sampled invocations', () => {
  let daemon: Socket;
  let server: LocalServer;
  const documents: SegmentDocument[] = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    daemon = createSocket('udp4');
    daemon.on('message', (packet) => {
      const [, body = '{}'] = packet.toString('utf8').split('\n');
      documents.push(JSON.parse(body) as SegmentDocument);
    });
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    server = await startLocalServer();
    server.respond = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{"TableNames":[]}');
    };
    Object.assign(process.env, {
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: mkdtempSync(join(tmpdir(), 'herald-tracing-')),
      _HANDLER: 'index.handler',
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    });
  });
  afterAll(async () => {
    process.env = saved;
    daemon.close();
    await server.close();
  });

  const until = async (found: () => boolean) => {
    for (let waited = 0; !found() && waited < 5_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('records the handler, the SDK requests and the sends as subsegments of the invocation', async () => {
    // Prepare
    const header = { value: traceHeader(false) };
    const warnings: string[] = [];
    // The default loader, as the functions use it: `import()` of the file beside the module.
    const tracer = new LazyTracer({
      serviceName: 'herald-test',
      log: { warn: (message) => warnings.push(message) },
      traceHeader: () => header.value,
    });
    const db = tracer.capture(
      new DynamoDBClient({
        endpoint: server.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }),
    );
    const transports = tracedTransports(tracer, {
      http: async (url: string) => ({ status: url.length > 0 ? 200 : 400 }),
      smtp: async () => {
        throw new Error('connection refused');
      },
    });
    const handler = middy(async () => {
      await db.send(new ListTablesCommand({}));
      await transports.http('https://hooks.example.com/services/T0/B0/secret');
      await transports.smtp().catch(() => undefined);
      return { body: 'a response with user data' };
    }).use(tracer.middleware());

    // Act: a first invocation that is not sampled, then two that are, each with its own trace.
    process.env._X_AMZN_TRACE_ID = header.value;
    await handler({}, context);
    const documentsUnsampled = documents.length;
    const roots = ['1-5759e988-bd862e3fe1be46a994272793', '1-5759e989-bd862e3fe1be46a994272794'];
    for (const root of roots) {
      header.value = traceHeader(true, root);
      // The X-Ray SDK reads the trace of the invocation from the variable Lambda sets for each one.
      process.env._X_AMZN_TRACE_ID = header.value;
      await handler({}, context);
    }
    await until(() => documents.filter((document) => document.name === '## index.handler').length === 2);

    // Assess
    expect(warnings).toEqual([]);
    expect(documentsUnsampled).toBe(0);
    const [first, second] = roots.map((root) => documents.filter((document) => document.trace_id === root));
    const names = (trace: readonly SegmentDocument[] = []) => trace.map((document) => document.name).sort();
    expect(names(first)).toEqual(['## index.handler', 'DynamoDB', 'send http', 'send smtp']);
    expect(names(second)).toEqual(names(first));
    const handlerSegments = [first, second].map((trace) =>
      trace?.find((document) => document.name === '## index.handler'),
    );
    // The Tracer was loaded on the instance's second invocation: no cold start there.
    expect(handlerSegments.map((segment) => segment?.annotations)).toEqual([
      { ColdStart: false, Service: 'herald-test' },
      { ColdStart: false, Service: 'herald-test' },
    ]);
    expect(first?.find((document) => document.name === 'DynamoDB')?.aws?.operation).toBe('ListTables');
    expect(first?.find((document) => document.name === 'send smtp')?.fault).toBe(true);
    // Neither the response nor the target URL is recorded.
    const sent = JSON.stringify(documents);
    expect(sent).not.toContain('user data');
    expect(sent).not.toContain('secret');
  });
});
