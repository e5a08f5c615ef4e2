import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Transports } from '../types.ts';

/** Sends e-mail with SESv2 `SendEmail`, one client for the function instance. */
export const createSesTransport =
  (ses: SESv2Client = new SESv2Client({})): Transports['ses'] =>
  async (email) => {
    const result = await ses.send(
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
  };
