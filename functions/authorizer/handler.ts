import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { ApiKeyHashes, bearerKey, hashApiKey } from '#shared/aws/api-key-hashes.ts';
import { requireEnv } from '#shared/runtime/env.ts';
import { ENV } from '#shared/runtime/env-names.ts';
import { counted, countRequests } from '#shared/runtime/request-counter.ts';
import { LazyTracer } from '#shared/runtime/tracing.ts';

const logger = new Logger({ serviceName: 'herald-authorizer' });
const tracer = new LazyTracer({ serviceName: 'herald-authorizer', log: logger });
const apiKeys = new ApiKeyHashes(
  DynamoDBDocumentClient.from(counted(tracer.capture(new DynamoDBClient({})))),
  requireEnv(ENV.configTable),
);

/** The key's id, and its scope as JSON text (empty for an unscoped key): the ingest function enforces it. */
type Result = APIGatewaySimpleAuthorizerWithContextResult<{ apiKeyId: string; scope: string }>;

/**
 * The ingest route's authorizer: `Authorization: Bearer hk_…` must name a key that exists (only its
 * hash is stored). A missing header never reaches here (the HTTP API answers 401); an unknown or
 * revoked key is refused (403).
 */
const handle = async (event: APIGatewayRequestAuthorizerEventV2): Promise<Result> => {
  const key = bearerKey(event.headers?.authorization ?? event.identitySource?.[0]);
  const denied: Result = { isAuthorized: false, context: { apiKeyId: '', scope: '' } };
  if (key === undefined) return denied;
  const found = await apiKeys.find(hashApiKey(key));
  if (found === undefined) {
    logger.info('unknown or revoked API key refused');
    return denied;
  }
  await apiKeys.touch(found.keyId, new Date()).catch((error: unknown) => {
    logger.warn('could not record API key use', {
      error: error instanceof Error ? error.message : String(error),
    });
  });
  const { keyId, scope } = found;
  return {
    isAuthorized: true,
    context: { apiKeyId: keyId, scope: scope === undefined ? '' : JSON.stringify(scope) },
  };
};

export const handler = middy(handle)
  .use(tracer.middleware())
  .use(injectLambdaContext(logger))
  .use(countRequests(logger));
