/**
 * Where the admin API is and how to sign for it: `--endpoint` wins; `--local` (or `AWS_ENDPOINT_URL`)
 * reads the stack outputs from the emulator; otherwise from CloudFormation in the default region.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { SigningCredentials } from './client.ts';

export const DEFAULT_STACK = 'Herald';
export const DEFAULT_EMULATOR = 'http://127.0.0.1:4566';
export const LOCAL_REGION = 'us-east-1';
const LOCAL_KEY = 'test';

/** Endpoint-related global options. */
export interface EndpointOptions {
  readonly endpoint?: string | undefined;
  readonly local?: boolean | undefined;
  readonly stack?: string | undefined;
  readonly region?: string | undefined;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Static credentials, e.g. the emulator's. */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** How to find the API, decided from options and environment alone (no I/O). */
export type EndpointPlan =
  | {
      readonly kind: 'explicit';
      readonly baseUrl: string;
      readonly region: string;
      /** Emulator credentials when the emulator is in play; else the default chain. */
      readonly credentials: StaticCredentials | undefined;
    }
  | {
      readonly kind: 'local';
      readonly emulator: string;
      readonly stackName: string;
      readonly region: string;
      readonly credentials: StaticCredentials;
    }
  | { readonly kind: 'aws'; readonly stackName: string; readonly region: string | undefined };

/** The API's base URL and how to sign for it. */
export interface ResolvedEndpoint {
  readonly kind: EndpointPlan['kind'];
  readonly baseUrl: string;
  readonly region: string;
  readonly credentials: SigningCredentials;
  /** The stack outputs, when they were read. */
  readonly outputs?: StackOutputs;
}

export type StackOutputs = Readonly<Record<string, string>>;

/** The endpoint could not be worked out (no stack, no output, a bad URL). */
export class EndpointError extends Error {
  override readonly name = 'EndpointError';
}

const trimSlash = (url: string): string => url.replace(/\/+$/, '');

/** `abc.execute-api.eu-west-1.amazonaws.com` → `eu-west-1`. */
export const regionFromApiUrl = (url: string): string | undefined => {
  try {
    return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(new URL(url).hostname)?.[1];
  } catch {
    return undefined;
  }
};

const emulatorCredentials = (env: Env): StaticCredentials => ({
  accessKeyId: env.AWS_ACCESS_KEY_ID || LOCAL_KEY,
  secretAccessKey: env.AWS_SECRET_ACCESS_KEY || LOCAL_KEY,
  ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
});

const envRegion = (env: Env): string | undefined => env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;

/** Decides how to find the API from the options and the environment. */
export const planEndpoint = (options: EndpointOptions, env: Env): EndpointPlan => {
  const emulatorInPlay = options.local === true || Boolean(env.AWS_ENDPOINT_URL);
  if (options.endpoint) {
    let baseUrl: URL;
    try {
      baseUrl = new URL(options.endpoint);
    } catch {
      throw new EndpointError(`--endpoint ${options.endpoint} is not a URL`);
    }
    if (baseUrl.protocol !== 'https:' && baseUrl.protocol !== 'http:') {
      throw new EndpointError(`--endpoint ${options.endpoint} must be an http(s) URL`);
    }
    return {
      kind: 'explicit',
      baseUrl: trimSlash(baseUrl.href),
      region: options.region || regionFromApiUrl(baseUrl.href) || envRegion(env) || LOCAL_REGION,
      credentials: emulatorInPlay ? emulatorCredentials(env) : undefined,
    };
  }
  const stackName = options.stack || env.HERALD_STACK || DEFAULT_STACK;
  if (emulatorInPlay) {
    return {
      kind: 'local',
      emulator: trimSlash(env.AWS_ENDPOINT_URL || DEFAULT_EMULATOR),
      stackName,
      region: options.region || envRegion(env) || LOCAL_REGION,
      credentials: emulatorCredentials(env),
    };
  }
  return { kind: 'aws', stackName, region: options.region || undefined };
};

/** Reads a stack's outputs; the real one asks CloudFormation. */
export type ReadStackOutputs = (request: {
  readonly stackName: string;
  readonly region: string | undefined;
  readonly endpoint?: string;
  readonly credentials?: StaticCredentials;
}) => Promise<{ outputs: StackOutputs; region: string }>;

/** `DescribeStacks` for one stack: its outputs by key, and the region that answered. */
export const describeStackOutputs: ReadStackOutputs = async ({
  stackName,
  region,
  endpoint,
  credentials,
}) => {
  const client = new CloudFormationClient({
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
  });
  try {
    const resolvedRegion = await client.config.region().catch((cause: unknown) => {
      throw new EndpointError('no AWS region configured: pass --region or set AWS_REGION', { cause });
    });
    let response: DescribeStacksCommandOutput;
    try {
      response = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    } catch (cause) {
      const where = endpoint ?? resolvedRegion;
      if (cause instanceof Error && /does not exist/i.test(cause.message)) {
        throw new EndpointError(
          `stack ${stackName} not found in ${where}: deploy it, or name it with --stack / HERALD_STACK`,
          { cause },
        );
      }
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new EndpointError(`cannot read stack ${stackName} from ${where}: ${reason}`, { cause });
    }
    const stack = response.Stacks?.[0];
    if (stack === undefined)
      throw new EndpointError(`stack ${stackName} not found in ${endpoint ?? resolvedRegion}`);
    const outputs: Record<string, string> = {};
    for (const output of stack.Outputs ?? []) {
      if (output.OutputKey !== undefined && output.OutputValue !== undefined) {
        outputs[output.OutputKey] = output.OutputValue;
      }
    }
    return { outputs, region: resolvedRegion };
  } finally {
    client.destroy();
  }
};

/**
 * The stage's path in an `ApiUrl` output (`/prod`), or nothing: a `$default` stage is served at the
 * API's root, and a stack without the output is taken to be so. Read without `URL`, which refuses an
 * emulator's host such as `abc.execute-api.127.0.0.1:4566`.
 */
export const stagePath = (apiUrl: string | undefined): string =>
  trimSlash(/^[a-z][\w+.-]*:\/\/[^/?#]*(\/[^?#]*)?/i.exec(apiUrl ?? '')?.[1] ?? '');

const requireOutput = (outputs: StackOutputs, key: string, stackName: string): string => {
  const value = outputs[key];
  if (value === undefined || value === '') {
    throw new EndpointError(`stack ${stackName} has no ${key} output: is it a Herald stack, fully deployed?`);
  }
  return value;
};

/** Works out the API base URL, region and credentials; reads the stack outputs unless `--endpoint`. */
export const resolveEndpoint = async (
  options: EndpointOptions,
  env: Env = process.env,
  readStackOutputs: ReadStackOutputs = describeStackOutputs,
): Promise<ResolvedEndpoint> => {
  const plan = planEndpoint(options, env);
  switch (plan.kind) {
    case 'explicit':
      return {
        kind: plan.kind,
        baseUrl: plan.baseUrl,
        region: plan.region,
        credentials: plan.credentials ?? fromNodeProviderChain(),
      };
    case 'local': {
      const { outputs } = await readStackOutputs({
        stackName: plan.stackName,
        region: plan.region,
        endpoint: plan.emulator,
        credentials: plan.credentials,
      });
      const apiId = requireOutput(outputs, 'ApiId', plan.stackName);
      return {
        kind: plan.kind,
        baseUrl: `${plan.emulator}/_aws/execute-api/${apiId}${stagePath(outputs.ApiUrl)}`,
        region: plan.region,
        credentials: plan.credentials,
        outputs,
      };
    }
    case 'aws': {
      const { outputs, region } = await readStackOutputs({ stackName: plan.stackName, region: plan.region });
      const apiUrl = trimSlash(requireOutput(outputs, 'ApiUrl', plan.stackName));
      return {
        kind: plan.kind,
        baseUrl: apiUrl,
        region: regionFromApiUrl(apiUrl) ?? region,
        credentials: fromNodeProviderChain(),
        outputs,
      };
    }
  }
};
