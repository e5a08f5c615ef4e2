/**
 * What the stack gives each function: queue visibility timeouts that follow the consuming function's
 * timeout, memory per function, log permissions on its own log group only, and `kms:Decrypt` for the
 * keys of referenced secrets only where they are read, and the Powertools Tracer (and, where digests
 * are sent, the digest renderers) in a file of its own beside each bundle.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ATTEMPT_LEASE } from '../../infra/constructs/delivery.ts';
import { HeraldFunction } from '../../infra/constructs/herald-function.ts';
import { VISIBILITY_TIMEOUT_FACTOR } from '../../infra/constructs/queues.ts';
import { HeraldStack, type HeraldStackProps } from '../../infra/herald-stack.ts';
import { functionEntry } from '../../infra/paths.ts';
import { ATTEMPT_LEASE_SECONDS } from '../../shared/aws/state-repository.ts';
import { DIGESTS_FILE } from '../../shared/channels/digest-loading.ts';
import { TRACER_FILE } from '../../shared/runtime/tracing.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

const ENV = { account: '123456789012', region: 'eu-west-1' };
const SECRETS = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/*';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Synthesizes the stack without bundling the functions (the assertions are about resources). */
const stackWith = (herald: HeraldStackProps['herald'] = {}) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new HeraldStack(app, 'Herald', { env: ENV, herald });
};
const synth = (herald: HeraldStackProps['herald'] = {}): Template => Template.fromStack(stackWith(herald));

const resourcesOf = (template: Template, type: string): Record<string, Resource> =>
  template.findResources(type) as Record<string, Resource>;

/** The functions by the name of their handler folder (`RouterFunction` → `router`). */
const functionsOf = (template: Template): Record<string, Resource & { id: string }> =>
  Object.fromEntries(
    Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).map(([id, fn]) => {
      const name = /([A-Z][a-z]+)Function[0-9A-F]{8}$/.exec(id)?.[1]?.toLowerCase();
      if (name === undefined) throw new Error(`cannot name the function ${id}`);
      return [name, { ...fn, id }];
    }),
  );

/** The statements of every policy attached to the role with logical id `roleId`. */
const statementsOfRole = (template: Template, roleId: string): Statement[] =>
  Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

const roleIdOf = (fn: Resource): string =>
  (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
const actionsOf = (statement: Statement): string[] =>
  typeof statement.Action === 'string' ? [statement.Action] : statement.Action;

describe('queue visibility timeouts', () => {
  /** Each SQS event source as [queue visibility timeout, its function's timeout], in seconds. */
  const consumed = (template: Template): [number, number][] => {
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    return Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).map((mapping) => {
      const queueId = (mapping.Properties.EventSourceArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const functionId = (mapping.Properties.FunctionName as { Ref: string }).Ref;
      return [
        Number(queues[queueId]?.Properties.VisibilityTimeout),
        Number(functions[functionId]?.Properties.Timeout),
      ];
    });
  };

  it.each([
    ['by default', {}],
    ['with timeout props', { timeout: { router: Duration.seconds(20), deliver: Duration.seconds(45) } }],
  ] as const)('are 6 times the timeout of the function each queue feeds (%s)', (_name, herald) => {
    // Act
    const pairs = consumed(synth(herald));

    // Assess: router, deliver and redrive, each fed from its queue.
    expect(pairs).toHaveLength(3);
    for (const [visibility, timeout] of pairs) {
      expect(timeout).toBeGreaterThan(0);
      expect(visibility).toBe(VISIBILITY_TIMEOUT_FACTOR * timeout);
    }
  });

  it('takes the router and deliver timeouts from the timeout prop', () => {
    // Act
    const template = synth({ timeout: { router: Duration.seconds(20), deliver: Duration.seconds(45) } });

    // Assess
    const fns = functionsOf(template);
    expect(fns.router?.Properties.Timeout).toBe(20);
    expect(fns.deliver?.Properties.Timeout).toBe(45);
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    const visibility = (name: string) =>
      Object.entries(queues).find(([id]) => new RegExp(`${name}[0-9A-F]{8}$`).test(id))?.[1].Properties
        .VisibilityTimeout;
    expect(visibility('IngestIngestQueue')).toBe(120);
    expect(visibility('DeliveryDeliveryQueue')).toBe(270);
  });

  it.each([20, 120])('refuses a deliver timeout of %i s, outside the attempt lease', (seconds) => {
    expect(() => stackWith({ timeout: { deliver: Duration.seconds(seconds) } })).toThrow(
      /deliver timeout .* from 21 to 119 s/,
    );
  });

  it('warns when the deliver timeout leaves no room for a channel at its longest timeout', () => {
    // Act
    const stack = stackWith({ timeout: { deliver: Duration.seconds(30) } });

    // Assess
    Annotations.fromStack(stack).hasWarning(
      '*',
      Match.stringLikeRegexp("not longer than a channel's longest"),
    );
    Annotations.fromStack(stackWith()).hasNoWarning('*', Match.stringLikeRegexp('deliver timeout'));
  });

  it('keeps the attempt lease the same as the deliver function uses', () => {
    expect(ATTEMPT_LEASE.toSeconds()).toBe(ATTEMPT_LEASE_SECONDS);
  });
});

describe('memorySize', () => {
  it('gives every function 256 MB by default and each named function its own size', () => {
    // Act
    const defaults = functionsOf(synth());
    const sized = functionsOf(synth({ memorySize: { deliver: 1024, router: 512, authorizer: 128 } }));

    // Assess
    expect(Object.values(defaults).map((fn) => fn.Properties.MemorySize)).toEqual(Array(7).fill(256));
    expect(
      Object.fromEntries(Object.entries(sized).map(([name, fn]) => [name, fn.Properties.MemorySize])),
    ).toEqual({
      ingest: 256,
      authorizer: 128,
      router: 512,
      deliver: 1024,
      admin: 256,
      redrive: 256,
      digest: 256,
    });
  });

  it.each([100, 300.5, 20_000])('refuses %s MB', (size) => {
    expect(() => stackWith({ memorySize: { admin: size } })).toThrow(/AdminFunction: memorySize/);
  });
});

describe('log permissions', () => {
  it('attaches no managed policy to any role', () => {
    const template = synth();
    for (const role of Object.values(resourcesOf(template, 'AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('lets each function create streams and put events in its own log group, and no other', () => {
    // Prepare
    const template = synth();
    const fns = functionsOf(template);

    // Act
    const logStatements = Object.fromEntries(
      Object.entries(fns).map(([name, fn]) => [
        name,
        statementsOfRole(template, roleIdOf(fn)).filter((statement) =>
          actionsOf(statement).some((action) => action.startsWith('logs:')),
        ),
      ]),
    );

    // Assess
    expect(Object.keys(logStatements)).toHaveLength(7);
    for (const [name, fn] of Object.entries(fns)) {
      const logGroup = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(logStatements[name], name).toEqual([
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
        },
      ]);
    }
  });
});

describe('tracing and log level', () => {
  it('traces every function actively and sets its Powertools log level', () => {
    // Prepare
    const fns = functionsOf(synth());

    // Assess
    expect(Object.keys(fns)).toHaveLength(7);
    for (const [name, fn] of Object.entries(fns)) {
      expect(fn.Properties.TracingConfig, name).toEqual({ Mode: 'Active' });
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.POWERTOOLS_LOG_LEVEL, name).toBe('INFO');
    }
  });

  it("grants each function X-Ray's two writes on `*`, its only statement on every resource", () => {
    // Prepare: every option, so that each grant a prop can add is there.
    const template = synth({
      secretRefArns: [SECRETS],
      secretKmsKeyArns: [KEY],
      snsTopicArns: ['arn:aws:sns:eu-west-1:123456789012:alerts-*'],
      sesIdentities: ['example.com'],
    });

    // Act
    const everyResource = Object.fromEntries(
      Object.entries(functionsOf(template)).map(([name, fn]) => [
        name,
        statementsOfRole(template, roleIdOf(fn)).filter((statement) =>
          [statement.Resource].flat().includes('*'),
        ),
      ]),
    );

    // Assess
    for (const [name, statements] of Object.entries(everyResource)) {
      expect(statements, name).toEqual([
        {
          Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          Effect: 'Allow',
          Resource: '*',
        },
      ]);
    }
  });
});

describe('the code hash a function is given', () => {
  it("passes its bundle's asset hash (its S3 key): the same in any stack for the same code, another for other code", () => {
    // Prepare: the same function in two stacks, and another function, bundled as the stack bundles them
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'herald-code-hash-')) });
    const hashed = (stackName: string, name: 'authorizer' | 'redrive') => {
      const stack = new Stack(app, stackName, { env: ENV });
      new HeraldFunction(stack, 'Fn', { entry: functionEntry(name), description: name }).bindCodeHash(
        'HERALD_CODE_HASH',
      );
      return stackName;
    };
    const stacks = [hashed('One', 'authorizer'), hashed('Two', 'authorizer'), hashed('Three', 'redrive')];

    // Act
    const assembly = app.synth();

    // Assess
    const [one, two, three] = stacks.map((name) => {
      const fns = Object.values(
        assembly.getStackByName(name).template.Resources as Record<string, Resource>,
      ).filter((resource) => resource.Type === 'AWS::Lambda::Function');
      expect(fns).toHaveLength(1);
      const { Code, Environment } = (fns[0] as Resource).Properties as {
        Code: { S3Key: string };
        Environment: { Variables: Record<string, string> };
      };
      const { S3Key } = Code;
      const hash = Environment.Variables.HERALD_CODE_HASH;
      expect(`${hash}.zip`).toBe(S3Key);
      return hash;
    });
    expect(one).toMatch(/^[0-9a-f]{64}$/);
    expect(two).toBe(one);
    expect(three).not.toBe(one);
  });
});

describe('the Tracer beside the bundle', () => {
  it('ships the Powertools Tracer as xray-tracer.js beside index.js, and index.js without it', () => {
    // Prepare: one function, bundled as the stack bundles them.
    const app = new App({
      outdir: mkdtempSync(join(tmpdir(), 'herald-tracer-')),
      context: { 'aws:cdk:enable-asset-metadata': true },
    });
    const stack = new Stack(app, 'Traced', { env: ENV });
    new HeraldFunction(stack, 'Authorizer', {
      entry: functionEntry('authorizer'),
      description: 'the API key authorizer, bundled',
    });

    // Act
    const assembly = app.synth();

    // Assess
    const [fn] = Object.values(
      assembly.getStackByName('Traced').template.Resources as Record<
        string,
        Resource & { Metadata?: Record<string, string> }
      >,
    ).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    const asset = join(assembly.directory, fn?.Metadata?.['aws:asset:path'] ?? 'missing');
    expect(readdirSync(asset).sort()).toEqual(['index.js', 'index.js.map', TRACER_FILE]);
    const bundle = readFileSync(join(asset, 'index.js'), 'utf8');
    const tracer = readFileSync(join(asset, TRACER_FILE), 'utf8');
    // The X-Ray SDK's segment emitter and Powertools' Tracer are in the Tracer's file only (`includes`:
    // a failed `toContain` would print the whole bundle).
    for (const marker of ['AWS_XRAY_DAEMON_ADDRESS', 'POWERTOOLS_TRACER_CAPTURE_RESPONSE']) {
      expect(tracer.includes(marker), marker).toBe(true);
      expect(bundle.includes(marker), marker).toBe(false);
    }
    // index.js names the file and loads it with import() of a computed path, which esbuild leaves alone.
    expect(bundle.includes(`"${TRACER_FILE}"`)).toBe(true);
    const loaded = createRequire(import.meta.url)(join(asset, TRACER_FILE)) as { startTracer?: unknown };
    expect(typeof loaded.startTracer).toBe('function');
  });
});

describe('the digest renderers beside the bundle', () => {
  it('ships the digest renderers as digests.js beside the index.js of a function that sends digests', () => {
    // Prepare: the deliver function, bundled as the stack bundles it.
    const app = new App({
      outdir: mkdtempSync(join(tmpdir(), 'herald-digests-')),
      context: { 'aws:cdk:enable-asset-metadata': true },
    });
    const stack = new Stack(app, 'Digests', { env: ENV });
    new HeraldFunction(stack, 'Deliver', {
      entry: functionEntry('deliver'),
      description: 'the deliver function, bundled',
      sendsDigests: true,
    });

    // Act
    const assembly = app.synth();

    // Assess
    const [fn] = Object.values(
      assembly.getStackByName('Digests').template.Resources as Record<
        string,
        Resource & { Metadata?: Record<string, string> }
      >,
    ).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    const asset = join(assembly.directory, fn?.Metadata?.['aws:asset:path'] ?? 'missing');
    expect(readdirSync(asset).sort()).toEqual([DIGESTS_FILE, 'index.js', 'index.js.map', TRACER_FILE]);
    const bundle = readFileSync(join(asset, 'index.js'), 'utf8');
    const digests = readFileSync(join(asset, DIGESTS_FILE), 'utf8');
    // The digest footer and the "N more types" fact are in the renderers' file only (`includes`: a
    // failed `toContain` would print the whole bundle).
    for (const marker of ['Herald digest', 'more type']) {
      expect(digests.includes(marker), marker).toBe(true);
      expect(bundle.includes(marker), marker).toBe(false);
    }
    expect(bundle.includes(`"${DIGESTS_FILE}"`)).toBe(true);
    const loaded = createRequire(import.meta.url)(join(asset, DIGESTS_FILE)) as Record<string, unknown>;
    expect(typeof loaded.buildDigest).toBe('function');
    expect(typeof loaded.renderSlackDigest).toBe('function');
  });
});

describe('secretKmsKeyArns', () => {
  /** The `kms:` statements of each function's role, by function name. */
  const kmsStatements = (template: Template): Record<string, Statement[]> =>
    Object.fromEntries(
      Object.entries(functionsOf(template)).map(([name, fn]) => [
        name,
        statementsOfRole(template, roleIdOf(fn)).filter((statement) =>
          actionsOf(statement).some((action) => action.startsWith('kms:')),
        ),
      ]),
    );

  it('lets the functions that read referenced secrets decrypt with those keys only, through Secrets Manager', () => {
    // Act
    const statements = kmsStatements(synth({ secretRefArns: [SECRETS], secretKmsKeyArns: [KEY] }));

    // Assess: admin (checks references, test-sends) and deliver read referenced secrets; no one else.
    const expected = {
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: KEY,
      Condition: {
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] },
        },
        StringLike: { 'kms:EncryptionContext:SecretARN': [SECRETS] },
      },
    };
    expect(statements).toEqual({
      ingest: [],
      authorizer: [],
      router: [],
      deliver: [expected],
      admin: [expected],
      redrive: [],
      digest: [],
    });
  });

  it('grants no KMS use without keys, and warns about keys given without secretRefArns', () => {
    // Act
    const withoutKeys = kmsStatements(synth({ secretRefArns: [SECRETS] }));
    const keysOnly = stackWith({ secretKmsKeyArns: [KEY] });

    // Assess
    expect(Object.values(withoutKeys).flat()).toEqual([]);
    expect(Object.values(kmsStatements(Template.fromStack(keysOnly))).flat()).toEqual([]);
    Annotations.fromStack(keysOnly).hasWarning('*', Match.stringLikeRegexp('secretRefArns is empty'));
  });

  it('refuses an alias ARN, which IAM would never match', () => {
    expect(() =>
      stackWith({
        secretRefArns: [SECRETS],
        secretKmsKeyArns: ['arn:aws:kms:eu-west-1:123456789012:alias/team-secrets'],
      }),
    ).toThrow(/not a KMS key ARN/);
  });
});
