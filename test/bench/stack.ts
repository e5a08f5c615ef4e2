/**
 * What the emulator benchmarks share: start (or reuse) the emulator, deploy a bench stack onto it, and
 * call its API signed with SigV4 (a non-2xx answer throws with its body).
 */

import { pathToFileURL } from 'node:url';
import { Sha256 } from '@aws-crypto/sha256-js';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import * as z from 'zod';
import { sigV4Headers } from '../../cli/signing.ts';
import {
  apiUrl,
  deployStack,
  LOCAL_REGION,
  type RunningEmulator,
  type StackOutputs,
  startEmulator,
  stopEmulator,
  useEmulator,
} from '../../scripts/lib/local-aws.ts';
import { signedFetch } from '../../scripts/lib/signed-fetch.ts';
import { REQUEST_COUNT_MESSAGE, type RequestCountLine } from '../../shared/runtime/request-counter.ts';
import { markdownTable, type Row } from './table.ts';

export const log = (message: string) => console.log(`[bench] ${message}`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface BenchStack {
  readonly emulator: RunningEmulator;
  /** The stack's outputs (table names, queue URLs, `ApiId`). */
  readonly outputs: StackOutputs;
  call(method: string, path: string, body?: unknown): Promise<Response>;
  /** Stops the emulator if this run started it. */
  stop(): void;
}

/**
 * Deploys `HeraldBench` (retry schedule `0,1,1` s) onto the emulator. Its functions log the AWS
 * requests they make (`countRequests`): see {@link functionLogs}.
 */
export const benchStack = async (): Promise<BenchStack> => {
  const emulator = await startEmulator(log);
  useEmulator(emulator.endpoint);
  const outputs = await deployStack(
    emulator.endpoint,
    { stackName: 'HeraldBench', eventBusName: 'herald-bench', retrySchedule: [0, 1, 1], countRequests: true },
    log,
  );
  return {
    emulator,
    outputs,
    call: async (method, path, body) => {
      const response = await signedFetch({
        method,
        url: apiUrl(emulator.endpoint, outputs, path),
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (response.status >= 300)
        throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return response;
    },
    stop: () => {
      if (emulator.started) stopEmulator(log);
    },
  };
};

/** One invocation as the function logs tell it: its request counts and durations. */
export interface InvocationLog extends RequestCountLine {
  /** `herald-ingest`, `herald-router`… (the Powertools service name). */
  readonly service: string;
  /** The emulator's `REPORT` duration for the same invocation (its wall time), when found. */
  readonly reportMs: number | undefined;
}

const CloudWatchPage = z.object({
  logGroups: z.array(z.object({ logGroupName: z.string() })).optional(),
  nextToken: z.string().optional(),
  events: z
    .array(z.object({ message: z.string(), timestamp: z.number(), logStreamName: z.string() }))
    .optional(),
});

const CountLine = z.object({
  message: z.literal(REQUEST_COUNT_MESSAGE),
  service: z.string(),
  requests: z.record(z.string(), z.object({ requests: z.number(), bytes: z.number(), ms: z.number() })),
  handlerMs: z.number(),
  memoryMb: z.number(),
});

/** A request to one of the emulator's AWS APIs, signed as the SDK would sign it. */
export interface EmulatorRequest {
  /** The signing name: `logs`, `lambda`… */
  readonly service: string;
  readonly method: string;
  /** Path and query, e.g. `/2015-03-31/functions`. @default '/' */
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/**
 * Calls an emulator API the driver has no SDK client for (CloudWatch Logs, Lambda); a non-2xx answer
 * throws with its body. Returns the parsed JSON answer (`undefined` when empty).
 */
export const emulatorCall = async (endpoint: string, request: EmulatorRequest): Promise<unknown> => {
  const url = new URL(request.path ?? '/', endpoint);
  const text = request.body === undefined ? undefined : JSON.stringify(request.body);
  const signer = new SignatureV4({
    service: request.service,
    region: LOCAL_REGION,
    credentials: fromNodeProviderChain(),
    sha256: Sha256,
  });
  const headers = await sigV4Headers(signer, {
    method: request.method,
    url,
    headers: { ...request.headers },
    ...(text === undefined ? {} : { body: text }),
  });
  const response = await fetch(url, {
    method: request.method,
    headers,
    ...(text === undefined ? {} : { body: text }),
  });
  const answer = await response.text();
  if (!response.ok) {
    throw new Error(`${request.service} ${request.method} ${url.pathname}: ${response.status} ${answer}`);
  }
  return answer === '' ? undefined : JSON.parse(answer);
};

/** Calls the emulator's CloudWatch Logs (JSON protocol). */
const logsCall = async (endpoint: string, action: string, body: Record<string, unknown>) =>
  CloudWatchPage.parse(
    await emulatorCall(endpoint, {
      service: 'logs',
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Logs_20140328.${action}` },
      body,
    }),
  );

/** Every event of a log group between two times; splits the window when a page comes back full. */
const logEvents = async (
  endpoint: string,
  logGroupName: string,
  startTime: number,
  endTime: number,
): Promise<{ message: string; logStreamName: string }[]> => {
  const limit = 10_000;
  const page = await logsCall(endpoint, 'FilterLogEvents', { logGroupName, startTime, endTime, limit });
  const events = page.events ?? [];
  if (events.length < limit || endTime - startTime < 2) return events;
  const middle = Math.floor((startTime + endTime) / 2);
  return [
    ...(await logEvents(endpoint, logGroupName, startTime, middle)),
    ...(await logEvents(endpoint, logGroupName, middle + 1, endTime)),
  ];
};

const REPORT = /^REPORT RequestId: \S+\s+Duration: ([\d.]+) ms/;

export interface FunctionLogs {
  readonly invocations: readonly InvocationLog[];
  /**
   * Bytes of log lines by service, as CloudWatch Logs would ingest them (the platform's START, END and
   * REPORT lines included), without the bench-only request-count lines.
   */
  readonly logBytes: Readonly<Record<string, number>>;
}

/**
 * What the stack's functions logged between two times (ms since the epoch): each invocation's
 * request-count line ({@link REQUEST_COUNT_MESSAGE}), paired with the emulator's `REPORT` line from
 * the same log stream (the emulator writes one stream per invocation), and the bytes logged.
 */
export const functionLogs = async (
  endpoint: string,
  stackName: string,
  since: number,
  until = Date.now(),
): Promise<FunctionLogs> => {
  const groups: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await logsCall(endpoint, 'DescribeLogGroups', {
      logGroupNamePattern: stackName,
      ...(nextToken === undefined ? {} : { nextToken }),
    });
    groups.push(...(page.logGroups ?? []).map((group) => group.logGroupName));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);

  const invocations: InvocationLog[] = [];
  const logBytes: Record<string, number> = {};
  for (const group of groups) {
    const events = await logEvents(endpoint, group, since, until);
    const reports = new Map<string, number>();
    const lines: { line: NonNullable<ReturnType<typeof countLine>>; stream: string }[] = [];
    let bytes = 0;
    for (const event of events) {
      const duration = REPORT.exec(event.message)?.[1];
      if (duration !== undefined) reports.set(event.logStreamName, Number(duration));
      const line = event.message.includes(REQUEST_COUNT_MESSAGE) ? countLine(event.message) : undefined;
      if (line === undefined) bytes += Buffer.byteLength(event.message, 'utf8');
      else lines.push({ line, stream: event.logStreamName });
    }
    for (const { line, stream } of lines) invocations.push({ ...line, reportMs: reports.get(stream) });
    const service = lines[0]?.line.service;
    if (service !== undefined) logBytes[service] = (logBytes[service] ?? 0) + bytes;
  }
  return { invocations, logBytes };
};

const countLine = (message: string) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.slice(message.indexOf('{')));
  } catch {
    return undefined;
  }
  const line = CountLine.safeParse(parsed);
  return line.success ? line.data : undefined;
};

/** One line of the `npm run bench` table (the runner's `Row`). */
export type BenchRow = Row;

/** Prints rows as the runner's Markdown table. */
export const printRows = (rows: readonly BenchRow[]): void => {
  console.log(`\n${markdownTable(rows)}`);
};

/** Runs a bench on its own stack when its file is run directly, prints its rows and stops. */
export const runAlone = async (bench: (stack: BenchStack) => Promise<readonly BenchRow[]>): Promise<void> => {
  const stack = await benchStack();
  try {
    printRows(await bench(stack));
  } finally {
    stack.stop();
  }
};

/** Whether the module whose `import.meta.url` this is was run directly (not imported by the runner). */
export const isMain = (moduleUrl: string): boolean =>
  process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;

/** Creates an on-demand table keyed by string `hash` and `range` attributes (a benchmark's own table). */
export const createKeyedTable = async (
  client: DynamoDBClient,
  tableName: string,
  hash: string,
  range: string,
): Promise<void> => {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: hash, AttributeType: 'S' },
        { AttributeName: range, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: hash, KeyType: 'HASH' },
        { AttributeName: range, KeyType: 'RANGE' },
      ],
    }),
  );
};
