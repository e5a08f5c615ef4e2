/**
 * AWS requests per notification (issue 10): on the bench stack, 1,000 events sent in signed ingest
 * requests of 10 to 2 webhook channels with local receivers; every function counts the requests its
 * SDK clients make (`shared/runtime/request-counter.ts`) and logs them per invocation, read back here
 * from the emulator's CloudWatch Logs with the handler durations and memory sizes. A warm-up batch goes
 * first and is left out, so the counts are steady state. `cost.ts` prices what this measures.
 *
 * Run alone: `npx tsx test/bench/requests.ts` (prints the breakdown, the request rows and the cost rows).
 */
import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { newSigningSecret } from '../../shared/channels/webhook/index.ts';
import type { RequestTally } from '../../shared/runtime/request-counter.ts';
import { costRows } from './cost.ts';
import { type BenchRow, type BenchStack, functionLogs, isMain, log, runAlone, sleep } from './stack.ts';

const EVENTS = 1_000;
const BATCH = 10;
const CHANNELS = 2;
/** Ingest requests in flight at once (a few producers). */
const PARALLEL_REQUESTS = 5;
const WARM_UP_EVENTS = 100;
const STACK_NAME = 'HeraldBench';

/** What one function did over the measured events. */
export interface FunctionUsage {
  readonly service: string;
  readonly invocations: number;
  readonly requests: Readonly<Record<string, RequestTally>>;
  /** Sum of handler durations (ms). */
  readonly handlerMs: number;
  /** Sum of the emulator's REPORT durations (ms), where found. */
  readonly reportMs: number;
  readonly memoryMb: number;
  /** Bytes logged (CloudWatch Logs ingestion), bench-only lines left out. */
  readonly logBytes: number;
}

export interface RequestsResult {
  readonly events: number;
  readonly channels: number;
  /** Events per ingest request. */
  readonly batch: number;
  readonly deliveries: number;
  /** How long the measured window lasted (s). */
  readonly seconds: number;
  readonly functions: readonly FunctionUsage[];
}

const DYNAMODB_WRITES = /^DynamoDB\.(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)\b/;
const DYNAMODB_READS = /^DynamoDB\.(GetItem|Query|Scan|BatchGetItem|TransactGetItems)\b/;

/** Requests whose key matches, over the given functions (all by default). */
export const requestsMatching = (
  result: RequestsResult,
  pattern: RegExp,
  service?: string,
): { requests: number; bytes: number } => {
  let requests = 0;
  let bytes = 0;
  for (const usage of result.functions) {
    if (service !== undefined && usage.service !== service) continue;
    for (const [key, tally] of Object.entries(usage.requests)) {
      if (!pattern.test(key)) continue;
      requests += tally.requests;
      bytes += tally.bytes;
    }
  }
  return { requests, bytes };
};

const eventsOf = (prefix: string, from: number, count: number) =>
  Array.from({ length: count }, (_, n) => ({
    id: `${prefix}-${from + n}`,
    type: `${prefix}.created`,
    source: 'bench',
    subject: `event ${from + n}`,
    data: { n: from + n, note: 'a small payload, as most notifications are' },
  }));

/** Sends `count` events in requests of `batch`, `PARALLEL_REQUESTS` at a time. */
const sendEvents = async (bench: BenchStack, prefix: string, from: number, count: number) => {
  const batches: ReturnType<typeof eventsOf>[] = [];
  for (let start = 0; start < count; start += BATCH) {
    batches.push(eventsOf(prefix, from + start, Math.min(BATCH, count - start)));
  }
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const events = batches[next];
      next += 1;
      if (events !== undefined) await bench.call('POST', '/v1/iam/events', { events });
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_REQUESTS }, worker));
};

/** Runs the measurement: warm-up, then 1,000 events × 2 channels, counted. */
export const measureRequests = async (bench: BenchStack): Promise<RequestsResult> => {
  const run = `req${Date.now() % 1_000_000}`;
  const receiver = await new WebhookReceiver().start();
  try {
    const paths: string[] = [];
    for (let channel = 0; channel < CHANNELS; channel += 1) {
      const id = `${run}-${channel}`;
      const path = `/${id}`;
      const signingSecret = newSigningSecret();
      receiver.expect(path, signingSecret);
      await bench.call('PUT', `/v1/channels/${id}`, {
        type: 'webhook',
        config: { url: receiver.url(path), signingSecret },
      });
      paths.push(path);
    }
    await bench.call('PUT', `/v1/policies/${run}`, {
      events: [`${run}.*`],
      channels: paths.map((path) => path.slice(1)),
    });
    await sleep(3_000);

    log(`warm-up: ${WARM_UP_EVENTS} events × ${CHANNELS} channels`);
    await sendEvents(bench, run, 0, WARM_UP_EVENTS);
    for (const path of paths) await receiver.waitFor(path, WARM_UP_EVENTS, 120_000);
    // Let the last warm-up invocations finish and log before the measured window opens.
    await sleep(2_000);

    const since = Date.now();
    log(`measuring: ${EVENTS} events in requests of ${BATCH} × ${CHANNELS} channels`);
    await sendEvents(bench, run, WARM_UP_EVENTS, EVENTS);
    const arrived = await Promise.all(
      paths.map((path) => receiver.waitFor(path, WARM_UP_EVENTS + EVENTS, 600_000)),
    );
    await sleep(2_000);
    const until = Date.now();
    const deliveries = arrived.reduce((sum, list) => sum + list.length, 0) - WARM_UP_EVENTS * CHANNELS;
    log(`${deliveries} deliveries arrived; reading the function logs`);

    const logs = await functionLogs(bench.emulator.endpoint, STACK_NAME, since, until);
    const byService = new Map<string, FunctionUsage>();
    for (const invocation of logs.invocations) {
      const usage = byService.get(invocation.service) ?? {
        service: invocation.service,
        invocations: 0,
        requests: {},
        handlerMs: 0,
        reportMs: 0,
        memoryMb: invocation.memoryMb,
        logBytes: logs.logBytes[invocation.service] ?? 0,
      };
      const requests: Record<string, RequestTally> = { ...usage.requests };
      for (const [key, tally] of Object.entries(invocation.requests)) {
        const sum = requests[key] ?? { requests: 0, bytes: 0, ms: 0 };
        requests[key] = {
          requests: sum.requests + tally.requests,
          bytes: sum.bytes + tally.bytes,
          ms: sum.ms + tally.ms,
        };
      }
      byService.set(invocation.service, {
        ...usage,
        invocations: usage.invocations + 1,
        requests,
        handlerMs: usage.handlerMs + invocation.handlerMs,
        reportMs: usage.reportMs + (invocation.reportMs ?? 0),
      });
    }
    return {
      events: EVENTS,
      channels: CHANNELS,
      batch: BATCH,
      deliveries,
      seconds: (until - since) / 1000,
      functions: [...byService.values()].sort((a, b) => a.service.localeCompare(b.service)),
    };
  } finally {
    await receiver.stop();
  }
};

const fixed = (value: number, digits = 3) => value.toFixed(digits);

/** Prints requests per event by function, service and operation, and durations per function. */
export const printBreakdown = (result: RequestsResult): void => {
  const pairs = result.events * result.channels;
  const lines = [
    '',
    `AWS requests over ${result.events} events × ${result.channels} channels (${result.deliveries} deliveries), steady state:`,
    '| function | request | count | per event | per (event, channel) | mean request bytes | mean ms |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const usage of result.functions) {
    for (const [key, tally] of Object.entries(usage.requests).sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(
        `| ${usage.service} | ${key} | ${tally.requests} | ${fixed(tally.requests / result.events)} | ${fixed(tally.requests / pairs)} | ${fixed(tally.bytes / Math.max(1, tally.requests), 0)} | ${fixed(tally.ms / Math.max(1, tally.requests), 1)} |`,
      );
    }
  }
  lines.push(
    '',
    '| function | invocations | memory | mean handler ms | mean emulator REPORT ms | log bytes per invocation |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const usage of result.functions) {
    const per = (value: number) => (usage.invocations === 0 ? 0 : value / usage.invocations);
    lines.push(
      `| ${usage.service} | ${usage.invocations} | ${usage.memoryMb} MB | ${fixed(per(usage.handlerMs), 1)} | ${fixed(per(usage.reportMs), 1)} | ${fixed(per(usage.logBytes), 0)} |`,
    );
  }
  console.log(lines.join('\n'));
};

/** The table rows for the request targets. */
export const requestRows = (result: RequestsResult): BenchRow[] => {
  const pairs = result.events * result.channels;
  const ingestSqs = requestsMatching(result, /^SQS\./, 'herald-ingest').requests / result.events;
  const policyQueries = requestsMatching(result, /^DynamoDB\.\w+\(policy\)/).requests;
  const policyReads = policyQueries / result.events;
  const configReads = requestsMatching(result, /^DynamoDB\.\w+\((policy|channel|meta)\)/).requests;
  const secretCalls = requestsMatching(result, /^SecretsManager\./).requests / result.events;
  const routingWrites = requestsMatching(result, DYNAMODB_WRITES, 'herald-router').requests / pairs;
  const deliveryWrites = requestsMatching(result, DYNAMODB_WRITES, 'herald-deliver').requests / pairs;
  const allDynamoDbReads = requestsMatching(result, DYNAMODB_READS).requests / result.events;
  const all = result.functions.reduce(
    (sum, usage) => sum + Object.values(usage.requests).reduce((s, tally) => s + tally.requests, 0),
    0,
  );
  const complete = result.deliveries === pairs;
  return [
    {
      figure: `AWS requests: all functions, per (event, channel) (${result.events} events × ${result.channels} webhook channels)`,
      measured: `${fixed(all / pairs, 2)} (${all} requests; ${result.deliveries}/${pairs} delivered)`,
      baseline: '–',
      target: '–',
      holds: complete ? undefined : false,
    },
    {
      figure: `AWS requests: ingest SQS requests per event (requests of ${result.batch})`,
      measured: fixed(ingestSqs),
      baseline: `${fixed(1 / result.batch)} (one SendMessageBatch per request)`,
      target: '≤ 0.15',
      holds: ingestSqs <= 0.15,
    },
    {
      figure: 'AWS requests: DynamoDB reads of policies per event (steady state)',
      measured:
        `${fixed(policyReads)} (${policyQueries} policy reads in ${result.seconds.toFixed(0)} s: a router reads every policy on a cold start only, then what changed; ` +
        `config reads of any kind, the 1 s generation checks included: ${configReads}; all DynamoDB reads per event: ${fixed(allDynamoDbReads)})`,
      baseline: '0',
      target: '0',
      holds: policyReads === 0,
    },
    {
      figure: 'AWS requests: Secrets Manager calls per event (steady state)',
      measured: fixed(secretCalls),
      baseline: '0',
      target: '0',
      holds: secretCalls === 0,
    },
    {
      figure: 'AWS requests: DynamoDB writes in routing per (event, channel)',
      measured: fixed(routingWrites),
      baseline: '–',
      target: '≤ 1',
      holds: routingWrites <= 1,
    },
    {
      figure: 'AWS requests: DynamoDB writes in delivery per (event, channel)',
      measured: fixed(deliveryWrites),
      baseline: '–',
      target: '≤ 2',
      holds: deliveryWrites <= 2,
    },
  ];
};

/** The bench: measures and returns the request rows (printing the breakdown on the way). */
export const requestsBench = async (bench: BenchStack): Promise<BenchRow[]> => {
  const result = await measureRequests(bench);
  printBreakdown(result);
  return requestRows(result);
};

if (isMain(import.meta.url)) {
  await runAlone(async (bench) => {
    const result = await measureRequests(bench);
    printBreakdown(result);
    return [...requestRows(result), ...costRows(result)];
  });
}
