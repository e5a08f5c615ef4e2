import { Duration, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { ArnPrincipal, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONFIG_KINDS, STATE_PREFIXES } from '../../shared/aws/partitions.ts';
import { CHANNEL_TAG } from '../../shared/channels/record.ts';
import { DELIVERY_MAX_RECEIVES, DELIVERY_QUEUE_RETENTION_SECONDS } from '../../shared/domain/retry.ts';
import { ENV } from '../../shared/runtime/env-names.ts';
import { functionEntry } from '../paths.ts';
import { type ChannelDestinations, HeraldFunction, wildcardResourceFinding } from './herald-function.ts';
import { QueueWithDlq, SQS_EVENT_SOURCE_FAILURES } from './queues.ts';

export interface DeliveryProps {
  /** Where operational events go: through Herald's own pipeline. */
  readonly ingestQueue: IQueue;
  readonly configTable: ITableV2;
  readonly stateTable: ITableV2;
  /** Channel secrets live under this Secrets Manager name prefix. */
  readonly secretPrefix: string;
  /** ARNs (patterns allowed) of existing secrets that channels may reference with `secretRef`. */
  readonly secretRefArns: readonly string[];
  /** Default retry schedule; entry n is the delay before attempt n + 1. */
  readonly retrySchedule?: readonly Duration[];
  /** Where channels may send: private targets, SNS topics, SES identities, extra SMTP CAs. */
  readonly destinations: ChannelDestinations;
  readonly configCacheTtl: Duration;
  readonly secretCacheTtl: Duration;
  readonly retentionDays: number;
  /** Disable a channel after this many dead letters in a row within `within` (0: never). */
  readonly autoDisable: { readonly deadLetters: number; readonly within: Duration };
  /** Most concurrent batches taken from the delivery queue. @default no ceiling */
  readonly maxConcurrency?: number;
}

/** Delivery: the delivery queue (retries ride on its visibility), its dead-letter queue and the deliver function. */
export class Delivery extends Construct {
  readonly queue: QueueWithDlq;
  readonly function: HeraldFunction;
  /** Reads one channel's secret, assumed by the deliver function per channel (session tag). */
  readonly channelSecretsRole: Role;

  constructor(scope: Construct, id: string, props: DeliveryProps) {
    super(scope, id);
    const timeout = Duration.seconds(60);
    this.queue = new QueueWithDlq(this, 'DeliveryQueue', {
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 3),
      // Herald, not SQS, decides when a delivery is dead (see DELIVERY_MAX_RECEIVES).
      maxReceiveCount: DELIVERY_MAX_RECEIVES,
      // A channel's whole retry schedule must fit in 13 days (checked when it is saved): SQS's longest.
      retentionPeriod: Duration.seconds(DELIVERY_QUEUE_RETENTION_SECONDS),
    });

    this.function = new HeraldFunction(this, 'DeliverFunction', {
      entry: functionEntry('deliver'),
      description: 'Herald deliver: sends one event to one channel, with retries',
      timeout,
      environment: {
        [ENV.configCacheSeconds]: String(props.configCacheTtl.toSeconds()),
        [ENV.secretCacheSeconds]: String(props.secretCacheTtl.toSeconds()),
        [ENV.retentionDays]: String(props.retentionDays),
        [ENV.autoDisableAfter]: String(props.autoDisable.deadLetters),
        [ENV.autoDisableWithinSeconds]: String(props.autoDisable.within.toSeconds()),
        ...(props.retrySchedule === undefined
          ? {}
          : { [ENV.retrySchedule]: props.retrySchedule.map((step) => step.toSeconds()).join(',') }),
      },
    })
      // Channels (read, and disabled when gone) and the config generation; never policies or API keys.
      .bindTableItems(ENV.configTable, props.configTable, {
        write: [CONFIG_KINDS.channel, CONFIG_KINDS.meta],
      })
      // Deliveries, their attempts and kept jobs, rate-limit schedules; the status indexes for the
      // auto-disable count.
      .bindTableItems(ENV.stateTable, props.stateTable, {
        write: [`${STATE_PREFIXES.delivery}*`, `${STATE_PREFIXES.rate}*`],
        indexReads: true,
      })
      .bindQueueSender(ENV.deliveryDlqUrl, this.queue.deadLetterQueue)
      .bindQueueSender(ENV.ingestQueueUrl, props.ingestQueue)
      .env(ENV.deliveryQueueUrl, this.queue.queue.queueUrl);

    this.function.bindSecrets(props.secretPrefix, 'refs-only', props.secretRefArns);
    // A channel's own secret is read through this role, assumed per channel with the session tag
    // `herald-channel = <id>`: it may read only secrets carrying the same tag, so a delivery to one
    // channel cannot read another channel's secret, whatever the code asks for.
    const deliverRole = this.function.fn.role;
    if (deliverRole === undefined) throw new Error('the deliver function has no role');
    this.channelSecretsRole = new Role(this, 'ChannelSecretsRole', {
      description: "Herald deliver: reads one channel's secret, in a session tagged with that channel",
      assumedBy: new ArnPrincipal(deliverRole.roleArn).withSessionTags(),
      maxSessionDuration: Duration.hours(1),
    });
    const channelSecrets = HeraldFunction.secretArnPattern(this, props.secretPrefix);
    Validations.of(this.channelSecretsRole).acknowledge({
      id: wildcardResourceFinding(this, channelSecrets),
      reason:
        "Channel secrets are created at run time under Herald's name prefix, with random ARN suffixes; " +
        "the statement's tag condition narrows it to the one channel the session is tagged with.",
    });
    this.channelSecretsRole.addToPolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [channelSecrets],
        conditions: {
          StringEquals: {
            [`secretsmanager:ResourceTag/${CHANNEL_TAG}`]: `\${aws:PrincipalTag/${CHANNEL_TAG}}`,
          },
        },
      }),
    );
    this.function.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['sts:AssumeRole', 'sts:TagSession'],
        resources: [this.channelSecretsRole.roleArn],
      }),
    );
    this.function.env(ENV.channelSecretsRoleArn, this.channelSecretsRole.roleArn);
    this.function.bindDestinations(props.destinations);
    this.function.fn.addEventSource(
      new SqsEventSource(this.queue.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        ...(props.maxConcurrency === undefined ? {} : { maxConcurrency: props.maxConcurrency }),
      }),
    );
    Validations.of(this.function).acknowledge(SQS_EVENT_SOURCE_FAILURES);
  }
}
