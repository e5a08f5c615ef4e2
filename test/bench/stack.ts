/**
 * What the emulator benchmarks share: start (or reuse) the emulator, deploy a bench stack onto it, and
 * call its API signed with SigV4 (a non-2xx answer throws with its body).
 */
import {
  apiUrl,
  deployStack,
  type RunningEmulator,
  startEmulator,
  stopEmulator,
  useEmulator,
} from '../../scripts/lib/local-aws.ts';
import { signedFetch } from '../../scripts/lib/signed-fetch.ts';

export const log = (message: string) => console.log(`[bench] ${message}`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface BenchStack {
  readonly emulator: RunningEmulator;
  call(method: string, path: string, body?: unknown): Promise<Response>;
  /** Stops the emulator if this run started it. */
  stop(): void;
}

/** Deploys `HeraldBench` (retry schedule `0,1,1` s) onto the emulator. */
export const benchStack = async (): Promise<BenchStack> => {
  const emulator = await startEmulator(log);
  useEmulator(emulator.endpoint);
  const outputs = await deployStack(
    emulator.endpoint,
    { stackName: 'HeraldBench', eventBusName: 'herald-bench', retrySchedule: [0, 1, 1] },
    log,
  );
  const apiId = outputs.ApiId ?? '';
  return {
    emulator,
    call: async (method, path, body) => {
      const response = await signedFetch({
        method,
        url: apiUrl(emulator.endpoint, apiId, path),
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
