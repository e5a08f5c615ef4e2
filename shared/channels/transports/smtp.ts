import { isIP } from 'node:net';
// Only nodemailer's SMTP transport and mailer: its sendmail, SES, stream and service tables stay out of the bundle.
import Mailer from 'nodemailer/lib/mailer';
import SMTPTransport from 'nodemailer/lib/smtp-transport';
import { bareHost } from '../../http/address-guard.ts';
import { resolveTargetHost, type SafeRequestOptions } from '../../http/safe-request.ts';
import type { Transports } from '../types.ts';

export interface SmtpTransportOptions extends SafeRequestOptions {
  /** Extra CA certificates (PEM) SMTP servers may present; for test stacks with their own CA. */
  readonly smtpTrustedCa?: string;
}

/**
 * Sends one e-mail per connection to the channel's server: connected to an address checked like an
 * HTTP target, STARTTLS required (or implicit TLS), the certificate verified against the host name.
 */
export const createSmtpTransport =
  (options: SmtpTransportOptions): Transports['smtp'] =>
  async (server, email) => {
    // Connect to an address checked like an HTTP target; TLS still verifies the server's name.
    const address = await resolveTargetHost(server.host, options);
    const transport = new Mailer(
      new SMTPTransport({
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
          ...(isIP(bareHost(server.host)) === 0 ? { servername: server.host } : {}),
          ...(options.smtpTrustedCa === undefined ? {} : { ca: options.smtpTrustedCa }),
        },
      }),
    );
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
  };
