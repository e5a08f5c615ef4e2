/**
 * Ingest throughput (issue 10): events/s and p50/p99 request latency for signed ingest requests of 1,
 * 10 and 100 events on the bench stack, beside the emulator's own floor for the same work, measured
 * in the same run from this process: one `PutItem` per event (conditional, with the claim's item shape,
 * all in flight at once as ingest does) and `SendMessageBatch` in batches of 10, on a table and queue
 * of the baseline's own. As a what-if, the same claims as one `TransactWriteItems` per 100 events.
 * Herald and baseline rounds alternate, so both see the same emulator, and each timed request or
 * baseline round starts once the router has drained the ingest queue (untimed): the emulator is one
 * process, and the router's work on the previous request's events would otherwise slow this one.
 *
 * The events match no policy: the router reads and marks each one, and delivers nothing.
 *
 * Run alone: `npx tsx test/bench/ingest.ts`.
 */
import { randomUUID } from 'node:crypto';
import {
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type BenchRow,
  type BenchStack,
  createKeyedTable,
  functionLogs,
  isMain,
  log,
  runAlone,
  sleep,
} from './stack.ts';

/** Requests per size: about 1,000 events for 1 and 10, 2,000 for 100 (p99 of 20 is their worst). */
const ROUNDS = [
  { size: 1, requests: 200 },
  { size: 10, requests: 100 },
  { size: 100, requests: 20 },
] as const;
/** Requests and baseline rounds alternate in slices of this many. */
const SLICE = 5;
const TARGET_RATIO = 1.5;

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

const eventsOf = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, n) => ({
    id: `${prefix}-${n}`,
    type: `${prefix}.unrouted`,
    source: 'bench',
    subject: `event ${n}`,
    data: { n, note: 'a small payload, as most notifications are' },
  }));

/** What ingest writes and queues for one event, near enough in size and shape. */
const claimItem = (event: ReturnType<typeof eventsOf>[number], now: Date) => {
  const epoch = Math.floor(now.getTime() / 1000);
  return {
    pk: { S: `event#${event.id}` },
    sk: { S: 'event' },
    status: { S: 'accepted' },
    acceptedAt: { S: now.toISOString() },
    acceptedEpoch: { N: String(epoch) },
    type: { S: event.type },
    source: { S: event.source },
    payload: { S: JSON.stringify({ ...event, time: now.toISOString(), specversion: '1.0' }) },
    expiresAt: { N: String(epoch + 30 * 86_400) },
  };
};

interface Baseline {
  /** Time the baseline's `PutItem` requests took, summed, and how many there were (reset per size). */
  readonly puts: { ms: number; count: number };
  /** Claims as ingest makes them, and the events queued in batches of 10. */
  putAndSend(events: ReturnType<typeof eventsOf>): Promise<void>;
  /** The same claims as `TransactWriteItems` of up to 100, then the same batches. */
  transactAndSend(events: ReturnType<typeof eventsOf>): Promise<void>;
  dispose(): Promise<void>;
}

const createBaseline = async (): Promise<Baseline> => {
  const db = new DynamoDBClient({});
  const sqs = new SQSClient({});
  const name = `herald-bench-baseline-${randomUUID().slice(0, 8)}`;
  await createKeyedTable(db, name, 'pk', 'sk');
  await waitUntilTableExists({ client: db, maxWaitTime: 30 }, { TableName: name });
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? '';
  const condition = {
    ConditionExpression: 'attribute_not_exists(pk) OR acceptedEpoch < :cutoff',
    ExpressionAttributeValues: { ':cutoff': { N: String(Math.floor(Date.now() / 1000) - 86_400) } },
  };
  const send = async (events: ReturnType<typeof eventsOf>) => {
    for (let start = 0; start < events.length; start += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: events.slice(start, start + 10).map((event, index) => ({
            Id: `e${index}`,
            MessageBody: JSON.stringify({ kind: 'herald.event', event }),
          })),
        }),
      );
    }
  };
  const puts = { ms: 0, count: 0 };
  return {
    puts,
    putAndSend: async (events) => {
      const now = new Date();
      await Promise.all(
        events.map(async (event) => {
          const started = performance.now();
          await db.send(new PutItemCommand({ TableName: name, Item: claimItem(event, now), ...condition }));
          puts.ms += performance.now() - started;
          puts.count += 1;
        }),
      );
      await send(events);
    },
    transactAndSend: async (events) => {
      const now = new Date();
      for (let start = 0; start < events.length; start += 100) {
        await db.send(
          new TransactWriteItemsCommand({
            TransactItems: events.slice(start, start + 100).map((event) => ({
              Put: { TableName: name, Item: claimItem(event, now), ...condition },
            })),
          }),
        );
      }
      await send(events);
    },
    dispose: async () => {
      await db.send(new DeleteTableCommand({ TableName: name }));
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    },
  };
};

/** Waits (up to 30 s) until the router has taken every message off the ingest queue and finished it. */
const drained = async (sqs: SQSClient, queueUrl: string): Promise<void> => {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { Attributes: attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const left =
      Number(attributes.ApproximateNumberOfMessages ?? 0) +
      Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
    if (left === 0) return;
    await sleep(50);
  }
};

/** Times `run` `count` times in a row, each after `settle` (untimed); returns each duration in ms. */
const timed = async (
  count: number,
  settle: () => Promise<void>,
  run: (index: number) => Promise<void>,
): Promise<number[]> => {
  const durations: number[] = [];
  for (let index = 0; index < count; index += 1) {
    await settle();
    const started = performance.now();
    await run(index);
    durations.push(performance.now() - started);
  }
  return durations;
};

interface Series {
  readonly latencies: number[];
  readonly events: number;
}

const summary = (series: Series) => {
  const totalMs = series.latencies.reduce((sum, ms) => sum + ms, 0);
  return {
    eventsPerSecond: (series.events * 1000) / Math.max(1, totalMs),
    p50: percentile(series.latencies, 50),
    p99: percentile(series.latencies, 99),
  };
};

const describe = (series: Series) => {
  const { eventsPerSecond, p50, p99 } = summary(series);
  return `${eventsPerSecond.toFixed(1)} events/s, p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms`;
};

/** The bench: for each request size, Herald's ingest beside the baseline, alternating. */
export const ingestBench = async (bench: BenchStack): Promise<BenchRow[]> => {
  const run = `ing${Date.now() % 1_000_000}`;
  const baseline = await createBaseline();
  const sqs = new SQSClient({});
  const settle = () => drained(sqs, bench.outputs.IngestQueueUrl ?? '');
  const rows: BenchRow[] = [];
  try {
    // One request first, so a cold start is not in the figures.
    await bench.call('POST', '/v1/iam/events', { events: eventsOf(`${run}-warm`, 10) });
    for (const { size, requests } of ROUNDS) {
      const since = Date.now();
      baseline.puts.ms = 0;
      baseline.puts.count = 0;
      const herald: Series = { latencies: [], events: size * requests };
      const floor: Series = { latencies: [], events: size * requests };
      const transact: Series = { latencies: [], events: size * requests };
      for (let done = 0; done < requests; done += SLICE) {
        const slice = Math.min(SLICE, requests - done);
        const batch = (kind: string, index: number) =>
          eventsOf(`${run}-${size}-${kind}-${done + index}`, size);
        herald.latencies.push(
          ...(await timed(slice, settle, async (index) => {
            await bench.call('POST', '/v1/iam/events', { events: batch('h', index) });
          })),
        );
        floor.latencies.push(
          ...(await timed(slice, settle, (index) => baseline.putAndSend(batch('b', index)))),
        );
        if (size === 100) {
          transact.latencies.push(
            ...(await timed(slice, settle, (index) => baseline.transactAndSend(batch('t', index)))),
          );
        }
      }
      const ratio = summary(herald).p50 / Math.max(1, summary(floor).p50);
      // How much of a request the ingest handler itself took (the rest: API Gateway and Lambda's invoke).
      await sleep(1_000);
      const invocations = (
        await functionLogs(bench.emulator.endpoint, 'HeraldBench', since)
      ).invocations.filter((invocation) => invocation.service === 'herald-ingest');
      const claims = invocations.map((invocation) => invocation.requests['DynamoDB.PutItem(event)']);
      const claimMs = claims.reduce((sum, tally) => sum + (tally?.ms ?? 0), 0);
      const claimCount = claims.reduce((sum, tally) => sum + (tally?.requests ?? 0), 0);
      // Ingest sends its batches one after another: their summed time is wall time inside the handler.
      const sendMs = percentile(
        invocations.map((invocation) => invocation.requests['SQS.SendMessageBatch']?.ms ?? 0),
        50,
      );
      const handler =
        `handler p50 ${percentile(
          invocations.map((invocation) => invocation.handlerMs),
          50,
        ).toFixed(0)} ms; ` +
        `a claim PutItem ${(claimMs / Math.max(1, claimCount)).toFixed(1)} ms on average; ` +
        `its SendMessageBatch calls p50 ${sendMs.toFixed(0)} ms in all`;
      const floorPuts = `a PutItem ${(baseline.puts.ms / Math.max(1, baseline.puts.count)).toFixed(1)} ms on average`;
      log(
        `${size}-event requests: Herald ${describe(herald)} (${handler}); baseline ${describe(floor)} (${floorPuts})`,
      );
      rows.push({
        figure: `ingest: requests of ${size} event${size === 1 ? '' : 's'} (${requests} requests, one at a time)`,
        measured: `${describe(herald)} (${handler})`,
        baseline: `PutItem per event + SendMessageBatch per 10: ${describe(floor)} (${floorPuts})`,
        target: size === 100 ? `p50 ≤ ${TARGET_RATIO}× baseline (is ${ratio.toFixed(2)}×)` : '–',
        holds: size === 100 ? ratio <= TARGET_RATIO : undefined,
      });
      if (size === 100) {
        rows.push({
          figure: 'ingest what-if: the claims of a 100-event request as one TransactWriteItems',
          measured: describe(transact),
          baseline: `PutItem per event: ${describe(floor)}`,
          target: '–',
          holds: undefined,
        });
      }
    }
  } finally {
    await baseline.dispose();
  }
  return rows;
};

if (isMain(import.meta.url)) await runAlone(ingestBench);
