import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Transports } from '../types.ts';

/** Publishes to SNS with one client for the function instance. */
export const createSnsTransport =
  (sns: SNSClient = new SNSClient({})): Transports['sns'] =>
  async ({ topicArn, message, subject, attributes, messageGroupId, deduplicationId }) => {
    const result = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: message,
        ...(subject === undefined ? {} : { Subject: subject }),
        ...(messageGroupId === undefined ? {} : { MessageGroupId: messageGroupId }),
        ...(deduplicationId === undefined ? {} : { MessageDeduplicationId: deduplicationId }),
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      }),
    );
    return { messageId: result.MessageId ?? '' };
  };
