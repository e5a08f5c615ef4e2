/**
 * The real transports, for the composition roots (the deliver and admin handlers): HTTP through the
 * SSRF-safe client, SNS, SES and SMTP. Created once per function instance.
 */

import { isIP } from 'node:net';
import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { createTransport } from 'nodemailer';
import { resolveTargetHost, type SafeRequestOptions, safeRequest } from '../http/safe-request.ts';
import type { Transports } from './types.ts';

export interface TransportOptions extends SafeRequestOptions {
  readonly sns: SNSClient;
  readonly ses: SESv2Client;
  /** Extra CA certificates (PEM) SMTP servers may present; for test stacks with their own CA. */
  readonly smtpTrustedCa?: string;
}

export const createTransports = (options: TransportOptions): Transports => ({
  http: (request) => safeRequest(request, options),
  sns: async ({ topicArn, message, subject, attributes, messageGroupId, deduplicationId }) => {
    const result = await options.sns.send(
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
  },
  ses: async (email) => {
    const result = await options.ses.send(
      new SendEmailCommand({
        FromEmailAddress: email.from,
        Destination: { ToAddresses: [...email.to], CcAddresses: [...email.cc], BccAddresses: [...email.bcc] },
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: {
              Text: { Data: email.text, Charset: 'UTF-8' },
              Html: { Data: email.html, Charset: 'UTF-8' },
            },
            Headers: Object.entries(email.headers).map(([Name, Value]) => ({ Name, Value })),
          },
        },
        ...(email.configurationSet === undefined ? {} : { ConfigurationSetName: email.configurationSet }),
      }),
    );
    return { messageId: result.MessageId ?? '' };
  },
  smtp: async (server, email) => {
    // Connect to an address checked like an HTTP target; TLS still verifies the server's name.
    const address = await resolveTargetHost(server.host, options);
    const transport = createTransport({
      host: address,
      port: server.port,
      secure: server.tls === 'implicit',
      requireTLS: server.tls === 'starttls',
      ...(server.username === undefined
        ? {}
        : { auth: { user: server.username, pass: server.password ?? '' } }),
      connectionTimeout: server.timeoutMs,
      greetingTimeout: server.timeoutMs,
      socketTimeout: server.timeoutMs,
      // Only the strings Herald renders go out: no attachments or URLs read from disk or the network.
      disableFileAccess: true,
      disableUrlAccess: true,
      tls: {
        // SNI and the name check use the configured host (an IP address is checked as itself).
        ...(isIP(server.host) === 0 ? { servername: server.host } : {}),
        ...(options.smtpTrustedCa === undefined ? {} : { ca: options.smtpTrustedCa }),
      },
    });
    try {
      const info = await transport.sendMail({
        from: email.from,
        to: [...email.to],
        cc: [...email.cc],
        bcc: [...email.bcc],
        subject: email.subject,
        text: email.text,
        html: email.html,
        headers: { ...email.headers },
      });
      return { messageId: info.messageId };
    } finally {
      transport.close();
    }
  },
});
