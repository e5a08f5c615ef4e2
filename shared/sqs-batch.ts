import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * Processes every record of an SQS batch concurrently and reports the ones that threw, so only those
 * come back (the event source mapping has `ReportBatchItemFailures`).
 */
export const processBatch = async (
  event: SQSEvent,
  handleRecord: (record: SQSRecord) => Promise<void>,
  logger: { error(message: string, attributes: Record<string, unknown>): void },
): Promise<SQSBatchResponse> => {
  const results = await Promise.allSettled(event.Records.map((record) => handleRecord(record)));
  const batchItemFailures = results.flatMap((result, index) => {
    if (result.status === 'fulfilled') return [];
    const record = event.Records[index];
    if (record === undefined) return [];
    if (!(result.reason instanceof RetryLaterError)) {
      logger.error('record failed', {
        messageId: record.messageId,
        error: result.reason instanceof Error ? result.reason.message : String(result.reason),
      });
    }
    return [{ itemIdentifier: record.messageId }];
  });
  return { batchItemFailures };
};

/** A record that must come back later (its visibility was already set): not an error to log. */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
}
