import { SendMessageCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import type { AssumedRole, Transports } from '../types.ts';
import type { AssumedRoleCredentials } from './assumed-role.ts';

/** Makes an SQS client: the real one in the functions, a fake in unit tests. */
export type SqsClientFactory = (config: SQSClientConfig) => Pick<SQSClient, 'send'>;

/**
 * Sends to SQS with one client per region and role, kept for the function instance. The clients never
 * use the queue URL as their endpoint (`useQueueUrlAsEndpoint: false`): a signed request goes only to
 * the SQS endpoint of the queue's region (or `AWS_ENDPOINT_URL`), whatever host a channel's URL names.
 */
export const createSqsTransport = (
  roles: Pick<AssumedRoleCredentials, 'get'>,
  makeClient: SqsClientFactory = (config) => new SQSClient(config),
): Transports['sqs'] => {
  const clients = new Map<string, Pick<SQSClient, 'send'>>();
  const clientFor = (region: string | undefined, role: AssumedRole | undefined) => {
    const key = JSON.stringify([region ?? null, role?.roleArn ?? null, role?.externalId ?? null]);
    let client = clients.get(key);
    if (client === undefined) {
      client = makeClient({
        useQueueUrlAsEndpoint: false,
        ...(region === undefined ? {} : { region }),
        ...(role === undefined ? {} : { credentials: () => roles.get(role) }),
      });
      clients.set(key, client);
    }
    return client;
  };
  return async ({ queueUrl, region, body, attributes, messageGroupId, deduplicationId, role }) => {
    // A role that cannot be assumed fails here, as an AssumeRoleError, before SQS is asked anything.
    if (role !== undefined) await roles.get(role);
    const result = await clientFor(region, role).send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
        ...(messageGroupId === undefined ? {} : { MessageGroupId: messageGroupId }),
        ...(deduplicationId === undefined ? {} : { MessageDeduplicationId: deduplicationId }),
      }),
    );
    return { messageId: result.MessageId ?? '' };
  };
};
