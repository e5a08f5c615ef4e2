import { Annotations, Duration, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { ArnPrincipal, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONFIG_KINDS, STATE_PREFIXES } from '../../shared/aws/partitions.ts';
import { CHANNEL_TAG, MAX_TIMEOUT_MS } from '../../shared/channels/record.ts';
import { DELIVERY_MAX_RECEIVES, DELIVERY_QUEUE_RETENTION_SECONDS } from '../../shared/domain/retry.ts';
import { ENV } from '../../shared/runtime/env-names.ts';
import { functionEntry } from '../paths.ts';
import {
  type ChannelDestinations,
  HeraldFunction,
  type SecretRefs,
  wildcardResourceFinding,
} from './herald-function.ts';
import { QueueWithDlq, VISIBILITY_TIMEOUT_FACTOR } from './queues.ts';

/** The default for {@link DeliveryProps.timeout}. */
export const DEFAULT_DELIVER_TIMEOUT = Duration.seconds(60);

/**
 * How long one attempt holds its delivery against a second copy of its job: `ATTEMPT_LEASE_SECONDS` in
 * `shared/aws/state-repository.ts`, which infra does not import (it loads the AWS SDK); an infra test
 * checks that the two agree.
 */
export const ATTEMPT_LEASE = Duration.seconds(120);

export interface DeliveryProps {
  /** Where operational events go: through Herald's own pipeline. */
  readonly ingestQueue: IQueue;
  readonly configTable: ITableV2;
  readonly stateTable: ITableV2;
  /** Channel secrets live under this Secrets Manager name prefix. */
  readonly secretPrefix: string;
  /** Existing secrets that channels may reference with `secretRef`, and their KMS keys. */
  readonly secretRefs: SecretRefs;
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
  /**
   * The deliver function's timeout, which the delivery queue's visibility timeout derives from: shorter
   * than the attempt lease (2 min), and more than a sixth of it.
   * @default DEFAULT_DELIVER_TIMEOUT (60 s)
   */
  readonly timeout?: Duration;
  /** The deliver function's memory in MB. @default 256 */
  readonly memorySize?: number;
}

/** Delivery: the delivery queue (retries ride on its visibility), its dead-letter queue and the deliver function. */
export class Delivery extends Construct {
  readonly queue: QueueWithDlq;
  readonly function: HeraldFunction;
  /** Reads one channel's secret, assumed by the deliver function per channel (session tag). */
  readonly channelSecretsRole: Role;

  constructor(scope: Construct, id: string, props: DeliveryProps) {
    super(scope, id);
    const timeout = props.timeout ?? DEFAULT_DELIVER_TIMEOUT;
    this.checkTimeout(timeout);
    this.queue = new QueueWithDlq(this, 'DeliveryQueue', {
      consumerTimeout: timeout,
      // Herald, not SQS, decides when a delivery is dead (see DELIVERY_MAX_RECEIVES).
      maxReceiveCount: DELIVERY_MAX_RECEIVES,
      // A channel's whole retry schedule must fit in 13 days (checked when it is saved): SQS's longest.
      retentionPeriod: Duration.seconds(DELIVERY_QUEUE_RETENTION_SECONDS),
    });

    this.function = new HeraldFunction(this, 'DeliverFunction', {
      entry: functionEntry('deliver'),
      description: 'Herald deliver: sends one event to one channel, with retries',
      timeout,
      memorySize: props.memorySize,
      sendsDigests: true,
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

    this.function.bindSecrets(props.secretPrefix, 'refs-only', props.secretRefs);
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
    this.queue.feed(this.function, {
      batchSize: 10,
      ...(props.maxConcurrency === undefined ? {} : { maxConcurrency: props.maxConcurrency }),
    });
  }

  /**
   * The deliver timeout must end an attempt before its lease does (or a second copy of the job could
   * send beside it), and the visibility timeout derived from it must outlast the lease (or a job whose
   * attempt crashed comes back while the lease still holds it, and spends a receive waiting).
   */
  private checkTimeout(timeout: Duration): void {
    const seconds = timeout.toSeconds();
    const lease = ATTEMPT_LEASE.toSeconds();
    if (seconds >= lease || seconds * VISIBILITY_TIMEOUT_FACTOR <= lease) {
      throw new Error(
        `${this.node.path}: the deliver timeout (${timeout.toHumanString()}) must be shorter than the ` +
          `attempt lease (${lease} s) and more than a sixth of it: from ${Math.floor(lease / VISIBILITY_TIMEOUT_FACTOR) + 1} ` +
          `to ${lease - 1} s`,
      );
    }
    if (seconds * 1000 <= MAX_TIMEOUT_MS) {
      Annotations.of(this).addWarningV2(
        'herald:deliverTimeout',
        `The deliver timeout (${timeout.toHumanString()}) is not longer than a channel's longest ` +
          `attempt (timeoutMs up to ${MAX_TIMEOUT_MS / 1000} s): an attempt that waits that long can ` +
          'time the function out, and its batch then comes back only after the visibility timeout.',
      );
    }
  }
}
