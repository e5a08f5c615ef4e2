/**
 * A local SMTP server that requires STARTTLS and AUTH, as a real submission server does, and keeps what
 * arrives parsed (`smtp-server` + `mailparser`). Used by `npm run local` and the integration tests.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { Arrivals } from './arrivals.ts';

const TLS_DIR = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'tls');
/** The catcher's certificate: self-signed, for 127.0.0.1 and localhost; trusted by local stacks only. */
export const MAIL_CATCHER_CA_FILE = join(TLS_DIR, 'smtp-test.crt');

export interface CaughtMail {
  /** Envelope sender and recipients, as the SMTP transaction gave them (bcc included). */
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  /** The user the client authenticated as. */
  readonly user: string | undefined;
  /** Whether the session was upgraded with STARTTLS before the mail. */
  readonly secure: boolean;
  readonly parsed: ParsedMail;
  readonly at: Date;
}

export class MailCatcher {
  private readonly arrivals = new Arrivals<CaughtMail>();
  /** Every mail received, in order. */
  readonly mails: CaughtMail[] = this.arrivals.items;
  /** AUTH attempts refused (wrong username or password). */
  refusedLogins = 0;
  private server: SMTPServer | undefined;
  port = 0;

  constructor(
    private readonly credentials: { readonly username: string; readonly password: string },
    private readonly onMail?: (mail: CaughtMail) => void,
  ) {}

  /** Listens on 127.0.0.1 (port 0 = any free port). */
  async start(port = 0): Promise<this> {
    this.server = new SMTPServer({
      secure: false,
      key: readFileSync(join(TLS_DIR, 'smtp-test.key')),
      cert: readFileSync(MAIL_CATCHER_CA_FILE),
      authMethods: ['PLAIN', 'LOGIN'],
      // AUTH only after STARTTLS, as submission servers require.
      allowInsecureAuth: false,
      authOptional: false,
      logger: false,
      onAuth: (auth, _session, callback) => {
        if (auth.username === this.credentials.username && auth.password === this.credentials.password) {
          callback(null, { user: auth.username });
          return;
        }
        this.refusedLogins += 1;
        callback(new Error('Authentication failed'));
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((parsed) => {
            const mail: CaughtMail = {
              mailFrom: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
              rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              user: typeof session.user === 'string' ? session.user : undefined,
              secure: session.secure,
              parsed,
              at: new Date(),
            };
            this.arrivals.add(mail);
            this.onMail?.(mail);
            callback();
          })
          .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  /** Resolves once `count` mails with `needle` in the subject arrived, or rejects after `timeoutMs`. */
  waitFor(needle: string, count: number, timeoutMs: number): Promise<CaughtMail[]> {
    return this.arrivals.waitFor(
      (mail) => mail.parsed.subject?.includes(needle) === true,
      count,
      timeoutMs,
      `mails with "${needle}"`,
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
