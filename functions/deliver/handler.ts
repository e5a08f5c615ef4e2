import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { ConfigRepository } from '#shared/aws/config-repository.ts';
import { DigestRepository } from '#shared/aws/digest-repository.ts';
import { processBatch, Queue, RetryLaterError } from '#shared/aws/queue.ts';
import { secretsManagerStore } from '#shared/aws/secret-store.ts';
import { StateRepository, type UnrecordedStart } from '#shared/aws/state-repository.ts';
import { CHANNEL_TAG } from '#shared/channels/record.ts';
import { createTransports } from '#shared/channels/transports/index.ts';
import { type DeliverSettings, deliverJob } from '#shared/deliver/deliver.ts';
import { DeliveryJob, type IngestMessage } from '#shared/domain/jobs.ts';
import {
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  DELIVERY_MAX_RECEIVES,
  scheduleEnv,
  visibilitySeconds,
} from '#shared/domain/retry.ts';
import { lookupFor } from '#shared/http/dns.ts';
import { ConfigGeneration } from '#shared/runtime/config-generation.ts';
import { EmfMetrics, publishMetrics } from '#shared/runtime/emf-metrics.ts';
import { boolEnv, intEnv, listEnv, optionalEnv, requireEnv } from '#shared/runtime/env.ts';
import { ENV } from '#shared/runtime/env-names.ts';
import { FAULT_ENV, faults } from '#shared/runtime/faults.ts';
import { correlated } from '#shared/runtime/log.ts';
import { METRIC, UNKNOWN_CHANNEL_TYPE } from '#shared/runtime/metrics.ts';
import { counted, countRequests } from '#shared/runtime/request-counter.ts';
import { LazyTracer, tracedTransports } from '#shared/runtime/tracing.ts';
import { TtlCache } from '#shared/runtime/ttl-cache.ts';

const logger = new Logger({ serviceName: 'herald-deliver' });
const tracer = new LazyTracer({ serviceName: 'herald-deliver', log: logger });
const metrics = new EmfMetrics(
  new Metrics({ namespace: requireEnv(ENV.metricsNamespace), serviceName: 'herald-deliver', logger }),
);
const sqs = counted(tracer.capture(new SQSClient({})));
const db = DynamoDBDocumentClient.from(counted(tracer.capture(new DynamoDBClient({}))));
const deliveryQueue = new Queue(sqs, requireEnv(ENV.deliveryQueueUrl));
const deadLetters = new Queue(sqs, requireEnv(ENV.deliveryDlqUrl));
/** Operational events go through Herald's own pipeline, like any event. */
const ingestQueue = new Queue(sqs, requireEnv(ENV.ingestQueueUrl));
const retentionSeconds = intEnv(ENV.retentionDays, 30) * 86_400;
const state = new StateRepository(db, requireEnv(ENV.stateTable), retentionSeconds);
const digests = new DigestRepository(db, requireEnv(ENV.stateTable), retentionSeconds);
const configRepository = new ConfigRepository(db, requireEnv(ENV.configTable), logger);
const channels = new TtlCache(intEnv(ENV.configCacheSeconds, 30) * 1000, (id: string) =>
  configRepository.getChannel(id),
);
const ownSecrets = secretsManagerStore(counted(tracer.capture(new SecretsManagerClient({}))));
const secretPrefix = requireEnv(ENV.secretPrefix);
const channelSecretsRoleArn = optionalEnv(ENV.channelSecretsRoleArn);
/**
 * A channel's own secret is read in a session tagged with the channel (one Secrets Manager client per
 * channel; its credentials are refreshed before they expire): IAM lets that session read only secrets
 * tagged with the same channel. Secrets the user owns (`secretRef`) are read with the function's role.
 */
const channelStores = new Map<string, ReturnType<typeof secretsManagerStore>>();
const storeFor = (channelId: string, secretId: string) => {
  const own = secretId.startsWith(secretPrefix) || secretId.includes(`:secret:${secretPrefix}`);
  if (!own || channelSecretsRoleArn === undefined) return ownSecrets;
  let store = channelStores.get(channelId);
  if (store === undefined) {
    const credentials = fromTemporaryCredentials({
      params: {
        RoleArn: channelSecretsRoleArn,
        RoleSessionName: `herald-${channelId}`.slice(0, 64),
        Tags: [{ Key: CHANNEL_TAG, Value: channelId }],
        DurationSeconds: 3600,
      },
    });
    store = secretsManagerStore(counted(tracer.capture(new SecretsManagerClient({ credentials }))));
    channelStores.set(channelId, store);
  }
  return store;
};
/** Channel secrets, read once per cache period rather than per delivery (keyed by channel and secret). */
const secrets = new TtlCache(intEnv(ENV.secretCacheSeconds, 300) * 1000, (key: string) => {
  const [channelId = '', secretId = ''] = JSON.parse(key) as [string, string];
  return storeFor(channelId, secretId).read(secretId);
});
const smtpTrustedCa = optionalEnv(ENV.smtpTrustedCa);
/** Each send is a subsegment of a traced invocation (`send http`, `send sns`…). */
const transports = tracedTransports(
  tracer,
  createTransports({
    allowPrivateTargets: boolEnv(ENV.allowPrivateTargets, false),
    lookup: lookupFor(listEnv(ENV.dnsServers)),
    ...(smtpTrustedCa === undefined ? {} : { smtpTrustedCa }),
  }),
);
/** Admin writes clear both caches within a second (SPEC §5: a fixed target is used at once). */
const generation = new ConfigGeneration(
  () => configRepository.generation(),
  () => {
    channels.clear();
    secrets.clear();
  },
);
const autoDisableAfter = intEnv(ENV.autoDisableAfter, 0);
const settings: DeliverSettings = {
  defaultSchedule: scheduleEnv(ENV.retrySchedule, DEFAULT_RETRY_SCHEDULE_SECONDS),
  ...(autoDisableAfter > 0
    ? {
        autoDisable: {
          deadLetters: autoDisableAfter,
          withinSeconds: intEnv(ENV.autoDisableWithinSeconds, 86_400),
        },
      }
    : {}),
};

const faultInjection = boolEnv(FAULT_ENV, false);

const refOf = (job: DeliveryJob) => ({
  deliveryId: job.deliveryId,
  channelId: job.channelId,
  eventType: job.event.type,
});

const deliverRecord = async (record: SQSRecord): Promise<void> => {
  let job: DeliveryJob;
  try {
    job = DeliveryJob.parse(JSON.parse(record.body));
  } catch {
    logger.warn('invalid delivery job dead-lettered', { messageId: record.messageId });
    await deadLetters.sendWithReason(record.body, 'invalid delivery job');
    return;
  }
  const log = correlated(logger, job.deliveryId);
  // One receive before the queue's own redrive would move it without a record: Herald marks it dead.
  if (Number(record.attributes.ApproximateReceiveCount) >= DELIVERY_MAX_RECEIVES - 1) {
    const reason = `the delivery queue received this job ${record.attributes.ApproximateReceiveCount} times without finishing it`;
    // The job may never have got as far as writing a record: this one creates it, no attempt counted.
    const now = new Date();
    await state.markDead(refOf(job), reason, JSON.stringify(job), now, {
      eventId: job.event.id,
      startedAt: now,
      attempted: false,
    });
    const channelType = await channels.get(job.channelId).then(
      (channel) => channel?.type ?? UNKNOWN_CHANNEL_TYPE,
      () => UNKNOWN_CHANNEL_TYPE,
    );
    metrics.count(METRIC.deliveryDeadLettered, { channelType });
    log.warn('delivery dead-lettered', {
      deliveryId: job.deliveryId,
      channelId: job.channelId,
      eventId: job.event.id,
      reason,
    });
    return;
  }
  await generation.sync();
  // A first attempt writes nothing when it begins: the write of its outcome creates the record.
  let unrecorded: UnrecordedStart | undefined;
  /** The channel as deliverJob read it (before it begins the attempt). */
  let loadedChannel: Awaited<ReturnType<typeof channels.get>>;
  const result = await deliverJob(
    job,
    {
      rateSlots: {
        take: (channelId, intervalMs, now) => state.takeRateSlot(channelId, intervalMs, now),
        kept: (deliveryId) => state.keptRateSlot(deliveryId),
        keep: (deliveryId, slot) => state.keepRateSlot(deliveryId, slot),
      },
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      giveBackAttempt: async (deliveryId, slot) => {
        // Nothing was counted for an unrecorded attempt: only the slot is kept.
        if (unrecorded === undefined) await state.giveBackAttempt(deliveryId, slot);
        else await state.keepRateSlot(deliveryId, slot);
        unrecorded = undefined;
      },
      beginAttempt: async (deliveryId, refs, now) => {
        // The first attempt writes its record (and takes the lease) before it sends when a copy of the
        // job may be about: the message came back, or a routing that ran before queued it too; and to
        // a channel that collects digests, so that a router adding the same notification to a digest
        // meanwhile finds it taken (never both).
        const start = await state.beginAttempt(deliveryId, refs, now, {
          writeFirst:
            loadedChannel?.digest !== undefined ||
            job.again === true ||
            Number(record.attributes.ApproximateReceiveCount) > 1,
        });
        unrecorded =
          start.kind === 'started' && start.fresh ? { eventId: refs.eventId, startedAt: now } : undefined;
        return start;
      },
      scheduleNext: (_deliveryId, notBefore) =>
        state.scheduleNext(refOf(job), notBefore, new Date(), unrecorded),
      recordAttempt: (attempt, now) => state.recordAttempt(attempt, now),
      markDelivered: (_deliveryId, now, attempt) => state.markDelivered(refOf(job), now, attempt, unrecorded),
      markDead: (deadJob, reason, now) =>
        state.markDead(refOf(deadJob), reason, JSON.stringify(deadJob), now, unrecorded),
      channel: async (id) => {
        loadedChannel = await channels.get(id);
        return loadedChannel;
      },
      readSecret: (secretId) => secrets.get(JSON.stringify([job.channelId, secretId])),
      transports,
      disableChannel: async (id, reason, at) => {
        const changed = await configRepository.disableChannel(id, reason, at);
        channels.invalidate(id);
        return changed;
      },
      closeAndReadDigest: async (digestId, now) => {
        await digests.close(digestId, now);
        return digests.entries(digestId);
      },
      deadInARow: (channelId, withinSeconds, limit, now) =>
        state.deadInARow(channelId, withinSeconds, limit, now),
      faults: faults(faultInjection, record.attributes.ApproximateReceiveCount === '1'),
      emit: async (operational) => {
        const message: IngestMessage = { kind: 'herald.event', event: operational };
        const failed = await ingestQueue.sendAll([{ key: operational.id, body: JSON.stringify(message) }]);
        if (failed.length > 0) throw new Error(`operational event ${operational.id} was not queued`);
      },
      logger: log,
      metrics,
    },
    settings,
  );
  if (result.kind === 'retry' || result.kind === 'wait') {
    // SQS hides a message for at most 12 h: a longer wait comes back early, finds its `notBefore`
    // still ahead and hides again, so the attempt happens at the asked time.
    await deliveryQueue.delay(record.receiptHandle, visibilitySeconds(result.delaySeconds));
    throw new RetryLaterError(`delivery ${job.deliveryId} comes back in ${result.delaySeconds}s`);
  }
};

const handle = (event: SQSEvent) => processBatch(event, deliverRecord, logger);

export const handler = middy(handle)
  .use(tracer.middleware())
  .use(injectLambdaContext(logger))
  .use(publishMetrics(metrics))
  .use(countRequests(logger));
