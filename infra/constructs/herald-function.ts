import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Token, Tokenization, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type CfnRole, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type BuildOptions, buildSync } from 'esbuild';
import { DIGESTS_FILE } from '../../shared/channels/digest-loading.ts';
import { ENV, type EnvName } from '../../shared/runtime/env-names.ts';
import { TRACER_FILE } from '../../shared/runtime/tracing.ts';
import { bundlingRoot, digestsEntry, tracerEntry } from '../paths.ts';

/** Herald's functions, by the name of their folder under `functions/`. */
export type HeraldFunctionName =
  | 'ingest'
  | 'authorizer'
  | 'router'
  | 'deliver'
  | 'admin'
  | 'redrive'
  | 'digest';

/** A setting per function, e.g. `{ deliver: 512 }`; a function left out keeps the default. */
export type PerFunction<T> = { readonly [name in HeraldFunctionName]?: T };

/** Lambda's range of memory sizes, in MB. */
const MEMORY_MB = { min: 128, max: 10_240 } as const;

export interface HeraldFunctionProps {
  /** Path of the handler file (`functions/<name>/handler.ts`). */
  readonly entry: string;
  readonly description: string;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** Memory in MB (128 to 10,240); CPU is allotted in proportion. @default 256 */
  readonly memorySize?: number;
  /** Environment variables beside the ones every function gets (see {@link ENV}). */
  readonly environment?: Readonly<Partial<Record<EnvName, string>>>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default RemovalPolicy.DESTROY (log groups only) */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Whether the function sends digests (deliver, and the admin API's test-send): its asset then also
   * carries the digest renderers as `digests.js`, loaded when a digest is first sent. @default false
   */
  readonly sendsDigests?: boolean;
}

/** Existing secrets channels may reference with `secretRef`, and the KMS keys they are encrypted with. */
export interface SecretRefs {
  /** Secret ARNs or ARN patterns with `*` (`secretRefArns`). */
  readonly secretArns: readonly string[];
  /** ARNs of the customer-managed KMS keys those secrets are encrypted with (`secretKmsKeyArns`). */
  readonly kmsKeyArns: readonly string[];
}

const NO_SECRET_REFS: SecretRefs = { secretArns: [], kmsKeyArns: [] };

/** A word for a POSIX shell, quoted. */
const shellWord = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

/**
 * The command that bundles a module loaded on first need into a file of its own beside the function's
 * `index.js` (the same esbuild options but the source map), run by `NodejsFunction` after its own
 * bundling in CDK's bundling container (`inputDir` is the mounted project, esbuild is on its PATH):
 * the Powertools Tracer as `xray-tracer.js`, loaded on the first sampled invocation
 * (`shared/runtime/tracing.ts`), and the digest renderers as `digests.js`, loaded when a digest is
 * first sent (`shared/channels/digest-loading.ts`); never at init. Bundling on this machine builds
 * each file once instead ({@link lazyFileCopy}).
 */
const lazyBundleCommand = (
  source: string,
  file: string,
  inputDir: string,
  outputDir: string,
  projectRoot: string | undefined,
) =>
  [
    'esbuild',
    '--bundle',
    join(inputDir, relative(projectRoot ?? process.cwd(), source)),
    `--outfile=${join(outputDir, file)}`,
    ...LAZY_FILE_FLAGS,
  ]
    .map(shellWord)
    .join(' ');

/**
 * How the lazily loaded files are bundled. No source map: with `--enable-source-maps` Node reads a
 * module's map when it loads it, which adds about 25 ms to the first sampled invocation for a Tracer
 * file that is nearly all the X-Ray SDK.
 */
const LAZY_FILE_OPTIONS = {
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  minify: true,
  mainFields: ['module', 'main'],
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** {@link LAZY_FILE_OPTIONS} as esbuild's command-line flags. */
const LAZY_FILE_FLAGS = [
  `--platform=${LAZY_FILE_OPTIONS.platform}`,
  `--format=${LAZY_FILE_OPTIONS.format}`,
  `--target=${LAZY_FILE_OPTIONS.target}`,
  '--minify',
  `--main-fields=${LAZY_FILE_OPTIONS.mainFields.join(',')}`,
  `--log-level=${LAZY_FILE_OPTIONS.logLevel}`,
];

/** The lazily loaded files built in this process, by entry: each is built once and copied into every asset. */
const builtLazyFiles = new Map<string, string>();

/**
 * The command that puts a lazily loaded file into a function's asset when bundling runs on this
 * machine: the file is bundled once per synthesis (in this process, with
 * {@link LAZY_FILE_OPTIONS}) and copied into each asset that carries it, instead of one esbuild run per
 * function (about 0.4 s each, nine of them in a stack).
 */
const lazyFileCopy = (source: string, file: string, outputDir: string): string => {
  let built = builtLazyFiles.get(source);
  if (built === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'herald-lazy-'));
    if (builtLazyFiles.size === 0) {
      process.once('exit', () => {
        for (const path of builtLazyFiles.values())
          rmSync(join(path, '..'), { recursive: true, force: true });
      });
    }
    built = join(dir, file);
    buildSync({
      ...LAZY_FILE_OPTIONS,
      mainFields: [...LAZY_FILE_OPTIONS.mainFields],
      entryPoints: [source],
      bundle: true,
      outfile: built,
    });
    builtLazyFiles.set(source, built);
  }
  return ['cp', built, join(outputDir, file)].map(shellWord).join(' ');
};

/** Where channels may send, as the stack allows it (see {@link HeraldProps}). */
export interface ChannelDestinations {
  readonly allowPrivateTargets: boolean;
  /** SNS topic ARNs or ARN patterns with `*`. */
  readonly snsTopicArns: readonly string[];
  /** SES identities: addresses or domains. */
  readonly sesIdentities: readonly string[];
  /** SQS queue ARNs or ARN patterns with `*`. */
  readonly sqsQueueArns: readonly string[];
  /** EventBridge bus ARNs or ARN patterns with `*`. */
  readonly eventBusArns: readonly string[];
  /** IAM role ARNs or ARN patterns with `*` that channels may send as. */
  readonly assumableRoleArns: readonly string[];
  /** The buses Herald ingests from: never a channel's target (a loop). */
  readonly ingestBusArns: readonly string[];
  /** Extra CA certificates (PEM) for SMTP servers. */
  readonly smtpTrustedCa?: string;
  /** DNS servers (`host` or `host:port`) target names are resolved through; empty means the system's. */
  readonly dnsServers: readonly string[];
}

/**
 * The cdk-nag finding id for a wildcard `resource` in an IAM policy (`AwsSolutions-IAM5`), so one
 * statement's wildcard can be acknowledged without hiding any other: cdk-nag names the resource with
 * its CloudFormation references flattened (`<Table1234.Arn>/index/*`, `arn:<AWS::Partition>:…`).
 */
export const wildcardResourceFinding = (scope: Construct, resource: string): string => {
  const flatten = (node: unknown): string => {
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    if (typeof node === 'object' && node !== null) {
      const reference = node as Record<string, unknown>;
      const join = reference['Fn::Join'] as [string, unknown[]] | undefined;
      if (join !== undefined) return join[1].map(flatten).join(join[0]);
      if (reference['Fn::Sub'] !== undefined) return flatten(reference['Fn::Sub']);
      const getAtt = reference['Fn::GetAtt'] as [unknown, unknown] | undefined;
      if (getAtt !== undefined) return `<${flatten(getAtt[0])}.${flatten(getAtt[1])}>`;
      if (reference.Ref !== undefined) return `<${flatten(reference.Ref)}>`;
    }
    return JSON.stringify(node);
  };
  return `AwsSolutions::AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resource))}]`;
};

/**
 * Herald's one opinion on Lambda: Node.js 24 on arm64, an esbuild bundle with everything it imports
 * (the AWS SDK included, so the pinned version runs), source maps, active X-Ray tracing, its own role
 * and log group.
 */
export class HeraldFunction extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: HeraldFunctionProps) {
    super(scope, id);
    const memorySize = props.memorySize ?? 256;
    if (
      !Token.isUnresolved(memorySize) &&
      !(Number.isInteger(memorySize) && memorySize >= MEMORY_MB.min && memorySize <= MEMORY_MB.max)
    ) {
      throw new Error(
        `${this.node.path}: memorySize ${memorySize} is not a whole number of MB from ${MEMORY_MB.min} to ${MEMORY_MB.max}`,
      );
    }
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize,
      timeout: props.timeout ?? Duration.seconds(30),
      logGroup,
      // Lambda records each sampled invocation's segments (initialization, invocation, overhead); the
      // Powertools Tracer, loaded from its own file on the first sampled invocation only, adds the
      // handler, SDK requests and outbound sends as subsegments (docs/operations.md#traces).
      tracing: Tracing.ACTIVE,
      environment: {
        [ENV.nodeOptions]: '--enable-source-maps',
        [ENV.logLevel]: 'INFO',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.CJS,
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        externalModules: [],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir, outputDir) =>
            [
              [tracerEntry(), TRACER_FILE] as const,
              ...(props.sendsDigests === true ? [[digestsEntry(), DIGESTS_FILE] as const] : []),
            ].map(([source, file]) =>
              // On this machine, built once and copied; in CDK's bundling container, built there.
              existsSync(inputDir)
                ? lazyFileCopy(source, file, outputDir)
                : lazyBundleCommand(source, file, inputDir, outputDir, bundlingRoot()?.projectRoot),
            ),
        },
      },
      ...bundlingRoot(),
    });
    // The function writes to its own log group only: CreateLogStream and PutLogEvents on that group,
    // instead of the AWSLambdaBasicExecutionRole managed policy Lambda's construct attaches (which
    // allows CreateLogGroup and writes to every log group of the account). The role's L1 property is
    // set because the construct offers no way to leave the managed policy out.
    const role = this.fn.role?.node.defaultChild as CfnRole | undefined;
    if (role === undefined) throw new Error(`${this.node.path} has no role of its own`);
    role.managedPolicyArns = undefined;
    logGroup.grantWrite(this.fn);
    Validations.of(this).acknowledge(
      {
        id: 'Serverless::Serverless-LambdaDLQ',
        reason:
          'Herald invokes no function asynchronously: the API and authorizer calls are synchronous and ' +
          'the queue consumers are fed by SQS event source mappings, whose failed messages go to the ' +
          "queue's own dead-letter queue (a Lambda DLQ only catches asynchronous invocations).",
      },
      {
        id: wildcardResourceFinding(this, '*'),
        reason:
          'Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords on `*`: X-Ray has no ' +
          'resource-level permissions for them (AWS documents `*` as their only resource), and they ' +
          'only write trace data.',
      },
    );
  }

  /** Sets an environment variable. */
  env(name: EnvName, value: string): this {
    this.fn.addEnvironment(name, value);
    return this;
  }

  /**
   * Passes the hash of the function's code (its asset's, which names its S3 key) in `name`: data the
   * function saved with the same hash was written by the same code (see `config-snapshots.ts`). A
   * bundled asset is hashed by its output (CDK's default for bundled assets; no `assetHash` is set
   * here), so the hash follows the code and nothing else (test/infra/functions.test.ts).
   */
  bindCodeHash(name: EnvName): this {
    const code = (this.fn.node.defaultChild as CfnFunction).code;
    const key = Tokenization.isResolvable(code) ? undefined : (code as CfnFunction.CodeProperty).s3Key;
    if (key === undefined || Token.isUnresolved(key))
      throw new Error(`${this.node.path}: no asset hash to pass`);
    return this.env(name, key.replace(/\.zip$/, ''));
  }

  /** Grants access to a table and passes its name in `envName`. */
  bindTable(envName: EnvName, table: ITableV2, access: 'read' | 'rw'): this {
    if (access === 'read') table.grantReadData(this.fn);
    else table.grantReadWriteData(this.fn);
    Validations.of(this).acknowledge({
      id: wildcardResourceFinding(this, `${table.tableArn}/index/*`),
      reason:
        "The whole-table grant (the admin API's) includes Query on the table's own indexes, which it " +
        'lists deliveries and dead letters through; the resource is that table, nothing wider.',
    });
    return this.env(envName, table.tableName);
  }

  /**
   * Grants item access to a table only within the named partitions (`dynamodb:LeadingKeys`, `*`
   * patterns allowed) and passes its name in `envName`: `read` partitions may be read, `write` ones
   * also written, `put` ones also put into (nothing else). `indexReads` adds `Query` on the table's
   * indexes, which partition conditions cannot scope (their partition keys are not the table's); no
   * `Scan` is ever granted.
   */
  bindTableItems(
    envName: EnvName,
    table: ITableV2,
    access: {
      read?: readonly string[];
      write?: readonly string[];
      /** Partitions only put into (items written whole: never updated, deleted or batch-written). */
      put?: readonly string[];
      indexReads?: boolean;
    },
  ): this {
    const write = access.write ?? [];
    const put = access.put ?? [];
    const read = [...new Set([...(access.read ?? []), ...write, ...put])];
    const leadingKeys = (keys: readonly string[]) => ({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...keys] },
    });
    if (read.length > 0) {
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
          resources: [table.tableArn],
          conditions: leadingKeys(read),
        }),
      );
    }
    if (write.length > 0) {
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: [
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:BatchWriteItem',
          ],
          resources: [table.tableArn],
          conditions: leadingKeys(write),
        }),
      );
    }
    if (put.length > 0) {
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:PutItem'],
          resources: [table.tableArn],
          conditions: leadingKeys(put),
        }),
      );
    }
    if (access.indexReads === true) {
      const indexes = `${table.tableArn}/index/*`;
      this.fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [indexes] }));
      Validations.of(this).acknowledge({
        id: wildcardResourceFinding(this, indexes),
        reason:
          "Query on the table's own indexes only (no Scan, no writes): index ARNs admit no partition " +
          'condition, and the function lists deliveries by status or channel through them.',
      });
    }
    return this.env(envName, table.tableName);
  }

  /** Grants receiving from a queue (not as an event source) and passes its URL in `envName`. */
  bindQueueConsumer(envName: EnvName, queue: IQueue): this {
    queue.grantConsumeMessages(this.fn);
    return this.env(envName, queue.queueUrl);
  }

  /**
   * Grants access to Herald's channel secrets (names under `prefix`): `manage` for the admin API,
   * `refs-only` for the deliver function (which reads a channel's own secret only through a session
   * tagged with that channel: see `Delivery`). `refs` are existing secrets channels may reference; they
   * are only ever read, and decrypted with their KMS keys only through Secrets Manager.
   */
  bindSecrets(prefix: string, access: 'refs-only' | 'manage', refs: SecretRefs = NO_SECRET_REFS): this {
    const own = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${prefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    if (access === 'manage') {
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: [
            'secretsmanager:GetSecretValue',
            'secretsmanager:CreateSecret',
            'secretsmanager:PutSecretValue',
            'secretsmanager:DeleteSecret',
            'secretsmanager:DescribeSecret',
            // Channel secrets carry the channel's tag (CreateSecret with Tags needs it too).
            'secretsmanager:TagResource',
          ],
          resources: [own],
        }),
      );
      Validations.of(this).acknowledge({
        id: wildcardResourceFinding(this, own),
        reason:
          "Channel secrets are created at run time, one per channel, under Herald's name prefix, and a " +
          "secret's ARN ends in a random suffix: the prefix pattern is the narrowest ARN that names them.",
      });
    }
    const { secretArns, kmsKeyArns } = refs;
    if (secretArns.length > 0) {
      this.fn.addToRolePolicy(
        new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [...secretArns] }),
      );
      this.acknowledgeWildcards(
        secretArns,
        "A pattern the deployer gave in `secretRefArns` (a secret ARN's random suffix calls for one): " +
          'existing secrets that channels may reference, read only.',
      );
    }
    if (secretArns.length > 0 && kmsKeyArns.length > 0) {
      const stack = Stack.of(this);
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [...kmsKeyArns],
          conditions: {
            // Only when Secrets Manager decrypts for the function, and only a referenced secret.
            StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` },
            StringLike: { 'kms:EncryptionContext:SecretARN': [...secretArns] },
          },
        }),
      );
      this.acknowledgeWildcards(
        kmsKeyArns,
        'A key pattern the deployer gave in `secretKmsKeyArns`: Decrypt only, only through Secrets ' +
          'Manager (kms:ViaService) and only for the secrets in `secretRefArns` (encryption context).',
      );
    }
    return this.env(ENV.secretPrefix, prefix);
  }

  /** The ARN pattern of Herald's channel secrets (names under `prefix`). */
  static secretArnPattern(scope: Construct, prefix: string): string {
    return Stack.of(scope).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${prefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * Lets the function send where channels may send: publish to the allowed SNS topics, send e-mail
   * from the allowed SES identities, send to the allowed SQS queues, put events on the allowed buses
   * (never on the ones Herald ingests from), assume the allowed roles; and tells it (environment)
   * which targets it may use.
   */
  bindDestinations(destinations: ChannelDestinations): this {
    const stack = Stack.of(this);
    if (destinations.snsTopicArns.length > 0) {
      this.fn.addToRolePolicy(
        new PolicyStatement({ actions: ['sns:Publish'], resources: [...destinations.snsTopicArns] }),
      );
      this.acknowledgeWildcards(
        destinations.snsTopicArns,
        'A topic pattern the deployer gave in `snsTopicArns`: Publish only, and a channel naming a ' +
          'topic outside the patterns is refused when saved.',
      );
    }
    if (destinations.sesIdentities.length > 0) {
      // SESv2 SendEmail also authorizes the configuration set a channel names; channels may name any.
      const configurationSets = stack.formatArn({
        service: 'ses',
        resource: 'configuration-set',
        resourceName: '*',
      });
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['ses:SendEmail'],
          resources: [
            ...destinations.sesIdentities.map((identity) =>
              stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
            ),
            configurationSets,
          ],
        }),
      );
      this.acknowledgeWildcards(
        [configurationSets],
        'SESv2 SendEmail is authorized on the configuration set as well as the sending identity, and a ' +
          'channel may name any configuration set of the account; who the mail is from stays limited ' +
          'to the `sesIdentities` listed beside it.',
      );
    }
    this.allowAwsDestinations(destinations);
    this.env(ENV.allowPrivateTargets, String(destinations.allowPrivateTargets));
    this.env(ENV.snsTopicArns, destinations.snsTopicArns.join(','));
    this.env(ENV.sesIdentities, destinations.sesIdentities.join(','));
    this.env(ENV.sqsQueueArns, destinations.sqsQueueArns.join(','));
    this.env(ENV.eventBusArns, destinations.eventBusArns.join(','));
    this.env(ENV.assumableRoleArns, destinations.assumableRoleArns.join(','));
    this.env(ENV.ingestBusArns, destinations.ingestBusArns.join(','));
    if (destinations.smtpTrustedCa !== undefined) this.env(ENV.smtpTrustedCa, destinations.smtpTrustedCa);
    if (destinations.dnsServers.length > 0) this.env(ENV.dnsServers, destinations.dnsServers.join(','));
    return this;
  }

  /**
   * The `sqs` and `eventbridge` channels' grants: `sqs:SendMessage` on `sqsQueueArns`, `events:PutEvents`
   * on `eventBusArns` (denied on the buses Herald ingests from, whatever the patterns match),
   * `sts:AssumeRole` on `assumableRoleArns`. Nothing when the lists are empty.
   */
  private allowAwsDestinations(destinations: ChannelDestinations): void {
    const grants = [
      {
        action: 'sqs:SendMessage',
        resources: destinations.sqsQueueArns,
        reason:
          'A queue pattern the deployer gave in `sqsQueueArns`: SendMessage only, and a channel naming a ' +
          'queue outside the patterns is refused when saved.',
      },
      {
        action: 'events:PutEvents',
        resources: destinations.eventBusArns,
        reason:
          'A bus pattern the deployer gave in `eventBusArns`: PutEvents only (denied on the buses Herald ' +
          'ingests from), and a channel naming a bus outside the patterns is refused when saved.',
      },
      {
        action: 'sts:AssumeRole',
        resources: destinations.assumableRoleArns,
        reason:
          'A role pattern the deployer gave in `assumableRoleArns`: AssumeRole only, each role must also ' +
          "trust this function's role in its own trust policy, and a channel naming a role outside the " +
          'patterns is refused when saved.',
      },
    ];
    for (const { action, resources, reason } of grants) {
      if (resources.length === 0) continue;
      this.fn.addToRolePolicy(new PolicyStatement({ actions: [action], resources: [...resources] }));
      this.acknowledgeWildcards(resources, reason);
    }
    if (destinations.eventBusArns.length > 0 && destinations.ingestBusArns.length > 0) {
      // A pattern may match Herald's own bus: putting there would feed deliveries back in (a loop).
      this.fn.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.DENY,
          actions: ['events:PutEvents'],
          resources: [...destinations.ingestBusArns],
        }),
      );
    }
  }

  /** Acknowledges cdk-nag's wildcard finding (`AwsSolutions-IAM5`) for each of `resources` with a `*`. */
  private acknowledgeWildcards(resources: readonly string[], reason: string): void {
    for (const resource of resources.filter((arn) => arn.includes('*'))) {
      Validations.of(this).acknowledge({ id: wildcardResourceFinding(this, resource), reason });
    }
  }

  /** Grants sending to a queue and passes its URL in `envName`. */
  bindQueueSender(envName: EnvName, queue: IQueue): this {
    queue.grantSendMessages(this.fn);
    return this.env(envName, queue.queueUrl);
  }
}
