import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { DigestRepository } from '#shared/aws/digest-repository.ts';
import { Queue } from '#shared/aws/queue.ts';
import { DigestFlusher } from '#shared/digest/flush.ts';
import { intEnv, requireEnv } from '#shared/runtime/env.ts';
import { ENV } from '#shared/runtime/env-names.ts';
import { counted, countRequests } from '#shared/runtime/request-counter.ts';
import { LazyTracer } from '#shared/runtime/tracing.ts';

const logger = new Logger({ serviceName: 'herald-digest' });
const tracer = new LazyTracer({ serviceName: 'herald-digest', log: logger });
const sqs = counted(tracer.capture(new SQSClient({})));
const db = DynamoDBDocumentClient.from(counted(tracer.capture(new DynamoDBClient({}))));
const flusher = new DigestFlusher(
  new DigestRepository(db, requireEnv(ENV.stateTable), intEnv(ENV.retentionDays, 30) * 86_400),
  new Queue(sqs, requireEnv(ENV.deliveryQueueUrl)),
);

/**
 * Once a minute (a scheduled rule): queues one delivery job for every digest whose period has ended.
 * One index query when nothing is due, whatever the number of channels. A run that fails is simply the
 * next minute's to finish (the flush is idempotent).
 */
const handle = async (): Promise<void> => {
  const { flushed, failed } = await flusher.flushDue(new Date());
  if (flushed.length > 0 || failed.length > 0) {
    logger.info('digests flushed', { flushed: flushed.length, failed: failed.length });
  }
  if (failed.length > 0)
    throw new Error(`${failed.length} digests could not be queued; the next run retries`);
};

export const handler = middy(handle)
  .use(tracer.middleware())
  .use(injectLambdaContext(logger))
  .use(countRequests(logger));
