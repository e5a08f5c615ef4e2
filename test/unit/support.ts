import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChannelAdmin } from '#shared/admin/channels.ts';
import type { AdminRequest } from '#shared/admin/request.ts';
import type { TargetPolicy } from '#shared/admin/targets.ts';
import type { ChannelRecord, SecretStore } from '#shared/channels/record.ts';
import type { Transports } from '#shared/channels/types.ts';
import { safeRequest } from '#shared/http/safe-request.ts';
import type { Log, LogAttributes } from '#shared/runtime/log.ts';
import type { MetricsPort } from '#shared/runtime/metrics.ts';

/** A request the local test server received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export type Responder = (request: ReceivedRequest, response: ServerResponse) => void;

/** A node:http server on 127.0.0.1 whose answer each test sets. */
export interface LocalServer {
  readonly url: string;
  readonly received: ReceivedRequest[];
  respond: Responder;
  close(): Promise<void>;
}

export const startLocalServer = async (): Promise<LocalServer> => {
  const received: ReceivedRequest[] = [];
  const state: { respond: Responder } = {
    respond: (_request, response) => {
      response.writeHead(204).end();
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      state.respond(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get respond() {
      return state.respond;
    },
    set respond(responder: Responder) {
      state.respond = responder;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** A logger that keeps what it was told. */
export interface RecordingLog extends Log {
  readonly lines: { level: 'debug' | 'info' | 'warn'; message: string; attributes: LogAttributes }[];
}

export const recordingLog = (): RecordingLog => {
  const lines: RecordingLog['lines'] = [];
  return {
    lines,
    debug: (message, attributes) => lines.push({ level: 'debug', message, attributes }),
    info: (message, attributes) => lines.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => lines.push({ level: 'warn', message, attributes }),
  };
};

/**
 * Transports for unit tests: HTTP through the real SSRF-safe client (to a local server), and AWS and
 * SMTP transports that record what they were asked to send and answer with `respond`.
 */
export const testTransports = (
  allowPrivateTargets: boolean,
  respond: {
    sns?: Transports['sns'];
    sqs?: Transports['sqs'];
    eventbridge?: Transports['eventbridge'];
    ses?: Transports['ses'];
    smtp?: Transports['smtp'];
  } = {},
): Transports => {
  const unexpected = (name: string) => async () => {
    throw new Error(`unexpected ${name} send in this test`);
  };
  return {
    http: (request) => safeRequest(request, { allowPrivateTargets }),
    sns: respond.sns ?? unexpected('sns'),
    sqs: respond.sqs ?? unexpected('sqs'),
    eventbridge: respond.eventbridge ?? unexpected('eventbridge'),
    ses: respond.ses ?? unexpected('ses'),
    smtp: respond.smtp ?? unexpected('smtp'),
  };
};

/** A copy of a value with every object's keys in reverse order. */
const reversedKeys = <T>(value: T): T => {
  if (Array.isArray(value)) return value.map(reversedKeys) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, entry]) => [key, reversedKeys(entry)]),
  ) as T;
};

/**
 * An in-memory config table and secret store behind a real ChannelAdmin. Records are read back with
 * their keys in reverse order, as a store that keeps no order would (dry-run diffs must not care).
 */
export const adminWithFakes = (
  options: {
    /** Secrets that exist already (the user's, or other channels'), by name. */
    readonly secrets?: Readonly<Record<string, Record<string, unknown>>>;
    /** @default true: no DNS in unit tests */
    readonly allowPrivateTargets?: boolean;
    /** The stack's allow-lists, where a test needs others than these fakes' (`arn:aws:sqs:*`…). */
    readonly targets?: Partial<
      Pick<TargetPolicy, 'sqsQueueArns' | 'eventBusArns' | 'assumableRoleArns' | 'ingestBusArns'>
    >;
  } = {},
) => {
  const records = new Map<string, ChannelRecord>();
  /** Channels whose open digests a PUT flushed. */
  const flushedDigests: string[] = [];
  const secrets = new Map<string, Record<string, unknown>>(Object.entries(options.secrets ?? {}));
  const store: SecretStore = {
    write: async (name, value) => {
      secrets.set(name, { ...value });
      return name;
    },
    read: async (id) => {
      const value = secrets.get(id);
      if (value === undefined) {
        throw Object.assign(new Error("Secrets Manager can't find the specified secret."), {
          name: 'ResourceNotFoundException',
        });
      }
      return value;
    },
    remove: async (id) => {
      secrets.delete(id);
    },
  };
  const admin = new ChannelAdmin({
    config: {
      page: async () => ({ items: [] }),
      getChannel: async (id) => reversedKeys(records.get(id)),
      putVersioned: async (_kind, record) => {
        records.set(record.id, record as ChannelRecord);
      },
      deleteVersioned: async (_kind, id) => {
        records.delete(id);
      },
      bumpGeneration: async () => 1,
    },
    secrets: store,
    state: {
      beginAttempt: async () => ({ kind: 'started', attempt: 1, seq: 1 }),
      recordAttempt: async () => undefined,
      markDelivered: async () => true,
      markFailed: async () => undefined,
    },
    secretPrefix: 'herald/channels/',
    // Private targets allowed: the save-time address checks (DNS) have their own tests.
    targets: {
      allowPrivateTargets: options.allowPrivateTargets ?? true,
      snsTopicArns: ['arn:aws:sns:*'],
      sesIdentities: ['example.com'],
      sqsQueueArns: ['arn:aws:sqs:*'],
      eventBusArns: ['arn:aws:events:*'],
      assumableRoleArns: ['arn:aws:iam::*'],
      ingestBusArns: ['arn:aws:events:eu-central-1:123456789012:event-bus/herald'],
      region: 'eu-central-1',
      ...options.targets,
    },
    transports: {} as Transports,
    digests: {
      flushChannel: async (channelId) => {
        flushedDigests.push(channelId);
      },
    },
  });
  return { admin, records, secrets, store, flushedDigests };
};

export const putRequest = (id: string, body: unknown): AdminRequest => ({
  method: 'PUT',
  routeKey: 'PUT /v1/channels/{id}',
  pathParameters: { id },
  query: {},
  headers: {},
  body: JSON.stringify(body),
});

/** A metrics port that keeps what it was told. */
export interface RecordingMetrics extends MetricsPort {
  /** Totals by `name` or `name channelType`, e.g. `{ 'DeliverySucceeded webhook': 1 }`. */
  readonly counts: Record<string, number>;
  /** Latencies in the order recorded, as `channelType milliseconds`. */
  readonly latencies: string[];
}

export const recordingMetrics = (): RecordingMetrics => {
  const counts: Record<string, number> = {};
  const latencies: string[] = [];
  return {
    counts,
    latencies,
    count: (name, options = {}) => {
      const key = options.channelType === undefined ? name : `${name} ${options.channelType}`;
      counts[key] = (counts[key] ?? 0) + (options.value ?? 1);
    },
    latency: (milliseconds, channelType) => latencies.push(`${channelType} ${milliseconds}`),
  };
};
