/**
 * End to end (issue 10): 2,000 events × 2 webhook channels through the bench stack, from the signed
 * ingest request (requests of 10, a few at a time) to the local receiver: deliveries/s, p50/p99 latency
 * from the start of an event's ingest request to its arrival, and no loss, no duplicate (by
 * `webhook-id`). Beside it, in the same run, the emulator's own floor for the same shape of work: the
 * same events sent with `SendMessageBatch` to a queue, a trivial Lambda fanning each out to a second
 * queue (one message per channel), and a trivial Lambda POSTing each message to the receiver; both
 * functions bundled from a few lines with the AWS SDK, on the same runtime, memory and batch size as
 * Herald's router and deliver functions.
 *
 * Run alone: `npx tsx test/bench/end-to-end.ts`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { build } from 'esbuild';
import * as z from 'zod';
import { type ReceivedDelivery, WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { newSigningSecret } from '../../shared/channels/webhook/index.ts';
import { type BenchRow, type BenchStack, emulatorCall, isMain, log, runAlone, sleep } from './stack.ts';

const EVENTS = 2_000;
const CHANNELS = 2;
const BATCH = 10;
const PARALLEL_REQUESTS = 5;
const TARGET_RATIO = 1.2;
const TIMEOUT_MS = 15 * 60_000;

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

/** Sends batches `PARALLEL_REQUESTS` at a time; `send` gets each batch's ids and records when it started. */
const sendAll = async (ids: readonly string[], send: (batch: string[]) => Promise<void>) => {
  const batches: string[][] = [];
  for (let start = 0; start < ids.length; start += BATCH) batches.push(ids.slice(start, start + BATCH));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next];
      next += 1;
      if (batch !== undefined) await send(batch);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_REQUESTS }, worker));
};

interface Run {
  /** Delivery latencies in ms (first arrival of each (event, channel)). */
  readonly latencies: number[];
  readonly deliveriesPerSecond: number;
  readonly lost: number;
  readonly duplicates: number;
}

const summarize = (
  sentAt: ReadonlyMap<string, number>,
  arrivals: readonly { key: string; id: string; at: number }[],
): Run => {
  const first = new Map<string, number>();
  let duplicates = 0;
  const seenIds = new Set<string>();
  for (const arrival of arrivals) {
    if (seenIds.has(arrival.id)) duplicates += 1;
    seenIds.add(arrival.id);
    if (!first.has(arrival.key)) first.set(arrival.key, arrival.at);
  }
  const latencies: number[] = [];
  for (const [key, at] of first) {
    const sent = sentAt.get(key.split(' ')[0] ?? '');
    if (sent !== undefined) latencies.push(at - sent);
  }
  const starts = [...sentAt.values()];
  const ends = [...first.values()];
  const span = Math.max(1, Math.max(...ends) - Math.min(...starts));
  return {
    latencies,
    deliveriesPerSecond: (first.size * 1000) / span,
    lost: sentAt.size * CHANNELS - first.size,
    duplicates,
  };
};

const describe = (run: Run) =>
  `${run.deliveriesPerSecond.toFixed(1)} deliveries/s, p50 ${percentile(run.latencies, 50).toFixed(0)} ms, ` +
  `p99 ${percentile(run.latencies, 99).toFixed(0)} ms, ${run.lost} lost, ${run.duplicates} duplicates`;

/** Herald: ingest requests → router → deliver → receiver. */
const heraldRun = async (bench: BenchStack, prefix: string): Promise<Run> => {
  const receiver = await new WebhookReceiver().start();
  try {
    const paths: string[] = [];
    for (let channel = 0; channel < CHANNELS; channel += 1) {
      const id = `${prefix}-${channel}`;
      const signingSecret = newSigningSecret();
      receiver.expect(`/${id}`, signingSecret);
      await bench.call('PUT', `/v1/channels/${id}`, {
        type: 'webhook',
        config: { url: receiver.url(`/${id}`), signingSecret },
      });
      paths.push(`/${id}`);
    }
    await bench.call('PUT', `/v1/policies/${prefix}`, {
      events: [`${prefix}.*`],
      channels: paths.map((path) => path.slice(1)),
    });
    await sleep(3_000);
    // A warm-up event, so the figures are not about cold starts.
    await bench.call('POST', '/v1/iam/events', {
      id: `${prefix}-warm`,
      type: `${prefix}.warm`,
      source: 'bench',
    });
    for (const path of paths) await receiver.waitFor(path, 1, 60_000);

    const ids = Array.from({ length: EVENTS }, (_, n) => `${prefix}-${n}`);
    const sentAt = new Map<string, number>();
    await sendAll(ids, async (batch) => {
      const started = Date.now();
      for (const id of batch) sentAt.set(id, started);
      await bench.call('POST', '/v1/iam/events', {
        events: batch.map((id) => ({
          id,
          type: `${prefix}.created`,
          source: 'bench',
          data: { note: 'a small payload' },
        })),
      });
    });
    await Promise.all(paths.map((path) => receiver.waitFor(path, EVENTS + 1, TIMEOUT_MS).catch(() => [])));
    await sleep(3_000);
    const key = (delivery: ReceivedDelivery) => {
      const id = z.object({ id: z.string() }).safeParse(delivery.payload);
      return `${id.success ? id.data.id : '?'} ${delivery.path}`;
    };
    return summarize(
      sentAt,
      receiver.received
        .filter((delivery) => delivery.verified && !key(delivery).startsWith(`${prefix}-warm `))
        .map((delivery) => ({
          key: key(delivery),
          id: String(delivery.headers['webhook-id'] ?? key(delivery)),
          at: delivery.at.getTime(),
        })),
    );
  } finally {
    await receiver.stop();
  }
};

/** A zip archive holding one file, stored (what Lambda's `ZipFile` takes). */
const zipOne = (name: string, content: Buffer): Buffer => {
  const fileName = Buffer.from(name, 'utf8');
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const centralOffset = local.length + fileName.length + content.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, content, central, fileName, end]);
};

/** The two trivial functions of the baseline, as source: fan out to the next queue, then POST. */
const FAN_OUT_SOURCE = `
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
const sqs = new SQSClient({});
const channels = Number(process.env.CHANNELS);
export const handler = async (event) => {
  const entries = event.Records.flatMap((record) =>
    Array.from({ length: channels }, (_, channel) => ({ body: JSON.stringify({ ...JSON.parse(record.body), channel }) })),
  );
  for (let start = 0; start < entries.length; start += 10) {
    await sqs.send(new SendMessageBatchCommand({
      QueueUrl: process.env.NEXT_QUEUE_URL,
      Entries: entries.slice(start, start + 10).map((entry, index) => ({ Id: String(index), MessageBody: entry.body })),
    }));
  }
};
`;
const POST_SOURCE = `
export const handler = async (event) => {
  await Promise.all(event.Records.map(async (record) => {
    const response = await fetch(process.env.TARGET_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: record.body });
    await response.arrayBuffer();
  }));
};
`;

const bundle = async (source: string): Promise<Buffer> => {
  const result = await build({
    stdin: { contents: source, loader: 'js', resolveDir: import.meta.dirname },
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    write: false,
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild wrote nothing');
  return zipOne('index.js', Buffer.from(output.contents));
};

const EventSourceMapping = z.object({ UUID: z.string() });

/** The emulator's SQS → Lambda → SQS → Lambda → receiver, for the same events. */
const baselineRun = async (bench: BenchStack, prefix: string): Promise<Run> => {
  const endpoint = bench.emulator.endpoint;
  const sqs = new SQSClient({});
  const arrivals: { key: string; id: string; at: number }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = z
        .object({ id: z.string(), channel: z.number() })
        .safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      if (body.success) {
        const key = `${body.data.id} /${body.data.channel}`;
        arrivals.push({ key, id: key, at: Date.now() });
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const targetUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const names = { first: `${prefix}-fan-out`, second: `${prefix}-post` };
  const queues: string[] = [];
  const mappings: string[] = [];
  const functions: string[] = [];
  try {
    for (const name of [`${prefix}-a`, `${prefix}-b`]) {
      queues.push(
        (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '60' } })))
          .QueueUrl ?? '',
      );
    }
    const [firstQueue = '', secondQueue = ''] = queues;
    const arnOf = async (url: string) =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })))
        .Attributes?.QueueArn ?? '';
    const createFunction = async (
      name: string,
      source: string,
      variables: Record<string, string>,
      queueUrl: string,
    ) => {
      await emulatorCall(endpoint, {
        service: 'lambda',
        method: 'POST',
        path: '/2015-03-31/functions',
        headers: { 'content-type': 'application/json' },
        body: {
          FunctionName: name,
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          MemorySize: 256,
          Timeout: 30,
          Role: 'arn:aws:iam::000000000000:role/herald-bench-baseline',
          Handler: 'index.handler',
          Code: { ZipFile: (await bundle(source)).toString('base64') },
          Environment: { Variables: variables },
        },
      });
      functions.push(name);
      const mapping = EventSourceMapping.parse(
        await emulatorCall(endpoint, {
          service: 'lambda',
          method: 'POST',
          path: '/2015-03-31/event-source-mappings/',
          headers: { 'content-type': 'application/json' },
          body: { FunctionName: name, EventSourceArn: await arnOf(queueUrl), BatchSize: 10, Enabled: true },
        }),
      );
      mappings.push(mapping.UUID);
    };
    await createFunction(
      names.first,
      FAN_OUT_SOURCE,
      { NEXT_QUEUE_URL: secondQueue, CHANNELS: String(CHANNELS) },
      firstQueue,
    );
    await createFunction(names.second, POST_SOURCE, { TARGET_URL: targetUrl }, secondQueue);

    const send = (ids: readonly string[]) =>
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: firstQueue,
          Entries: ids.map((id, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify({ id, data: { note: 'a small payload' } }),
          })),
        }),
      );
    // A warm-up message, so the figures are not about cold starts.
    await send([`${prefix}-warm`]);
    const warmDeadline = Date.now() + 60_000;
    while (arrivals.length < CHANNELS && Date.now() < warmDeadline) await sleep(100);
    arrivals.length = 0;

    const ids = Array.from({ length: EVENTS }, (_, n) => `${prefix}-${n}`);
    const sentAt = new Map<string, number>();
    await sendAll(ids, async (batch) => {
      const started = Date.now();
      for (const id of batch) sentAt.set(id, started);
      await send(batch);
    });
    const deadline = Date.now() + TIMEOUT_MS;
    while (arrivals.length < EVENTS * CHANNELS && Date.now() < deadline) await sleep(200);
    await sleep(3_000);
    return summarize(sentAt, arrivals);
  } finally {
    for (const uuid of mappings) {
      await emulatorCall(endpoint, {
        service: 'lambda',
        method: 'DELETE',
        path: `/2015-03-31/event-source-mappings/${uuid}`,
      }).catch(() => undefined);
    }
    for (const name of functions) {
      await emulatorCall(endpoint, {
        service: 'lambda',
        method: 'DELETE',
        path: `/2015-03-31/functions/${name}`,
      }).catch(() => undefined);
    }
    for (const url of queues)
      await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
};

/** The bench: the baseline first (the emulator fresh for both), then Herald. */
export const endToEndBench = async (bench: BenchStack): Promise<BenchRow[]> => {
  const prefix = `e2e${Date.now() % 1_000_000}`;
  log(`end to end, baseline: ${EVENTS} events × ${CHANNELS} channels through SQS → Lambda → SQS → Lambda`);
  const baseline = await baselineRun(bench, `${prefix}b`);
  log(`baseline: ${describe(baseline)}`);
  log(`end to end, Herald: ${EVENTS} events × ${CHANNELS} channels`);
  const herald = await heraldRun(bench, `${prefix}h`);
  log(`Herald: ${describe(herald)}`);
  const ratio = percentile(herald.latencies, 50) / Math.max(1, percentile(baseline.latencies, 50));
  return [
    {
      figure: `end to end: ${EVENTS} events × ${CHANNELS} webhook channels, ingest request to receiver (requests of ${BATCH}, ${PARALLEL_REQUESTS} in flight)`,
      measured: describe(herald),
      baseline: `SQS → Lambda → SQS → Lambda: ${describe(baseline)}`,
      target: `p50 ≤ ${TARGET_RATIO}× baseline (is ${ratio.toFixed(2)}×), no loss, no duplicate`,
      holds: ratio <= TARGET_RATIO && herald.lost === 0 && herald.duplicates === 0,
    },
  ];
};

if (isMain(import.meta.url)) await runAlone(endToEndBench);
