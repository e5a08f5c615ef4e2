import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { Redriver } from '#shared/admin/redrive.ts';
import { processBatch, Queue } from '#shared/aws/queue.ts';
import { StateRepository } from '#shared/aws/state-repository.ts';
import { intEnv, requireEnv } from '#shared/runtime/env.ts';
import { ENV } from '#shared/runtime/env-names.ts';
import { lazySchema } from '#shared/runtime/lazy-schema.ts';
import { counted, countRequests } from '#shared/runtime/request-counter.ts';
import { LazyTracer } from '#shared/runtime/tracing.ts';

/** How long one invocation redrives before it hands the rest to the next (the timeout is 60 s). */
const RUN_MILLISECONDS = 40_000;

const logger = new Logger({ serviceName: 'herald-redrive' });
const tracer = new LazyTracer({ serviceName: 'herald-redrive', log: logger });
const sqs = counted(tracer.capture(new SQSClient({})));
const db = DynamoDBDocumentClient.from(counted(tracer.capture(new DynamoDBClient({}))));
const state = new StateRepository(db, requireEnv(ENV.stateTable), intEnv(ENV.retentionDays, 30) * 86_400);
const redriveQueue = new Queue(sqs, requireEnv(ENV.redriveQueueUrl));
const redriver = new Redriver({ state, deliveryQueue: new Queue(sqs, requireEnv(ENV.deliveryQueueUrl)) });

const Continuation = lazySchema(() => z.object({ redriveId: z.string().min(1) }));

/** Goes on with a redrive that outlasted its admin request, and hands on what is left. */
const continueRedrive = async (record: SQSRecord): Promise<void> => {
  const { redriveId } = Continuation.parse(JSON.parse(record.body));
  const task = await state.getRedrive(redriveId);
  if (task === undefined || task.status === 'done') return;
  const { task: after, continues } = await redriver.run(task, Date.now() + RUN_MILLISECONDS);
  logger.info('redrive progress', {
    redriveId,
    status: after.status,
    redriven: after.redriven,
    skipped: after.skipped,
  });
  if (continues) {
    const failed = await redriveQueue.sendAll([{ key: redriveId, body: record.body }]);
    if (failed.length > 0) throw new Error(`redrive ${redriveId} could not be handed on`);
  }
};

export const handler = middy((event: SQSEvent) => processBatch(event, continueRedrive, logger))
  .use(tracer.middleware())
  .use(injectLambdaContext(logger))
  .use(countRequests(logger));
