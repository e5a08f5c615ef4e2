import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { App, Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HeraldFunction } from '../../infra/constructs/herald-function.ts';
import { HeraldStack, type HeraldStackProps } from '../../infra/herald-stack.ts';
import { ENV } from '../../shared/runtime/env-names.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NAMES: ReadonlySet<string> = new Set(Object.values(ENV));

/** The stack as deployed by default, and with every option that sets an optional variable. */
const STACKS = {
  default: {},
  'every option': {
    retrySchedule: [Duration.seconds(0), Duration.minutes(1)],
    allowPrivateTargets: true,
    snsTopicArns: ['arn:aws:sns:eu-west-1:123456789012:alerts-*'],
    sesIdentities: ['example.com'],
    sqsQueueArns: ['arn:aws:sqs:eu-west-1:123456789012:platform-*'],
    eventBusArns: ['arn:aws:events:eu-west-1:123456789012:event-bus/platform-*'],
    assumableRoleArns: ['arn:aws:iam::123456789012:role/herald-*'],
    smtpTrustedCa: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    dnsServers: ['10.0.0.2'],
    faultInjection: true,
    countRequests: true,
  },
} satisfies Record<string, HeraldStackProps['herald']>;
type StackName = keyof typeof STACKS;

/** Each function's environment variables (name to value), keyed by its directory under `functions/`. */
type Environments = Record<string, Readonly<Record<string, unknown>>>;
const environments = {} as Record<StackName, Environments>;

beforeAll(() => {
  // Prepare: synthesize without bundling the functions (the assertions are about the template).
  for (const [name, herald] of Object.entries(STACKS) as [StackName, HeraldStackProps['herald']][]) {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new HeraldStack(app, 'Herald', {
      env: { account: '123456789012', region: 'eu-west-1' },
      ...(herald === undefined ? {} : { herald }),
    });
    const { ingest, routing, delivery, admin, digests } = stack.herald;
    const byHandler: Record<string, HeraldFunction> = {
      ingest: ingest.function,
      authorizer: ingest.authorizerFunction,
      router: routing.function,
      deliver: delivery.function,
      admin: admin.function,
      redrive: admin.redriveFunction,
      digest: digests.function,
    };
    const template = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    // Every function in the template is one of those above, so none escapes the checks below.
    expect(Object.keys(template).length).toBe(Object.keys(byHandler).length);
    environments[name] = Object.fromEntries(
      Object.entries(byHandler).map(([handler, fn]) => {
        const resource = template[stack.getLogicalId(fn.fn.node.defaultChild as CfnFunction)];
        const variables = resource?.Properties?.Environment?.Variables as Record<string, unknown> | undefined;
        if (variables === undefined) throw new Error(`no environment on the ${handler} function`);
        return [handler, variables];
      }),
    );
  }
});

/**
 * The Herald source files `file` loads at run time: `#shared/…` and relative imports, static or
 * dynamic, without packages and without `import type` (erased when bundled).
 */
const importsOf = (file: string, source: string): string[] =>
  [
    ...[...source.matchAll(/\b(?:import|export)\s+(type\s+)?(?:[^;'"]*?\sfrom\s*)?'([^']+)'/g)]
      .filter(([, typeOnly]) => typeOnly === undefined)
      .map(([, , specifier = '']) => specifier),
    ...[...source.matchAll(/\bimport\(\s*'([^']+)'/g)].map(([, specifier = '']) => specifier),
  ]
    .filter((specifier) => specifier.startsWith('#shared/') || specifier.startsWith('.'))
    .map((specifier) =>
      specifier.startsWith('#shared/')
        ? join(ROOT, 'shared', specifier.slice('#shared/'.length))
        : resolve(dirname(file), specifier),
    )
    .map((path) => (path.endsWith('.js') && !existsSync(path) ? path.replace(/\.js$/, '.ts') : path))
    .filter((path) => path.endsWith('.ts') && existsSync(path));

/**
 * What a handler reads: every `ENV.<key>` in its file and in the Herald modules it imports, however
 * deeply (comments left out), as `{ all, required }` variable names, `required` those read through
 * `requireEnv`. Scanning the sources rather than listing the names here keeps the test true when a
 * handler or a shared module starts reading a variable: it fails until infra sets it.
 */
const readsOf = (handler: string): { all: Set<string>; required: Set<string> } => {
  const all = new Set<string>();
  const required = new Set<string>();
  const seen = new Set<string>();
  const pending = [join(ROOT, 'functions', handler, 'handler.ts')];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    const nameOf = (key: string): string => {
      const name = (ENV as Readonly<Record<string, string>>)[key];
      if (name === undefined) throw new Error(`${file} uses ENV.${key}, which ENV does not have`);
      return name;
    };
    for (const [, key = ''] of source.matchAll(/\bENV\.(\w+)/g)) all.add(nameOf(key));
    for (const [, key = ''] of source.matchAll(/\brequireEnv\(\s*ENV\.(\w+)/g)) required.add(nameOf(key));
    pending.push(...importsOf(file, source));
  }
  return { all, required };
};

const HANDLERS = readdirSync(join(ROOT, 'functions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(ROOT, 'functions', entry.name, 'handler.ts')))
  .map((entry) => entry.name)
  .sort();

describe('environment variable names', () => {
  it('finds a function in the stack for every handler under functions/', () => {
    // Assess
    expect(Object.keys(environments.default).sort()).toEqual(HANDLERS);
  });

  it.each(Object.keys(STACKS) as StackName[])(
    'sets only names ENV holds on the functions (%s stack)',
    (stack) => {
      // Act
      const unknown = Object.entries(environments[stack]).flatMap(([handler, variables]) =>
        Object.keys(variables)
          .filter((name) => !NAMES.has(name))
          .map((name) => `${handler}: ${name}`),
      );

      // Assess
      expect(unknown).toEqual([]);
    },
  );

  it('holds no name that no function gets, with every option on', () => {
    // Act
    const set = new Set(
      Object.values(environments['every option']).flatMap((variables) => Object.keys(variables)),
    );

    // Assess
    expect([...NAMES].filter((name) => !set.has(name))).toEqual([]);
  });

  it.each(HANDLERS)(
    'sets on the %s function every variable its handler reads, with every option on',
    (handler) => {
      // Prepare
      const variables = environments['every option'][handler] ?? {};

      // Act
      const { all } = readsOf(handler);

      // Assess
      expect(all.size).toBeGreaterThan(0);
      expect([...all].filter((name) => !(name in variables))).toEqual([]);
    },
  );

  it.each(HANDLERS)('sets on the %s function every variable its handler requires, by default', (handler) => {
    // Prepare
    const variables = environments.default[handler] ?? {};

    // Act
    const { required } = readsOf(handler);

    // Assess
    expect([...required].filter((name) => !(name in variables))).toEqual([]);
  });
});
