/**
 * Counts the AWS requests a function makes, for the benchmarks (`test/bench/requests.ts`). A bench
 * stack sets `HERALD_COUNT_REQUESTS=true` on its functions (the `countRequests` prop; never set by
 * default, so never in a production template). Then every request of every client passed through
 * {@link counted} is tallied by service, operation and (for DynamoDB) the partition it touches, and
 * each invocation ends with one log line carrying the tallies and the handler's duration. Off, both
 * are no-ops: the client is returned untouched and the middy middleware does nothing.
 */
import type { MiddlewareObj } from '@middy/core';
import { boolEnv } from './env.ts';
import { ENV } from './env-names.ts';
import type { LogAttributes } from './log.ts';

export const COUNT_REQUESTS_ENV = ENV.countRequests;
/** The message of the one log line per invocation the benchmark reads back. */
export const REQUEST_COUNT_MESSAGE = 'aws requests';

/**
 * Requests made under one key, the bytes of their HTTP bodies (SQS bills 64 KiB chunks) and the time
 * they took, summed (from sending to the answer; in parallel requests overlap).
 */
export interface RequestTally {
  requests: number;
  bytes: number;
  ms: number;
}

/** What the log line carries (see {@link REQUEST_COUNT_MESSAGE}). */
export interface RequestCountLine {
  /** `Service.Operation` or, for DynamoDB items, `DynamoDB.Operation(partition)`. */
  readonly requests: Readonly<Record<string, RequestTally>>;
  /** From the handler's start to its end (or error), in milliseconds. */
  readonly handlerMs: number;
  readonly memoryMb: number;
}

/** Any AWS SDK v3 client: it has a middleware stack. */
interface CountableClient {
  readonly middlewareStack: object;
}

/**
 * The one `add` overload the counter uses. The SDK's own types make each client's stack specific to its
 * inputs and outputs; the counter handles any input and passes the output through untouched.
 */
interface DeserializeStack {
  add(
    middleware: (
      next: (args: RequestArgs) => Promise<unknown>,
      context: { clientName?: string; commandName?: string },
    ) => (args: RequestArgs) => Promise<unknown>,
    options: { step: 'deserialize'; name: string; override: boolean },
  ): void;
}

interface RequestArgs {
  readonly input?: unknown;
  readonly request?: unknown;
}

const MIDDLEWARE_NAME = 'heraldRequestCounter';

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

/** A marshalled (`{ S: 'x' }`) or plain string attribute value. */
const stringValue = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  const marshalled = record(value).S;
  return typeof marshalled === 'string' ? marshalled : undefined;
};

/**
 * The partition a DynamoDB request touches: the config table's `kind` (`policy`, `channel`, `meta`…)
 * or the state table's `pk` prefix (`event`, `delivery`…), from the key, the item or a query's values.
 */
export const partitionOf = (input: unknown): string | undefined => {
  const fields = record(input);
  const values = record(fields.ExpressionAttributeValues);
  for (const source of [fields.Key, fields.Item]) {
    const item = record(source);
    const kind = stringValue(item.kind);
    if (kind !== undefined) return kind;
    const pk = stringValue(item.pk);
    if (pk !== undefined) return pk.split('#')[0];
  }
  const kind = stringValue(values[':kind']);
  if (kind !== undefined) return kind;
  const pk = stringValue(values[':pk']);
  return pk?.split('#')[0];
};

const bodyBytes = (request: unknown): number => {
  const body = record(request).body;
  if (typeof body === 'string') return Buffer.byteLength(body, 'utf8');
  if (body instanceof Uint8Array) return body.byteLength;
  return 0;
};

/** Tallies requests by key until drained. One per process (a Lambda instance runs one invocation at a time). */
export class RequestCounter {
  private tallies = new Map<string, RequestTally>();

  add(key: string, bytes: number, ms: number): void {
    const tally = this.tallies.get(key) ?? { requests: 0, bytes: 0, ms: 0 };
    tally.requests += 1;
    tally.bytes += bytes;
    tally.ms += ms;
    this.tallies.set(key, tally);
  }

  /** The tallies so far, and starts again. */
  drain(): Record<string, RequestTally> {
    const drained = Object.fromEntries(this.tallies);
    this.tallies = new Map();
    return drained;
  }

  /**
   * Adds the counting middleware to a client. It sits in the deserialize step, which runs once per
   * HTTP attempt, so retries count as the requests they are.
   */
  attach<Client extends CountableClient>(client: Client): Client {
    (client.middlewareStack as DeserializeStack).add(
      (next, context) => async (args) => {
        const service = (context.clientName ?? 'Unknown').replace(/Client$/, '');
        const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        const partition = service === 'DynamoDB' ? partitionOf(args.input) : undefined;
        const started = performance.now();
        try {
          return await next(args);
        } finally {
          this.add(
            `${service}.${operation}${partition === undefined ? '' : `(${partition})`}`,
            bodyBytes(args.request),
            Math.round((performance.now() - started) * 100) / 100,
          );
        }
      },
      { step: 'deserialize', name: MIDDLEWARE_NAME, override: true },
    );
    return client;
  }
}

/** Read where a client or the middleware is set up (cold start), so importing this module reads nothing. */
const enabled = () => boolEnv(COUNT_REQUESTS_ENV, false);
const counter = new RequestCounter();

/** The client, counting its requests when `HERALD_COUNT_REQUESTS=true` (untouched otherwise). */
export const counted = <Client extends CountableClient>(client: Client): Client =>
  enabled() ? counter.attach(client) : client;

/**
 * A middy middleware that logs one {@link REQUEST_COUNT_MESSAGE} line per invocation with the requests
 * counted since the last one (cold start included) and the handler's duration. Does nothing when
 * counting is off.
 */
export const countRequests = (log: {
  info(message: string, attributes: LogAttributes): void;
}): MiddlewareObj => {
  // middy refuses a middleware without a hook: off, it is one that does nothing.
  if (!enabled()) return { before: () => undefined };
  let startedAt = 0;
  const emit = (memoryLimitInMB: string) => {
    const line: RequestCountLine = {
      requests: counter.drain(),
      handlerMs: Math.round((performance.now() - startedAt) * 100) / 100,
      memoryMb: Number(memoryLimitInMB),
    };
    log.info(REQUEST_COUNT_MESSAGE, { ...line });
  };
  return {
    before: () => {
      startedAt = performance.now();
    },
    after: (request) => emit(request.context.memoryLimitInMB),
    onError: (request) => emit(request.context.memoryLimitInMB),
  };
};
