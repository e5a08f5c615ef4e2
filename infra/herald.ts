import { Annotations, Duration, type RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ENV } from '../shared/runtime/env-names.ts';
import { DEFAULT_METRICS_NAMESPACE } from '../shared/runtime/metrics.ts';
import { Admin } from './constructs/admin.ts';
import { Delivery } from './constructs/delivery.ts';
import { Digests } from './constructs/digests.ts';
import type { ChannelDestinations, PerFunction, SecretRefs } from './constructs/herald-function.ts';
import { type ForwardRule, Ingest } from './constructs/ingest.ts';
import { Observability } from './constructs/observability.ts';
import { DEFAULT_ROUTER_TIMEOUT, Routing } from './constructs/routing.ts';
import { type ProvisionedCapacity, Storage } from './constructs/storage.ts';

/** The functions' log levels (Powertools Logger). */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface HeraldProps {
  /**
   * The HTTP API's stage. `$default` serves the API at its root
   * (`https://<id>.execute-api.<region>.amazonaws.com/v1/…`); any other name (letters, digits, `-`,
   * `_`) serves it under that path (`…amazonaws.com/<stageName>/v1/…`), which the `ApiUrl` output
   * includes.
   * @default '$default'
   */
  readonly stageName?: string;
  /** Name of the EventBridge bus whose events Herald ingests. @default 'herald' */
  readonly eventBusName?: string;
  /**
   * Also ingest the events matching a pattern on another bus of this account, e.g.
   * `{ eventBusName: 'default', eventPattern: { source: ['aws.guardduty'] } }`.
   * @default none
   */
  readonly forward?: ForwardRule;
  /**
   * Default retry schedule: entry n is the delay before attempt n + 1 (the first is normally zero), so
   * its length is the number of attempts. Jitter of ±20 % is added.
   * @default 0, 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h (SPEC §5)
   */
  readonly retrySchedule?: readonly Duration[];
  /**
   * Allow deliveries to private, loopback and link-local addresses and over plain HTTP. For local
   * development only.
   * @default false
   */
  readonly allowPrivateTargets?: boolean;
  /** How long functions keep policies and channels in memory. @default Duration.seconds(30) */
  readonly configCacheTtl?: Duration;
  /**
   * How long the HTTP API caches an API key's verdict: a revoked key keeps working for at most this
   * long. @default Duration.seconds(30)
   */
  readonly apiKeyCacheTtl?: Duration;
  /** How long the deliver function keeps a channel's secret in memory. @default Duration.minutes(5) */
  readonly secretCacheTtl?: Duration;
  /** How long events, deliveries and attempts stay readable. @default Duration.days(30) */
  readonly retention?: Duration;
  /** Secrets Manager name prefix for channel secrets. @default `${stackName}/channels/` */
  readonly secretPrefix?: string;
  /**
   * ARNs (or ARN patterns) of existing Secrets Manager secrets that channels may reference with
   * `{"secretRef", "key"}`; Herald's functions get read access to these only.
   * @default none
   */
  readonly secretRefArns?: readonly string[];
  /**
   * ARNs of the customer-managed KMS keys that the secrets in `secretRefArns` are encrypted with (key
   * ARNs, `arn:aws:kms:<region>:<account>:key/<key id>`, not aliases). The functions that read
   * referenced secrets (admin, deliver) may `kms:Decrypt` with these keys only, only through Secrets
   * Manager (`kms:ViaService`) and only for those secrets (encryption context). The key policy must let
   * the account's IAM policies grant use of the key (a default key policy does). Secrets under
   * Secrets Manager's own key (`aws/secretsmanager`) need nothing here.
   * @default none
   */
  readonly secretKmsKeyArns?: readonly string[];
  /**
   * SNS topics `sns` channels may publish to: topic ARNs, or ARN patterns with `*` (e.g.
   * `arn:aws:sns:eu-west-1:123456789012:alerts-*`). The deliver role may publish to these only, and a
   * channel naming another topic is refused when saved.
   * @default none (no `sns` channel can be saved)
   */
  readonly snsTopicArns?: readonly string[];
  /**
   * SES identities `email` channels with `transport: ses` may send from: verified addresses or domains
   * (`alerts@example.com`, `example.com`). The deliver role may send from these only.
   * @default none (no SES e-mail channel can be saved)
   */
  readonly sesIdentities?: readonly string[];
  /**
   * SQS queues `sqs` channels may send to: queue ARNs, or ARN patterns with `*` (e.g.
   * `arn:aws:sqs:eu-west-1:210987654321:platform-*`). The deliver role may `sqs:SendMessage` to these
   * only, and a channel whose `queueUrl` (read as its ARN) is outside them is refused when saved, also
   * when it sends through a `roleArn`.
   * @default none (no `sqs` channel can be saved)
   */
  readonly sqsQueueArns?: readonly string[];
  /**
   * EventBridge buses `eventbridge` channels may put events on: bus ARNs, or ARN patterns with `*`
   * (e.g. `arn:aws:events:eu-west-1:210987654321:event-bus/platform-*`). The deliver role may
   * `events:PutEvents` on these only (never on the buses Herald ingests from, which are refused when a
   * channel is saved), and a channel naming another bus is refused when saved, also when it puts through
   * a `roleArn`.
   * @default none (no `eventbridge` channel can be saved)
   */
  readonly eventBusArns?: readonly string[];
  /**
   * IAM roles `sqs` and `eventbridge` channels may send as (`roleArn`, for queues and buses in other
   * accounts): role ARNs, or ARN patterns with `*` (e.g. `arn:aws:iam::210987654321:role/herald-*`).
   * The deliver role may `sts:AssumeRole` these only; each role's trust policy must also trust the
   * deliver and admin functions' roles (the admin function sends test-sends).
   * @default none (no channel can name a `roleArn`)
   */
  readonly assumableRoleArns?: readonly string[];
  /**
   * Extra CA certificates (PEM) that SMTP servers' certificates may chain to, besides the public
   * ones. For test stacks whose mail server has its own CA; leave unset in production.
   * @default none
   */
  readonly smtpTrustedCa?: string;
  /**
   * DNS servers (`host` or `host:port`) the admin and deliver functions resolve channel target names
   * through, instead of the system resolver: for VPC setups with their own resolvers, and for the
   * test suite's DNS stub. Every answer is still checked against the address rules.
   * @default the system resolver
   */
  readonly dnsServers?: readonly string[];
  /**
   * Disable a channel whose last `deadLetters` deliveries were all dead-lettered within `within`, with
   * no success between (like Svix's endpoint auto-disable); a `herald.channel.disabled` event says so.
   * `deadLetters: 0` never disables.
   * @default { deadLetters: 50, within: Duration.days(1) }
   */
  readonly autoDisable?: { readonly deadLetters: number; readonly within?: Duration };
  /**
   * How long `POST /v1/dead-letters/redrive` redrives within the request before the rest goes on in
   * the background (the answer is then `202` with the redrive's id and progress).
   * @default Duration.seconds(5)
   */
  readonly redriveForeground?: Duration;
  /**
   * Test stacks only: lets an event's `herald-fault` attribute crash the ingest, router or deliver
   * function at a named point (the chaos suite). Never set it on a stack that serves real traffic.
   * @default false
   */
  readonly faultInjection?: boolean;
  /**
   * Benchmark stacks only: every function logs, per invocation, the AWS requests it made by service and
   * operation (`npm run bench`). Never set it on a stack that serves real traffic.
   * @default false
   */
  readonly countRequests?: boolean;
  /**
   * Most concurrent batches (of 10) the router and the deliver function take from their queues: the
   * SQS event source's maximum concurrency, 2 to 1,000. A ceiling keeps Herald from taking the whole
   * account's Lambda concurrency in a burst; messages wait in the queue meanwhile (docs/scaling.md).
   * @default no ceiling (up to the account's concurrency)
   */
  readonly maxConcurrency?: { readonly router?: number; readonly deliver?: number };
  /**
   * Throttling of the HTTP API (ingest and admin routes): steady requests per second and burst.
   * Producers over it get `429`, and so do operators: keep it high enough for the admin API during a
   * flood (a redrive is a few requests). @default the account's API Gateway limits (10,000/s, burst 5,000)
   */
  readonly apiThrottle?: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * E-mail address subscribed to the alarm topic: it gets every alarm (dead letters, delivery
   * backlog, function errors and throttles, API 5xx) when it fires and when it recovers. SNS sends a
   * confirmation mail first; nothing arrives until the address confirms.
   * @default none (subscribe to the `AlarmTopicArn` output another way)
   */
  readonly alarmEmail?: string;
  /**
   * ARN of an existing SNS topic for the alarms (e.g. the one your on-call tooling reads) instead of a
   * topic of Herald's own. CloudWatch must be able to publish to it: a topic encrypted with KMS needs a
   * customer-managed key whose policy lets `cloudwatch.amazonaws.com` use it.
   * @default a new TLS-only topic
   */
  readonly alarmTopicArn?: string;
  /**
   * Age of the oldest delivery job at which the delivery backlog alarm fires. Keep it above the delay
   * before any channel's third attempt (SQS leaves jobs received three times out of the metric).
   * @default Duration.minutes(15)
   */
  readonly deliveryBacklogAlarmAge?: Duration;
  /**
   * CloudWatch namespace of Herald's own metrics (events accepted, deliveries by outcome, latency…),
   * which the ingest, router and deliver functions write and the dashboard graphs. Give each Herald
   * stack of an account and region its own (e.g. `Herald/prod`), or their metrics add up: the
   * `service` and `channelType` dimensions do not tell stacks apart. Letters, digits, spaces and
   * `. - _ / # :`, up to 255, not starting with `AWS/`.
   * @default 'Herald'
   */
  readonly metricsNamespace?: string;
  /**
   * The functions' log level (`POWERTOOLS_LOG_LEVEL`). At `INFO` routine success writes no line (a
   * delivered attempt, a routed event: the metrics count them and the state table records them), so
   * logs cost little per notification; `DEBUG` adds a line for each, with ids, outcome and latency.
   * Failures, retries, dead letters and warnings are logged at `INFO` and `WARN`.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Memory in MB per function (128 to 10,240), e.g. `{ deliver: 512 }`: Lambda allots CPU in proportion,
   * so more memory makes a CPU-bound function faster (rendering, signing, TLS), at a higher price per
   * millisecond. Functions: `ingest`, `authorizer`, `router`, `deliver`, `admin`, `redrive`.
   * @default 256 for each
   */
  readonly memorySize?: PerFunction<number>;
  /**
   * Timeouts of the functions SQS feeds batches to. Each queue's visibility timeout is 6 × its
   * function's timeout (AWS's advice for SQS event sources), which is also how long a batch whose
   * invocation crashed or timed out waits before it comes back. The deliver timeout must be from 21 s
   * to 119 s (within the 2-minute lease an attempt holds on its delivery, and 6 × it beyond that lease)
   * and should stay above a channel's longest attempt (`timeoutMs` up to 30 s).
   * @default { router: Duration.seconds(30), deliver: Duration.seconds(60) } (visibility 3 min and 6 min)
   */
  readonly timeout?: { readonly router?: Duration; readonly deliver?: Duration };
  /** What happens to the tables when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Provisioned, auto-scaled capacity for the state table (the one every event and delivery writes),
   * instead of on demand. For a steady load it is the cheaper mode: a write unit-hour ($0.00065 in
   * us-east-1) used at 70 % costs about $0.26 per million writes against $0.625 on demand, which takes
   * a notification from about $4.6 to $2.6 per million at one channel per event (README,
   * Benchmarks). Bursts above what is provisioned are throttled until DynamoDB scales up (minutes);
   * Herald's writes then retry (SDK retries, then SQS redelivery), so nothing is lost, but latency
   * grows: size `min` for the usual peak. The table and each index scale on their own, each index
   * between the same bounds. DynamoDB allows switching modes once a day.
   * @default on demand
   */
  readonly stateTableCapacity?: ProvisionedCapacity;
}

/**
 * Herald, the notification router: HTTP API and EventBridge bus in, policies in DynamoDB, delivery
 * with retries and dead-letter queues out. Instantiate it in any CDK stack.
 */
export class Herald extends Construct {
  readonly storage: Storage;
  readonly ingest: Ingest;
  readonly routing: Routing;
  readonly delivery: Delivery;
  readonly admin: Admin;
  /** The once-a-minute flush of digests whose period has ended. */
  readonly digests: Digests;
  /** The alarms, the SNS topic they notify and the dashboard. */
  readonly observability: Observability;
  /** Secrets Manager name prefix under which channel secrets are kept. */
  readonly secretPrefix: string;
  /** The namespace of Herald's own metrics. */
  readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: HeraldProps = {}) {
    super(scope, id);
    const configCacheTtl = props.configCacheTtl ?? Duration.seconds(30);
    const retentionDays = (props.retention ?? Duration.days(30)).toDays();
    this.secretPrefix = props.secretPrefix ?? `${Stack.of(this).stackName}/channels/`;
    this.metricsNamespace = checkMetricsNamespace(props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE);
    const secretRefs: SecretRefs = {
      secretArns: props.secretRefArns ?? [],
      kmsKeyArns: checkKmsKeyArns(this, props.secretKmsKeyArns ?? [], props.secretRefArns ?? []),
    };
    const memorySize = props.memorySize ?? {};
    const routerTimeout = props.timeout?.router ?? DEFAULT_ROUTER_TIMEOUT;
    const allowPrivateTargets = props.allowPrivateTargets ?? false;
    // The buses Herald ingests from join these once the ingest construct has made its own.
    const destinations: Omit<ChannelDestinations, 'ingestBusArns'> = {
      allowPrivateTargets,
      snsTopicArns: props.snsTopicArns ?? [],
      sesIdentities: props.sesIdentities ?? [],
      sqsQueueArns: props.sqsQueueArns ?? [],
      eventBusArns: props.eventBusArns ?? [],
      assumableRoleArns: props.assumableRoleArns ?? [],
      ...(props.smtpTrustedCa === undefined ? {} : { smtpTrustedCa: props.smtpTrustedCa }),
      dnsServers: props.dnsServers ?? [],
    };

    this.storage = new Storage(this, 'Storage', {
      ...(props.removalPolicy ? { removalPolicy: props.removalPolicy } : {}),
      ...(props.stateTableCapacity ? { stateTableCapacity: props.stateTableCapacity } : {}),
    });
    this.ingest = new Ingest(this, 'Ingest', {
      stateTable: this.storage.stateTable,
      configTable: this.storage.configTable,
      retentionDays,
      ...(props.apiKeyCacheTtl ? { apiKeyCacheTtl: props.apiKeyCacheTtl } : {}),
      ...(props.eventBusName ? { eventBusName: props.eventBusName } : {}),
      ...(props.forward ? { forward: props.forward } : {}),
      ...(props.apiThrottle ? { throttle: props.apiThrottle } : {}),
      ...(props.stageName === undefined ? {} : { stageName: props.stageName }),
      routerTimeout,
      memorySize,
    });
    const channelDestinations: ChannelDestinations = {
      ...destinations,
      ingestBusArns: [
        this.ingest.bus.eventBusArn,
        ...(props.forward === undefined
          ? []
          : [
              Stack.of(this).formatArn({
                service: 'events',
                resource: 'event-bus',
                resourceName: props.forward.eventBusName,
              }),
            ]),
      ],
    };
    this.delivery = new Delivery(this, 'Delivery', {
      ingestQueue: this.ingest.queue.queue,
      configTable: this.storage.configTable,
      stateTable: this.storage.stateTable,
      secretPrefix: this.secretPrefix,
      secretRefs,
      destinations: channelDestinations,
      configCacheTtl,
      secretCacheTtl: props.secretCacheTtl ?? Duration.minutes(5),
      retentionDays,
      autoDisable: {
        deadLetters: props.autoDisable?.deadLetters ?? 50,
        within: props.autoDisable?.within ?? Duration.days(1),
      },
      ...(props.retrySchedule ? { retrySchedule: props.retrySchedule } : {}),
      ...(props.maxConcurrency?.deliver === undefined
        ? {}
        : { maxConcurrency: props.maxConcurrency.deliver }),
      ...(props.timeout?.deliver === undefined ? {} : { timeout: props.timeout.deliver }),
      memorySize: memorySize.deliver,
    });
    this.routing = new Routing(this, 'Routing', {
      ingestQueue: this.ingest.queue,
      deliveryQueue: this.delivery.queue.queue,
      configTable: this.storage.configTable,
      stateTable: this.storage.stateTable,
      retentionDays,
      ...(props.maxConcurrency?.router === undefined ? {} : { maxConcurrency: props.maxConcurrency.router }),
      timeout: routerTimeout,
      memorySize: memorySize.router,
    });
    this.admin = new Admin(this, 'Admin', {
      api: this.ingest.api,
      configTable: this.storage.configTable,
      stateTable: this.storage.stateTable,
      deliveryQueue: this.delivery.queue.queue,
      deliveryDeadLetterQueue: this.delivery.queue.deadLetterQueue,
      ingestQueue: this.ingest.queue.queue,
      ingestDeadLetterQueue: this.ingest.queue.deadLetterQueue,
      secretPrefix: this.secretPrefix,
      secretRefs,
      destinations: channelDestinations,
      retentionDays,
      redriveForeground: props.redriveForeground ?? Duration.seconds(5),
      memorySize,
    });
    this.digests = new Digests(this, 'Digests', {
      deliveryQueue: this.delivery.queue.queue,
      stateTable: this.storage.stateTable,
      retentionDays,
      memorySize: memorySize.digest,
    });
    this.observability = new Observability(this, 'Observability', {
      apiStage: this.ingest.stage,
      ingestQueue: this.ingest.queue,
      deliveryQueue: this.delivery.queue,
      redriveQueue: this.admin.redriveQueue,
      functions: {
        ingest: this.ingest.function.fn,
        authorizer: this.ingest.authorizerFunction.fn,
        router: this.routing.function.fn,
        deliver: this.delivery.function.fn,
        admin: this.admin.function.fn,
        redrive: this.admin.redriveFunction.fn,
        digest: this.digests.function.fn,
      },
      metricsNamespace: this.metricsNamespace,
      ...(props.alarmTopicArn === undefined ? {} : { alarmTopicArn: props.alarmTopicArn }),
      ...(props.alarmEmail === undefined ? {} : { alarmEmail: props.alarmEmail }),
      ...(props.deliveryBacklogAlarmAge === undefined
        ? {}
        : { deliveryBacklogAlarmAge: props.deliveryBacklogAlarmAge }),
    });
    const everyFunction = [
      this.ingest.function,
      this.ingest.authorizerFunction,
      this.routing.function,
      this.delivery.function,
      this.admin.function,
      this.admin.redriveFunction,
      this.digests.function,
    ];
    if (props.logLevel !== undefined) {
      for (const fn of everyFunction) fn.env(ENV.logLevel, props.logLevel);
    }
    // The functions that write Herald's own metrics.
    for (const fn of [this.ingest.function, this.routing.function, this.delivery.function]) {
      fn.env(ENV.metricsNamespace, this.metricsNamespace);
    }
    if (props.faultInjection === true) {
      for (const fn of [this.ingest.function, this.routing.function, this.delivery.function]) {
        fn.env(ENV.faultInjection, 'true');
      }
    }
    if (props.countRequests === true) {
      for (const fn of everyFunction) fn.env(ENV.countRequests, 'true');
    }
  }
}

/** CloudWatch's rule for namespaces; `AWS/` is reserved for AWS's own. */
const checkMetricsNamespace = (namespace: string): string => {
  if (Token.isUnresolved(namespace)) return namespace;
  if (/^[\w.\-/#: ]{1,255}$/.test(namespace) && !namespace.startsWith('AWS/')) return namespace;
  throw new Error(
    `metricsNamespace ${JSON.stringify(namespace)}: a CloudWatch namespace is 1 to 255 letters, digits, ` +
      'spaces and . - _ / # :, not starting with AWS/',
  );
};

/**
 * The `secretKmsKeyArns` as given, once each is a key ARN: IAM authorizes `kms:Decrypt` on the key, so
 * a grant on an alias ARN would never match. Keys given without `secretRefArns` grant nothing: a warning.
 */
const checkKmsKeyArns = (
  scope: Construct,
  keyArns: readonly string[],
  secretRefArns: readonly string[],
): readonly string[] => {
  for (const arn of keyArns) {
    if (!Token.isUnresolved(arn) && !/^arn:[\w-]+:kms:[\w*-]*:(\d{12}|\*):key\/.+$/.test(arn)) {
      throw new Error(
        `secretKmsKeyArns: ${arn} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>); ` +
          'IAM grants use of a key on its key ARN, not on an alias',
      );
    }
  }
  if (keyArns.length > 0 && secretRefArns.length === 0) {
    Annotations.of(scope).addWarningV2(
      'herald:secretKmsKeyArnsUnused',
      'secretKmsKeyArns is set but secretRefArns is empty: no function reads a referenced secret, so ' +
        'no key is granted.',
    );
  }
  return keyArns;
};
