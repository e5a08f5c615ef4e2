/**
 * X-Ray tracing through the Powertools Tracer, kept out of the cold start (issue 11): Lambda traces a
 * sample of invocations (active tracing: the first request each second and 5 % of the others), and the
 * Tracer with the X-Ray SDK adds 16 to 18 ms to a cold start when loaded at init. So the Tracer lives
 * in a file of its own beside each function's bundle (`xray-tracer.js`, built by `HeraldFunction`),
 * and {@link LazyTracer} loads it on the first invocation whose trace header says `Sampled=1`. From
 * then on, sampled invocations get a `## handler` subsegment, the captured SDK clients' requests and
 * the outbound sends as subsegments; the others run as before.
 *
 * This module imports no package (types only), so loading it costs nothing.
 */
import type { MiddlewareObj } from '@middy/core';
import type { StartedTracer } from './xray-tracer.ts';

/** The Tracer's file: beside `index.js` in a function's asset, beside this module in the sources. */
export const TRACER_FILE = 'xray-tracer.js';

/** What loading {@link TRACER_FILE} gives. */
export type TracerModule = typeof import('./xray-tracer.ts');

/**
 * A path that is no string literal: esbuild leaves the `import()` as it is instead of bundling the
 * Tracer into `index.js`; Node resolves it next to the bundle (tsx and Vitest find the `.ts` source).
 */
const TRACER_SPECIFIER = `./${TRACER_FILE}`;
const importTracer = () => import(TRACER_SPECIFIER) as Promise<TracerModule>;

/** Whether an X-Ray trace header (`Root=…;Parent=…;Sampled=1`) says the invocation is sampled. */
export const isSampled = (traceHeader: string | undefined): boolean =>
  traceHeader?.split(';').some((part) => part.trim() === 'Sampled=1') ?? false;

export interface LazyTracerOptions {
  /** The service annotation (`herald-deliver`…), as the function's Logger names it. */
  readonly serviceName: string;
  /** Where a Tracer that does not load is reported (once); the invocation goes on untraced. */
  readonly log: { warn(message: string, attributes: Record<string, unknown>): void };
  /** The trace header of the invocation running: Lambda sets `_X_AMZN_TRACE_ID` for each one. */
  readonly traceHeader?: () => string | undefined;
  /** Loads the Tracer's module. @default import() of {@link TRACER_FILE} */
  readonly load?: () => Promise<TracerModule>;
}

/** An AWS SDK v3 client (it has a middleware stack, which the X-Ray SDK adds to). */
interface AwsClient {
  readonly middlewareStack: object;
}

export class LazyTracer {
  private readonly clients: AwsClient[] = [];
  /** The Tracer once loaded. */
  private started: StartedTracer | undefined;
  private loading: Promise<StartedTracer | undefined> | undefined;
  /** The Tracer while a sampled invocation runs; undefined otherwise. */
  private current: StartedTracer | undefined;
  private invocations = 0;

  constructor(private readonly options: LazyTracerOptions) {}

  /** The client, whose requests become subsegments of sampled invocations once the Tracer is loaded. */
  capture<Client extends AwsClient>(client: Client): Client {
    if (this.started?.enabled === true) this.started.capture(client);
    else this.clients.push(client);
    return client;
  }

  /**
   * A middy middleware, first in the chain: on a sampled invocation it loads the Tracer (the first
   * time), captures the clients and opens the handler's subsegment, which it closes at the end.
   */
  middleware(): MiddlewareObj {
    return {
      before: async (request) => {
        this.invocations += 1;
        this.current = undefined;
        const traceHeader = (this.options.traceHeader ?? (() => process.env._X_AMZN_TRACE_ID))();
        if (!isSampled(traceHeader)) return;
        const tracer = await this.load();
        if (tracer?.enabled !== true) return;
        this.current = tracer;
        await tracer.middleware.before?.(request);
      },
      after: async (request) => {
        const tracer = this.current;
        this.current = undefined;
        await tracer?.middleware.after?.(request);
      },
      onError: async (request) => {
        const tracer = this.current;
        this.current = undefined;
        await tracer?.middleware.onError?.(request);
      },
    };
  }

  /** Runs `run` in a subsegment named `name` when the invocation is traced; just runs it otherwise. */
  subsegment<T>(name: string, run: () => Promise<T>): Promise<T> {
    return this.current === undefined ? run() : this.current.subsegment(name, run);
  }

  private load(): Promise<StartedTracer | undefined> {
    this.loading ??= (this.options.load ?? importTracer)().then(
      ({ startTracer }) => {
        const tracer = startTracer(this.options.serviceName, this.invocations === 1);
        if (tracer.enabled) for (const client of this.clients.splice(0)) tracer.capture(client);
        this.started = tracer;
        return tracer;
      },
      (error: unknown) => {
        this.options.log.warn('the tracer did not load: invocations run untraced', {
          file: TRACER_FILE,
          error: error instanceof Error ? error.message : String(error),
        });
        return undefined;
      },
    );
    return this.loading;
  }
}

/**
 * The transports (`Transports` of `shared/channels/types.ts`), each call in a subsegment named after
 * it (`send http`, `send smtp`…) when the invocation is traced: the outbound call of a delivery or a
 * test-send. The subsegment names the transport only, never the target (a webhook URL can be a secret).
 */
export const tracedTransports = <
  T extends { readonly [Name in keyof T]: (...args: never[]) => Promise<unknown> },
>(
  tracer: Pick<LazyTracer, 'subsegment'>,
  transports: T,
): T =>
  Object.fromEntries(
    Object.entries(transports as Readonly<Record<string, (...args: never[]) => Promise<unknown>>>).map(
      ([name, send]) => [name, (...args: never[]) => tracer.subsegment(`send ${name}`, () => send(...args))],
    ),
  ) as T;
