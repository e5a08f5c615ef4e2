import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Keys per `BatchGetItem` request (the service's limit). */
const BATCH_GET_KEYS = 100;

/**
 * Reads the items of `keys` from one table, consistently, in batches of 100, asking again (with a
 * growing pause) for the keys DynamoDB left unprocessed. Items that do not exist are not returned;
 * the order is DynamoDB's.
 */
export const batchGetAll = async (
  db: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_KEYS) {
    let batch: Record<string, unknown>[] = keys.slice(start, start + BATCH_GET_KEYS);
    for (let round = 0; batch.length > 0; round += 1) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** round, 1000)));
      const result = await db.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: batch, ConsistentRead: true } } }),
      );
      items.push(...(result.Responses?.[tableName] ?? []));
      batch = result.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return items;
};
