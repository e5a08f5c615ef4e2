import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { Queue } from '#shared/aws/queue.ts';
import { StateRepository } from '#shared/aws/state-repository.ts';
import { newEventId } from '#shared/domain/ids.ts';
import { httpErrors, json, requestBody, requestHeader } from '#shared/http/api.ts';
import { acceptEvents, parseIngestRequest } from '#shared/ingest/ingest.ts';
import { assertInScope, readScopeContext } from '#shared/ingest/scope.ts';
import { EmfMetrics, publishMetrics } from '#shared/runtime/emf-metrics.ts';
import { boolEnv, intEnv, requireEnv } from '#shared/runtime/env.ts';
import { ENV } from '#shared/runtime/env-names.ts';
import { FAULT_ENV, faults } from '#shared/runtime/faults.ts';
import { METRIC } from '#shared/runtime/metrics.ts';
import { counted, countRequests } from '#shared/runtime/request-counter.ts';
import { LazyTracer } from '#shared/runtime/tracing.ts';

const logger = new Logger({ serviceName: 'herald-ingest' });
const tracer = new LazyTracer({ serviceName: 'herald-ingest', log: logger });
const metrics = new EmfMetrics(
  new Metrics({ namespace: requireEnv(ENV.metricsNamespace), serviceName: 'herald-ingest', logger }),
);
const queue = new Queue(counted(tracer.capture(new SQSClient({}))), requireEnv(ENV.ingestQueueUrl));
const state = new StateRepository(
  DynamoDBDocumentClient.from(counted(tracer.capture(new DynamoDBClient({})))),
  requireEnv(ENV.stateTable),
  intEnv(ENV.retentionDays, 30) * 86_400,
);

const faultInjection = boolEnv(FAULT_ENV, false);

/** What the API key authorizer passed on (absent on the IAM route). */
const authorizerContext = (event: APIGatewayProxyEventV2): Record<string, unknown> => {
  const context = (event.requestContext as { authorizer?: { lambda?: Record<string, unknown> } }).authorizer;
  return context?.lambda ?? {};
};

const handle = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const inputs = parseIngestRequest({
    contentType: requestHeader(event, 'content-type'),
    body: requestBody(event),
  });
  // A scoped API key (the authorizer passes its scope on) may only send events inside it.
  assertInScope(inputs, readScopeContext(authorizerContext(event).scope));
  const accepted = await acceptEvents(
    inputs,
    {
      claimEvent: (heraldEvent, now) => state.claimEvent(heraldEvent, now),
      releaseEvent: (eventId) => state.releaseEvent(eventId),
      enqueue: (entries) => queue.sendAll(entries),
      faults: faults(faultInjection, true),
    },
    new Date(),
    newEventId,
  );
  const duplicates = accepted.filter((item) => item.duplicate).length;
  metrics.count(METRIC.eventsAccepted, { value: accepted.length - duplicates });
  // One line per request: its events' ids (at most 100), and the one event's id as correlation id.
  logger.info('events accepted', {
    ...(accepted.length === 1 ? { correlationId: accepted[0]?.id } : {}),
    count: accepted.length,
    duplicates,
    eventIds: accepted.map((item) => item.id),
  });
  return json(202, { events: accepted });
};

export const handler = middy(handle)
  .use(tracer.middleware())
  .use(injectLambdaContext(logger))
  .use(publishMetrics(metrics))
  .use(httpErrors(logger))
  .use(countRequests(logger));
