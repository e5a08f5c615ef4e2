import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { ApiKeyHashRecord, bearerKey, hashApiKey } from '#shared/admin/api-keys.ts';
import { ConfigRepository } from '#shared/aws/config-repository.ts';
import { requireEnv } from '#shared/runtime/env.ts';

const logger = new Logger({ serviceName: 'herald-authorizer' });
const config = new ConfigRepository(
  DynamoDBDocumentClient.from(new DynamoDBClient({})),
  requireEnv('CONFIG_TABLE_NAME'),
  logger,
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
  const item = await config.getItem('apikeyhash', hashApiKey(key));
  const lookup = ApiKeyHashRecord.safeParse(item);
  if (!lookup.success) {
    logger.info('unknown or revoked API key refused');
    return denied;
  }
  await config.touchApiKey(lookup.data.keyId, new Date()).catch((error: unknown) => {
    logger.warn('could not record API key use', {
      error: error instanceof Error ? error.message : String(error),
    });
  });
  const { keyId, scope } = lookup.data;
  return {
    isAuthorized: true,
    context: { apiKeyId: keyId, scope: scope === undefined ? '' : JSON.stringify(scope) },
  };
};

export const handler = middy(handle).use(injectLambdaContext(logger));
