import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface HeraldFunctionProps {
  /** Path of the handler file (`functions/<name>/handler.ts`). */
  readonly entry: string;
  readonly description: string;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  readonly environment?: Readonly<Record<string, string>>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default RemovalPolicy.DESTROY (log groups only) */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** Where channels may send, as the stack allows it (see {@link HeraldProps}). */
export interface ChannelDestinations {
  readonly allowPrivateTargets: boolean;
  /** SNS topic ARNs or ARN patterns with `*`. */
  readonly snsTopicArns: readonly string[];
  /** SES identities: addresses or domains. */
  readonly sesIdentities: readonly string[];
  /** Extra CA certificates (PEM) for SMTP servers. */
  readonly smtpTrustedCa?: string;
  /** DNS servers (`host` or `host:port`) target names are resolved through; empty means the system's. */
  readonly dnsServers: readonly string[];
}

/**
 * Herald's one opinion on Lambda: Node.js 24 on arm64, an esbuild bundle with everything it imports
 * (the AWS SDK included, so the pinned version runs), source maps, its own role and log group.
 */
export class HeraldFunction extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: HeraldFunctionProps) {
    super(scope, id);
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
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_LOG_LEVEL: 'INFO',
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
      },
    });
  }

  /** Sets an environment variable. */
  env(name: string, value: string): this {
    this.fn.addEnvironment(name, value);
    return this;
  }

  /** Grants access to a table and passes its name in `envName`. */
  bindTable(envName: string, table: ITableV2, access: 'read' | 'rw'): this {
    if (access === 'read') table.grantReadData(this.fn);
    else table.grantReadWriteData(this.fn);
    return this.env(envName, table.tableName);
  }

  /**
   * Grants item access to a table only within the named partitions (`dynamodb:LeadingKeys`, `*`
   * patterns allowed) and passes its name in `envName`: `read` partitions may be read, `write` ones
   * also written. `indexReads` adds `Query` on the table's indexes, which partition conditions cannot
   * scope (their partition keys are not the table's); no `Scan` is ever granted.
   */
  bindTableItems(
    envName: string,
    table: ITableV2,
    access: { read?: readonly string[]; write?: readonly string[]; indexReads?: boolean },
  ): this {
    const write = access.write ?? [];
    const read = [...new Set([...(access.read ?? []), ...write])];
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
    if (access.indexReads === true) {
      this.fn.addToRolePolicy(
        new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/*`] }),
      );
    }
    return this.env(envName, table.tableName);
  }

  /** Grants receiving from a queue (not as an event source) and passes its URL in `envName`. */
  bindQueueConsumer(envName: string, queue: IQueue): this {
    queue.grantConsumeMessages(this.fn);
    return this.env(envName, queue.queueUrl);
  }

  /**
   * Grants access to Herald's channel secrets (names under `prefix`): `manage` for the admin API,
   * `refs-only` for the deliver function (which reads a channel's own secret only through a session
   * tagged with that channel: see `Delivery`). `refs` are existing secrets channels may reference; they
   * are only ever read.
   */
  bindSecrets(prefix: string, access: 'refs-only' | 'manage', refs: readonly string[] = []): this {
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
    }
    if (refs.length > 0) {
      this.fn.addToRolePolicy(
        new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [...refs] }),
      );
    }
    return this.env('SECRET_PREFIX', prefix);
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
   * from the allowed SES identities, and tells it (environment) which targets it may use.
   */
  bindDestinations(destinations: ChannelDestinations): this {
    const stack = Stack.of(this);
    if (destinations.snsTopicArns.length > 0) {
      this.fn.addToRolePolicy(
        new PolicyStatement({ actions: ['sns:Publish'], resources: [...destinations.snsTopicArns] }),
      );
    }
    if (destinations.sesIdentities.length > 0) {
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['ses:SendEmail'],
          resources: [
            ...destinations.sesIdentities.map((identity) =>
              stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
            ),
            // SESv2 SendEmail also authorizes the configuration set a channel names; channels may name any.
            stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: '*' }),
          ],
        }),
      );
    }
    this.env('ALLOW_PRIVATE_TARGETS', String(destinations.allowPrivateTargets));
    this.env('SNS_TOPIC_ARNS', destinations.snsTopicArns.join(','));
    this.env('SES_IDENTITIES', destinations.sesIdentities.join(','));
    if (destinations.smtpTrustedCa !== undefined) this.env('SMTP_TRUSTED_CA', destinations.smtpTrustedCa);
    if (destinations.dnsServers.length > 0) this.env('DNS_SERVERS', destinations.dnsServers.join(','));
    return this;
  }

  /** Grants sending to a queue and passes its URL in `envName`. */
  bindQueueSender(envName: string, queue: IQueue): this {
    queue.grantSendMessages(this.fn);
    return this.env(envName, queue.queueUrl);
  }
}
