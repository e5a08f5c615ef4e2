import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ActivityAdmin } from '#shared/admin/activity.ts';
import { adminRoutes, dispatch } from '#shared/admin/api.ts';
import { ApiKeyAdmin } from '#shared/admin/api-keys.ts';
import { AuditLog, principalOf } from '#shared/admin/audit.ts';
import { ChannelAdmin } from '#shared/admin/channels.ts';
import { DeadLetterQueueAdmin, IngestDeadLetterAdmin } from '#shared/admin/dead-letter-queue.ts';
import { DeadLetterAdmin } from '#shared/admin/dead-letters.ts';
import { PolicyAdmin } from '#shared/admin/policies.ts';
import { Redriver } from '#shared/admin/redrive.ts';
import type { AdminRequest } from '#shared/admin/request.ts';
import { SilenceAdmin } from '#shared/admin/silences.ts';
import { AuditRepository } from '#shared/aws/audit-repository.ts';
import { ConfigRepository } from '#shared/aws/config-repository.ts';
import { DigestRepository } from '#shared/aws/digest-repository.ts';
import { HeldMessages } from '#shared/aws/held-messages.ts';
import { Queue } from '#shared/aws/queue.ts';
import { secretsManagerStore } from '#shared/aws/secret-store.ts';
import { StateRepository } from '#shared/aws/state-repository.ts';
import { createTransports } from '#shared/channels/transports/index.ts';
import { DigestFlusher } from '#shared/digest/flush.ts';
import { httpErrors, requestBody } from '#shared/http/api.ts';
import { lookupFor } from '#shared/http/dns.ts';
import { boolEnv, intEnv, listEnv, optionalEnv, requireEnv } from '#shared/runtime/env.ts';
import { ENV } from '#shared/runtime/env-names.ts';
import { counted, countRequests } from '#shared/runtime/request-counter.ts';
import { LazyTracer, tracedTransports } from '#shared/runtime/tracing.ts';

const logger = new Logger({ serviceName: 'herald-admin' });
const tracer = new LazyTracer({ serviceName: 'herald-admin', log: logger });
const db = DynamoDBDocumentClient.from(counted(tracer.capture(new DynamoDBClient({}))));
const sqs = counted(tracer.capture(new SQSClient({})));
const config = new ConfigRepository(db, requireEnv(ENV.configTable), logger);
const stateTableName = requireEnv(ENV.stateTable);
const retentionSeconds = intEnv(ENV.retentionDays, 30) * 86_400;
const state = new StateRepository(db, stateTableName, retentionSeconds);
/** Every admin write and secret read, recorded around the route table (see `AuditLog.record`). */
const auditLog = new AuditLog({
  repository: new AuditRepository(db, stateTableName, retentionSeconds),
  log: logger,
});
const secrets = secretsManagerStore(counted(tracer.capture(new SecretsManagerClient({}))));
const allowPrivateTargets = boolEnv(ENV.allowPrivateTargets, false);
/** Where channel target names are resolved: the stack's DNS servers, else the system resolver. */
const lookup = lookupFor(listEnv(ENV.dnsServers));
const smtpTrustedCa = optionalEnv(ENV.smtpTrustedCa);
const deliveryQueue = new Queue(sqs, requireEnv(ENV.deliveryQueueUrl));
/** Redrives that outlast a request go on in the redrive function, fed by this queue. */
const redriveQueue = new Queue(sqs, requireEnv(ENV.redriveQueueUrl));
const routes = adminRoutes({
  channels: new ChannelAdmin({
    config,
    secrets,
    state,
    secretPrefix: requireEnv(ENV.secretPrefix),
    targets: {
      allowPrivateTargets,
      lookup,
      snsTopicArns: listEnv(ENV.snsTopicArns),
      sesIdentities: listEnv(ENV.sesIdentities),
      sqsQueueArns: listEnv(ENV.sqsQueueArns),
      eventBusArns: listEnv(ENV.eventBusArns),
      assumableRoleArns: listEnv(ENV.assumableRoleArns),
      ingestBusArns: listEnv(ENV.ingestBusArns),
      // Set by Lambda itself: an emulator's queue URL names no region, so its ARN takes this one.
      region: process.env.AWS_REGION ?? 'us-east-1',
    },
    transports: tracedTransports(
      tracer,
      createTransports({
        allowPrivateTargets,
        lookup,
        ...(smtpTrustedCa === undefined ? {} : { smtpTrustedCa }),
      }),
    ),
    digests: new DigestFlusher(new DigestRepository(db, stateTableName, retentionSeconds), deliveryQueue),
  }),
  policies: new PolicyAdmin(config),
  silences: new SilenceAdmin(config),
  apiKeys: new ApiKeyAdmin(config),
  activity: new ActivityAdmin(state),
  deadLetters: new DeadLetterAdmin({
    state,
    redriver: new Redriver({ state, deliveryQueue }),
    queue: new DeadLetterQueueAdmin({
      deadLetters: new HeldMessages(sqs, requireEnv(ENV.deliveryDlqUrl)),
      deliveryQueue,
      resetForRedrive: (delivery, now, anyUndelivered) =>
        state.resetForRedrive(delivery, now, anyUndelivered),
    }),
    ingest: new IngestDeadLetterAdmin({
      deadLetters: new HeldMessages(sqs, requireEnv(ENV.ingestDlqUrl)),
      ingestQueue: new Queue(sqs, requireEnv(ENV.ingestQueueUrl)),
    }),
    foregroundMilliseconds: intEnv(ENV.redriveForegroundMs, 5_000),
    continueRedrive: async (id) => {
      const failed = await redriveQueue.sendAll([{ key: id, body: JSON.stringify({ redriveId: id }) }]);
      if (failed.length > 0) throw new Error(`redrive ${id} could not be handed to the background`);
    },
  }),
  audit: auditLog,
});

const lowerCaseKeys = (record: Record<string, string | undefined> | undefined) =>
  Object.fromEntries(Object.entries(record ?? {}).map(([key, value]) => [key.toLowerCase(), value]));

const handle = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const request: AdminRequest = {
    method: event.requestContext.http.method,
    routeKey: event.routeKey,
    pathParameters: event.pathParameters ?? {},
    query: event.queryStringParameters ?? {},
    headers: lowerCaseKeys(event.headers),
    body: requestBody(event),
  };
  const now = new Date();
  const response = await auditLog.record(request, principalOf(event.requestContext), now, () =>
    dispatch(routes, request, now),
  );
  logger.info('admin request', { route: event.routeKey, status: response.status });
  return {
    statusCode: response.status,
    headers: {
      ...(response.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...response.headers,
    },
    ...(response.body === undefined ? {} : { body: JSON.stringify(response.body) }),
  };
};

export const handler = middy(handle)
  .use(tracer.middleware())
  .use(injectLambdaContext(logger))
  .use(httpErrors(logger))
  .use(countRequests(logger));
