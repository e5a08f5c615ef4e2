import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FAULT_ENV } from '../shared/runtime/faults.ts';
import { COUNT_REQUESTS_ENV } from '../shared/runtime/request-counter.ts';
import { Admin } from './constructs/admin.ts';
import { Delivery } from './constructs/delivery.ts';
import type { ChannelDestinations } from './constructs/herald-function.ts';
import { type ForwardRule, Ingest } from './constructs/ingest.ts';
import { Routing } from './constructs/routing.ts';
import { Storage } from './constructs/storage.ts';

export interface HeraldProps {
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
  /** What happens to the tables when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
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
  /** Secrets Manager name prefix under which channel secrets are kept. */
  readonly secretPrefix: string;

  constructor(scope: Construct, id: string, props: HeraldProps = {}) {
    super(scope, id);
    const configCacheTtl = props.configCacheTtl ?? Duration.seconds(30);
    const retentionDays = (props.retention ?? Duration.days(30)).toDays();
    this.secretPrefix = props.secretPrefix ?? `${Stack.of(this).stackName}/channels/`;
    const secretRefArns = props.secretRefArns ?? [];
    const allowPrivateTargets = props.allowPrivateTargets ?? false;
    const destinations: ChannelDestinations = {
      allowPrivateTargets,
      snsTopicArns: props.snsTopicArns ?? [],
      sesIdentities: props.sesIdentities ?? [],
      ...(props.smtpTrustedCa === undefined ? {} : { smtpTrustedCa: props.smtpTrustedCa }),
      dnsServers: props.dnsServers ?? [],
    };

    this.storage = new Storage(
      this,
      'Storage',
      props.removalPolicy ? { removalPolicy: props.removalPolicy } : {},
    );
    this.ingest = new Ingest(this, 'Ingest', {
      stateTable: this.storage.stateTable,
      configTable: this.storage.configTable,
      retentionDays,
      ...(props.apiKeyCacheTtl ? { apiKeyCacheTtl: props.apiKeyCacheTtl } : {}),
      ...(props.eventBusName ? { eventBusName: props.eventBusName } : {}),
      ...(props.forward ? { forward: props.forward } : {}),
    });
    this.delivery = new Delivery(this, 'Delivery', {
      ingestQueue: this.ingest.queue.queue,
      configTable: this.storage.configTable,
      stateTable: this.storage.stateTable,
      secretPrefix: this.secretPrefix,
      secretRefArns,
      destinations,
      configCacheTtl,
      secretCacheTtl: props.secretCacheTtl ?? Duration.minutes(5),
      retentionDays,
      autoDisable: {
        deadLetters: props.autoDisable?.deadLetters ?? 50,
        within: props.autoDisable?.within ?? Duration.days(1),
      },
      ...(props.retrySchedule ? { retrySchedule: props.retrySchedule } : {}),
    });
    this.routing = new Routing(this, 'Routing', {
      ingestQueue: this.ingest.queue.queue,
      ingestDeadLetterQueue: this.ingest.queue.deadLetterQueue,
      deliveryQueue: this.delivery.queue.queue,
      configTable: this.storage.configTable,
      stateTable: this.storage.stateTable,
      configCacheTtl,
      retentionDays,
    });
    this.admin = new Admin(this, 'Admin', {
      api: this.ingest.api,
      configTable: this.storage.configTable,
      stateTable: this.storage.stateTable,
      deliveryQueue: this.delivery.queue.queue,
      deliveryDeadLetterQueue: this.delivery.queue.deadLetterQueue,
      secretPrefix: this.secretPrefix,
      secretRefArns,
      destinations,
      retentionDays,
      redriveForeground: props.redriveForeground ?? Duration.seconds(5),
    });
    if (props.faultInjection === true) {
      for (const fn of [this.ingest.function, this.routing.function, this.delivery.function]) {
        fn.env(FAULT_ENV, 'true');
      }
    }
    if (props.countRequests === true) {
      for (const fn of [
        this.ingest.function,
        this.ingest.authorizerFunction,
        this.routing.function,
        this.delivery.function,
        this.admin.function,
        this.admin.redriveFunction,
      ]) {
        fn.env(COUNT_REQUESTS_ENV, 'true');
      }
    }
  }
}
