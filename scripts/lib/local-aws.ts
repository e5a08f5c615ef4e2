/**
 * The local AWS emulator: a pinned MiniStack in a virtual environment under `.local/`, started on
 * 127.0.0.1:4566 (or whatever `AWS_ENDPOINT_URL` points at, e.g. LocalStack), and the Herald stack
 * deployed onto it with the plain CDK CLI. Emulator workarounds live here and only here.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeTimeToLiveCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { stagePath } from '../../cli/endpoint.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const LOCAL_DIR = join(ROOT, '.local');
export const MINISTACK_VERSION = '1.5.33';
/** cfn-lint, from PyPI, for the infra tests' lint of synthesized templates. */
export const CFN_LINT_VERSION = '1.58.0';
const VENV = join(LOCAL_DIR, 'venv');
const PID_FILE = join(LOCAL_DIR, 'ministack.pid');
export const EMULATOR_LOG = join(LOCAL_DIR, 'ministack.log');
const DEFAULT_ENDPOINT = 'http://127.0.0.1:4566';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export type Progress = (message: string) => void;

/** Environment that points the AWS SDK and CDK CLI at the emulator. */
export const emulatorEnv = (endpoint: string): Record<string, string> => ({
  AWS_ENDPOINT_URL: endpoint,
  AWS_ENDPOINT_URL_S3: process.env.AWS_ENDPOINT_URL_S3 ?? endpoint,
  AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
  AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
  AWS_REGION: LOCAL_REGION,
  AWS_DEFAULT_REGION: LOCAL_REGION,
  CDK_DEFAULT_ACCOUNT: LOCAL_ACCOUNT,
  CDK_DEFAULT_REGION: LOCAL_REGION,
});

/** Sets the emulator environment on this process, so SDK clients created afterwards use it. */
export const useEmulator = (endpoint: string): void => {
  Object.assign(process.env, emulatorEnv(endpoint));
};

const healthy = async (endpoint: string): Promise<boolean> => {
  for (const path of ['/_ministack/health', '/_localstack/health']) {
    try {
      const response = await fetch(new URL(path, endpoint), { signal: AbortSignal.timeout(2000) });
      if (response.ok) return true;
    } catch {
      // not up (yet)
    }
  }
  return false;
};

const findPython = (): string => {
  const candidates = process.env.PYTHON ? [process.env.PYTHON] : ['python3', 'python'];
  for (const candidate of candidates) {
    if (spawnSync(candidate, ['--version']).status === 0) return candidate;
  }
  throw new Error('Python 3.10+ is needed for the local emulator (MiniStack): install it or set PYTHON');
};

const run = (
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; quiet?: boolean } = {},
) => {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    env: options.env ?? process.env,
    encoding: 'utf8',
    stdio: options.quiet ? 'pipe' : 'inherit',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    const output = options.quiet
      ? `\n${(result.stdout ?? '').slice(-4000)}${(result.stderr ?? '').slice(-4000)}`
      : '';
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})${output}`);
  }
  return `${result.stdout ?? ''}${result.stderr ?? ''}`;
};

/** The seconds a CDK CLI run reports for one phase (`✨  Synthesis time: 5.2s`), if it printed it. */
const cdkSeconds = (output: string, phase: 'Synthesis' | 'Deployment'): string =>
  new RegExp(`${phase} time: ([0-9.]+)s`).exec(output)?.[1] ?? '?';

/** Whether `python -m pip` is there and at least 22.3 (the first with `--python`). */
const pipWithPythonOption = (python: string): boolean => {
  const version = /^pip (\d+)\.(\d+)/.exec(
    spawnSync(python, ['-m', 'pip', '--version'], { encoding: 'utf8' }).stdout ?? '',
  );
  if (version === null) return false;
  const [major, minor] = [Number(version[1]), Number(version[2])];
  return major > 22 || (major === 22 && minor >= 3);
};

/**
 * Installs a pinned Python package into `.local/venv`, creating it if need be. When the Python that
 * runs these scripts has a pip that can install into another environment (`--python`), the venv is
 * made without a pip of its own: its `ensurepip` took about 4 s of every fresh `npm run local`.
 * Otherwise (no pip beside the system Python) the venv gets its own, as before.
 */
const pipInstall = (requirement: string): void => {
  const python = findPython();
  const venvPython = join(VENV, 'bin', 'python');
  const outside = pipWithPythonOption(python);
  if (!existsSync(venvPython))
    run(python, ['-m', 'venv', ...(outside ? ['--without-pip'] : []), VENV], { quiet: true });
  const inside = spawnSync(venvPython, ['-m', 'pip', '--version']).status === 0;
  if (!inside && !outside) run(venvPython, ['-m', 'ensurepip'], { quiet: true });
  const install = ['install', '--quiet', '--disable-pip-version-check', requirement];
  if (inside || !outside) run(venvPython, ['-m', 'pip', ...install], { quiet: true });
  else run(python, ['-m', 'pip', '--python', venvPython, ...install], { quiet: true });
};

/** Creates `.local/venv` with the pinned MiniStack unless it is there already. */
export const installEmulator = (progress: Progress): string => {
  const bin = join(VENV, 'bin', 'ministack');
  const marker = join(VENV, `.ministack-${MINISTACK_VERSION}`);
  if (existsSync(bin) && existsSync(marker)) return bin;
  mkdirSync(LOCAL_DIR, { recursive: true });
  progress(`Installing MiniStack ${MINISTACK_VERSION} into .local/venv (once)…`);
  pipInstall(`ministack==${MINISTACK_VERSION}`);
  writeFileSync(marker, '');
  return bin;
};

/**
 * Installs the pinned cfn-lint into `.local/venv` (creating it if need be, beside MiniStack) unless it
 * is there already. Returns the path of the `cfn-lint` executable.
 */
export const installCfnLint = (progress: Progress): string => {
  const bin = join(VENV, 'bin', 'cfn-lint');
  const marker = join(VENV, `.cfn-lint-${CFN_LINT_VERSION}`);
  if (existsSync(bin) && existsSync(marker)) return bin;
  mkdirSync(LOCAL_DIR, { recursive: true });
  progress(`Installing cfn-lint ${CFN_LINT_VERSION} into .local/venv (once)…`);
  pipInstall(`cfn-lint==${CFN_LINT_VERSION}`);
  writeFileSync(marker, '');
  return bin;
};

export interface RunningEmulator {
  readonly endpoint: string;
  /** Whether this call started it (and so should stop it). */
  readonly started: boolean;
}

/**
 * Makes sure an emulator answers: the one `AWS_ENDPOINT_URL` names, one already running on
 * 127.0.0.1:4566, or a new MiniStack started in the background. Returns its endpoint.
 */
export const startEmulator = async (progress: Progress): Promise<RunningEmulator> => {
  const configured = process.env.AWS_ENDPOINT_URL;
  if (configured) {
    if (!(await healthy(configured))) {
      throw new Error(
        `AWS_ENDPOINT_URL is ${configured} but nothing answers there: start your emulator first`,
      );
    }
    progress(`Using the emulator at ${configured}`);
    return { endpoint: configured, started: false };
  }
  if (await healthy(DEFAULT_ENDPOINT)) {
    progress(`Reusing the emulator already running at ${DEFAULT_ENDPOINT}`);
    return { endpoint: DEFAULT_ENDPOINT, started: false };
  }
  const bin = installEmulator(progress);
  progress(`Starting MiniStack on ${DEFAULT_ENDPOINT} (log: .local/ministack.log)…`);
  const log = openSync(EMULATOR_LOG, 'a');
  const child = spawn(bin, [], {
    cwd: LOCAL_DIR,
    detached: true,
    stdio: ['ignore', log, log],
    // Lambda functions run on the `node` first on PATH: node_modules/.bin has Node 24, as Lambda does.
    env: {
      ...process.env,
      PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
      BIND_HOST: '127.0.0.1',
      MINISTACK_HOST: '127.0.0.1',
      GATEWAY_PORT: '4566',
      LAMBDA_EXECUTOR: 'local',
    },
  });
  child.unref();
  writeFileSync(PID_FILE, String(child.pid));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await healthy(DEFAULT_ENDPOINT)) return { endpoint: DEFAULT_ENDPOINT, started: true };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`MiniStack did not start; see ${EMULATOR_LOG}`);
};

/** Stops the MiniStack these scripts started (an emulator started elsewhere is left alone). */
export const stopEmulator = (progress: Progress): void => {
  if (!existsSync(PID_FILE)) {
    progress('No MiniStack started by these scripts is running.');
    return;
  }
  const pid = Number(readFileSync(PID_FILE, 'utf8'));
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  spawnSync('rm', ['-f', PID_FILE]);
  progress(`Stopped MiniStack (pid ${pid}).`);
};

export interface LocalDeployOptions {
  readonly stackName?: string;
  /** @default 'herald' */
  readonly eventBusName?: string;
  /** The HTTP API's stage. @default '$default' */
  readonly stageName?: string;
  /** Retry schedule in seconds (short for tests). */
  readonly retrySchedule?: readonly number[];
  readonly configCacheSeconds?: number;
  readonly apiKeyCacheSeconds?: number;
  /** SNS topic ARNs (or `*` patterns) `sns` channels may publish to. */
  readonly snsTopicArns?: readonly string[];
  /** SES identities SES e-mail channels may send from. */
  readonly sesIdentities?: readonly string[];
  /** SQS queue ARNs (or `*` patterns) `sqs` channels may send to. */
  readonly sqsQueueArns?: readonly string[];
  /** EventBridge bus ARNs (or `*` patterns) `eventbridge` channels may put events on. */
  readonly eventBusArns?: readonly string[];
  /** IAM role ARNs (or `*` patterns) channels may send as (`roleArn`). */
  readonly assumableRoleArns?: readonly string[];
  /** A PEM file of extra CAs the deliver function trusts for SMTP (a local mail catcher's). */
  readonly smtpTrustedCaFile?: string;
  /** DNS servers (`host[:port]`) target names are resolved through (the SSRF suite's DNS stub). */
  readonly dnsServers?: readonly string[];
  /** Dead letters in a row (within a day) that disable a channel. */
  readonly autoDisableAfter?: number;
  /** How long a redrive runs in its admin request before it goes on in the background. */
  readonly redriveForegroundSeconds?: number;
  /** The chaos suite's crash points (test stacks only). */
  readonly faultInjection?: boolean;
  /** Functions log the AWS requests they make, per invocation (bench stacks only). */
  readonly countRequests?: boolean;
  /** Deliveries to loopback and private addresses (the local receivers). @default true */
  readonly allowPrivateTargets?: boolean;
  /**
   * The router's and the deliver function's timeouts in seconds: their queues' visibility timeouts are
   * 6 × these, so they set how long a crashed batch takes to come back. @default the stack's (30, 60)
   */
  readonly timeoutSeconds?: { readonly router?: number; readonly deliver?: number };
}

export type StackOutputs = Record<string, string>;

/** An AWS SDK client's settings for the emulator at `endpoint` (its region and test credentials). */
const emulatorClientConfig = (endpoint: string) => {
  const env = emulatorEnv(endpoint);
  return {
    endpoint,
    region: LOCAL_REGION,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'test',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'test',
    },
  };
};

/** The bootstrap version the installed CDK CLI deploys (its template's `BootstrapVersion` output). */
const cliBootstrapVersion = (): number | undefined => {
  const template = join(
    ROOT,
    'node_modules',
    'aws-cdk',
    'lib',
    'api',
    'bootstrap',
    'bootstrap-template.yaml',
  );
  if (!existsSync(template)) return undefined;
  const version = /\n {2}BootstrapVersion:[\s\S]*?\n {4}Value: '(\d+)'/.exec(
    readFileSync(template, 'utf8'),
  )?.[1];
  return version === undefined ? undefined : Number(version);
};

/**
 * Whether the emulator's account has a usable `CDKToolkit` stack at least as new as the installed CDK
 * CLI's: then `cdk bootstrap` would change nothing, and skipping it saves about 5 s of a second
 * `npm run local` (or of a second stack deployed on the same emulator).
 */
const bootstrapped = async (endpoint: string): Promise<boolean> => {
  const wanted = cliBootstrapVersion();
  if (wanted === undefined) return false;
  const cloudformation = new CloudFormationClient(emulatorClientConfig(endpoint));
  try {
    const stack = (await cloudformation.send(new DescribeStacksCommand({ StackName: 'CDKToolkit' })))
      .Stacks?.[0];
    const usable = ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'].includes(
      String(stack?.StackStatus),
    );
    const version = stack?.Outputs?.find((output) => output.OutputKey === 'BootstrapVersion')?.OutputValue;
    return usable && Number(version) >= wanted;
  } catch {
    return false;
  } finally {
    cloudformation.destroy();
  }
};

/** Bootstraps the emulator's account and deploys the Herald stack onto it; returns the stack outputs. */
export const deployStack = async (
  endpoint: string,
  options: LocalDeployOptions,
  progress: Progress,
): Promise<StackOutputs> => {
  const stackName = options.stackName ?? 'Herald';
  const env = { ...process.env, ...emulatorEnv(endpoint) };
  const cdk = join(ROOT, 'node_modules', '.bin', 'cdk');
  const outputsFile = join(LOCAL_DIR, `${stackName}.outputs.json`);
  mkdirSync(LOCAL_DIR, { recursive: true });
  progress('Checking the CDK bootstrap of the local account…');
  if (await bootstrapped(endpoint)) {
    progress('The local account is bootstrapped for this CDK version already');
  } else {
    progress('Bootstrapping the local account for CDK…');
    run(cdk, ['bootstrap', `aws://${LOCAL_ACCOUNT}/${LOCAL_REGION}`, '--output', 'cdk.local.out'], {
      env,
      quiet: true,
    });
  }
  progress(`Deploying the ${stackName} stack…`);
  const context = [
    `stackName=${stackName}`,
    `allowPrivateTargets=${options.allowPrivateTargets ?? true}`,
    'destroyData=true',
    ...(options.eventBusName ? [`eventBusName=${options.eventBusName}`] : []),
    ...(options.stageName ? [`stageName=${options.stageName}`] : []),
    ...(options.retrySchedule ? [`retrySchedule=${options.retrySchedule.join(',')}`] : []),
    ...(options.configCacheSeconds === undefined ? [] : [`configCacheSeconds=${options.configCacheSeconds}`]),
    ...(options.apiKeyCacheSeconds === undefined ? [] : [`apiKeyCacheSeconds=${options.apiKeyCacheSeconds}`]),
    ...(options.snsTopicArns ? [`snsTopicArns=${options.snsTopicArns.join(',')}`] : []),
    ...(options.sesIdentities ? [`sesIdentities=${options.sesIdentities.join(',')}`] : []),
    ...(options.sqsQueueArns ? [`sqsQueueArns=${options.sqsQueueArns.join(',')}`] : []),
    ...(options.eventBusArns ? [`eventBusArns=${options.eventBusArns.join(',')}`] : []),
    ...(options.assumableRoleArns ? [`assumableRoleArns=${options.assumableRoleArns.join(',')}`] : []),
    ...(options.smtpTrustedCaFile ? [`smtpTrustedCaFile=${options.smtpTrustedCaFile}`] : []),
    ...(options.dnsServers ? [`dnsServers=${options.dnsServers.join(',')}`] : []),
    ...(options.autoDisableAfter === undefined ? [] : [`autoDisableAfter=${options.autoDisableAfter}`]),
    ...(options.redriveForegroundSeconds === undefined
      ? []
      : [`redriveForegroundSeconds=${options.redriveForegroundSeconds}`]),
    ...(options.faultInjection ? ['faultInjection=true'] : []),
    ...(options.countRequests ? ['countRequests=true'] : []),
    ...(options.timeoutSeconds?.router === undefined
      ? []
      : [`routerTimeoutSeconds=${options.timeoutSeconds.router}`]),
    ...(options.timeoutSeconds?.deliver === undefined
      ? []
      : [`deliverTimeoutSeconds=${options.timeoutSeconds.deliver}`]),
  ].flatMap((entry) => ['-c', entry]);
  const deployed = run(
    cdk,
    [
      'deploy',
      stackName,
      '--require-approval',
      'never',
      '--output',
      'cdk.local.out',
      '--outputs-file',
      outputsFile,
      '--progress',
      'events',
      ...context,
    ],
    { env, quiet: true },
  );
  progress(
    `Deployed ${stackName}: synthesis and bundling ${cdkSeconds(deployed, 'Synthesis')} s, deployment ${cdkSeconds(deployed, 'Deployment')} s`,
  );
  const outputs = (JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, StackOutputs>)[stackName];
  if (outputs === undefined) throw new Error(`cdk deploy wrote no outputs for ${stackName}`);
  await applyEmulatorWorkarounds(endpoint, outputs, progress);
  return outputs;
};

/**
 * Emulator gaps, mended after deploy and only here (the production template stays as it is):
 * MiniStack 1.5.33 ignores `TimeToLiveSpecification` in CloudFormation, so TTL is switched on through
 * the API. Each step first checks, so an emulator without the gap is left alone.
 */
const applyEmulatorWorkarounds = async (endpoint: string, outputs: StackOutputs, progress: Progress) => {
  const dynamodb = new DynamoDBClient(emulatorClientConfig(endpoint));
  const TableName = outputs.StateTableName;
  if (TableName === undefined) return;
  const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName }));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (status !== 'ENABLED' && status !== 'ENABLING') {
    progress('Emulator workaround: enabling TTL on the state table (MiniStack ignores it in CloudFormation)');
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );
  }
};

/** The emulator's URL for a path of the stack's HTTP API (on its stage). */
export const apiUrl = (endpoint: string, outputs: Readonly<StackOutputs>, path: string): string => {
  const apiId = outputs.ApiId;
  if (apiId === undefined) throw new Error('the stack has no ApiId output');
  return `${endpoint.replace(/\/$/, '')}/_aws/execute-api/${apiId}${stagePath(outputs.ApiUrl)}${path}`;
};
