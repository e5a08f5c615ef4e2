/**
 * The Powertools Tracer, in a file of its own: each function's asset carries it beside `index.js` as
 * `xray-tracer.js` (see `HeraldFunction`), and {@link LazyTracer} (`tracing.ts`) loads it on the first
 * invocation Lambda samples. The X-Ray SDK it loads costs 5 to 18 ms; kept out of `index.js`, it is
 * neither parsed nor run on a cold start that is not traced.
 *
 * Only this module and `tracing.ts` know Powertools' Tracer; the functions see {@link StartedTracer}.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';

/** The Tracer as the functions use it, once loaded. */
export interface StartedTracer {
  /** False outside Lambda, or with `POWERTOOLS_TRACE_ENABLED=false`: then nothing is recorded. */
  readonly enabled: boolean;
  /** Records the client's requests as subsegments (the X-Ray SDK's middleware on its stack). */
  capture(client: object): void;
  /** Opens the `## handler` subsegment (annotated ColdStart and Service) and closes it. */
  readonly middleware: MiddlewareObj;
  /** Runs `run` in a subsegment of its own, marked with the error it throws, if any. */
  subsegment<T>(name: string, run: () => Promise<T>): Promise<T>;
}

/** What the X-Ray SDK passes to a captured function: the subsegment it opened (none without a segment). */
interface OpenSubsegment {
  close(error?: Error | string | null): void;
}

/** A Tracer made after the instance's first invocation when `coldStart` is false. */
class LateTracer extends Tracer {
  constructor(options: ConstructorParameters<typeof Tracer>[0], coldStart: boolean) {
    super(options);
    // The ColdStart annotation is true on the Tracer's first invocation: not this instance's first here.
    if (!coldStart) this.getColdStart();
  }
}

/**
 * Starts the Tracer for `serviceName`. `coldStart` is false when the instance had served invocations
 * before this one (the Tracer is made on the first sampled one), so its ColdStart annotation stays true.
 *
 * Neither responses nor HTTP requests are recorded: a response may hold user data, and the Tracer's
 * own HTTP capture names each request's full URL, which for a chat webhook is its secret.
 */
export const startTracer = (serviceName: string, coldStart: boolean): StartedTracer => {
  const tracer = new LateTracer({ serviceName, captureHTTPsRequests: false }, coldStart);
  return {
    enabled: tracer.isTracingEnabled(),
    capture: (client) => {
      tracer.captureAWSv3Client(client);
    },
    middleware: captureLambdaHandler(tracer, { captureResponse: false }),
    subsegment: <T>(name: string, run: () => Promise<T>) =>
      tracer.provider.captureAsyncFunc(name, async (subsegment?: OpenSubsegment) => {
        try {
          const result = await run();
          subsegment?.close();
          return result;
        } catch (error) {
          subsegment?.close(error instanceof Error ? error : String(error));
          throw error;
        }
      }) as Promise<T>,
  };
};
