import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { ConfigRepository } from '#shared/aws/config-repository.ts';
import { ConfigSnapshotStore } from '#shared/aws/config-snapshots.ts';
import { DigestRepository } from '#shared/aws/digest-repository.ts';
import { CoalescingSender, processBatch, Queue } from '#shared/aws/queue.ts';
import { StateRepository } from '#shared/aws/state-repository.ts';
import { collectIntoDigest } from '#shared/digest/collect.ts';
import { newEventId } from '#shared/domain/ids.ts';
import { PolicyIndex } from '#shared/domain/policy-index.ts';
import { countRouting } from '#shared/route/route-metrics.ts';
import { readIngestRecord, routeEvent, UnroutableMessageError } from '#shared/route/router.ts';
import { EmfMetrics, publishMetrics } from '#shared/runtime/emf-metrics.ts';
import { boolEnv, intEnv, optionalEnv, requireEnv } from '#shared/runtime/env.ts';
import { ENV } from '#shared/runtime/env-names.ts';
import { FAULT_ENV, faults } from '#shared/runtime/faults.ts';
import { LiveConfig } from '#shared/runtime/live-config.ts';
import { correlated } from '#shared/runtime/log.ts';
import { UNKNOWN_CHANNEL_TYPE } from '#shared/runtime/metrics.ts';
import { counted, countRequests } from '#shared/runtime/request-counter.ts';
import { LazyTracer } from '#shared/runtime/tracing.ts';

const logger = new Logger({ serviceName: 'herald-router' });
const tracer = new LazyTracer({ serviceName: 'herald-router', log: logger });
const metrics = new EmfMetrics(
  new Metrics({ namespace: requireEnv(ENV.metricsNamespace), serviceName: 'herald-router', logger }),
);
const sqs = counted(tracer.capture(new SQSClient({})));
const db = DynamoDBDocumentClient.from(counted(tracer.capture(new DynamoDBClient({}))));
const deliveryQueue = new Queue(sqs, requireEnv(ENV.deliveryQueueUrl));
/** The records of a batch are routed at once; their jobs share `SendMessageBatch` requests. */
const deliveryJobs = new CoalescingSender(deliveryQueue);
const ingestDeadLetters = new Queue(sqs, requireEnv(ENV.ingestDlqUrl));
const retentionSeconds = intEnv(ENV.retentionDays, 30) * 86_400;
const state = new StateRepository(db, requireEnv(ENV.stateTable), retentionSeconds);
const digests = new DigestRepository(db, requireEnv(ENV.stateTable), retentionSeconds);
const configTable = requireEnv(ENV.configTable);
const configRepository = new ConfigRepository(db, configTable, logger);
/**
 * Policies, channels and silences, read whole on a cold start and indexed; after that the generation
 * is read once a second and only what an admin write changed is read again (SPEC §5: a new policy
 * routes at once), so a change costs a few small reads whatever the number of policies. Each
 * channel's type names the metrics of what was routed to it; a channel's `digest` sends what is routed
 * to it into its digest. A cold start begins from the snapshot another router's full read left (and
 * the changes logged since), so it reads about a megabyte for 100,000 policies instead of every record.
 */
const config = new LiveConfig(
  configRepository,
  (policies, channels, silences) => ({
    index: new PolicyIndex(policies, channels),
    channelTypes: new Map(channels.map((channel) => [channel.id, channel.type])),
    digests: new Map(
      channels.flatMap((channel) =>
        channel.digest === undefined ? [] : [[channel.id, channel.digest] as const],
      ),
    ),
    silences,
  }),
  {
    snapshots: new ConfigSnapshotStore(db, configTable, logger, optionalEnv(ENV.codeHash)),
    // Once per cold start and per full read (every 15 minutes or so): how the config was loaded.
    onLoad: (load) => logger.info('config loaded', { ...load }),
  },
);

const faultInjection = boolEnv(FAULT_ENV, false);

const routeRecord = async (record: SQSRecord): Promise<void> => {
  const now = new Date();
  let message: ReturnType<typeof readIngestRecord>;
  try {
    message = readIngestRecord(record.body, now, newEventId);
  } catch (error) {
    if (!(error instanceof UnroutableMessageError)) throw error;
    logger.warn('unroutable message dead-lettered', { messageId: record.messageId, reason: error.message });
    await ingestDeadLetters.sendWithReason(record.body, error.message);
    return;
  }
  const log = correlated(logger, message.event.id);
  /** The config the event was routed with, if it was (a duplicate reads none). */
  let routedWith: Awaited<ReturnType<typeof config.get>> | undefined;
  const result = await routeEvent(
    message.event,
    {
      claimEvent: (heraldEvent, at) => state.claimEvent(heraldEvent, at),
      markRouted: (eventId, deliveries) => state.markRouted(eventId, deliveries),
      claimDedup: (slot, at) => state.claimDedup(slot, at),
      recordSuppressed: (delivery, at, reason) => state.recordSuppressed(delivery, at, reason),
      config: async () => {
        routedWith = await config.get();
        return routedWith.index;
      },
      silences: async () => (routedWith ?? (await config.get())).silences,
      digestOf: (channelId) => routedWith?.digests.get(channelId),
      addToDigest: (notification, at) => collectIntoDigest(digests, notification, at),
      enqueue: (entries) => deliveryJobs.sendAll(entries),
      faults: faults(faultInjection, record.attributes.ApproximateReceiveCount === '1'),
      logger: log,
    },
    now,
    message.acceptedAt,
    { again: Number(record.attributes.ApproximateReceiveCount) > 1 },
  );
  countRouting(
    metrics,
    message,
    result,
    (channelId) => routedWith?.channelTypes.get(channelId) ?? UNKNOWN_CHANNEL_TYPE,
  );
};

const handle = async (event: SQSEvent) => {
  const result = await processBatch(event, routeRecord, logger);
  // A full read of the config saves a snapshot for other routers' cold starts after the batch is routed.
  await config.settled();
  return result;
};

export const handler = middy(handle)
  .use(tracer.middleware())
  .use(injectLambdaContext(logger))
  .use(publishMetrics(metrics))
  .use(countRequests(logger));
