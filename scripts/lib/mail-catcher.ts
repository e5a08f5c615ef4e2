/**
 * A local SMTP server that requires STARTTLS and AUTH, as a real submission server does, and keeps what
 * arrives parsed (`smtp-server` + `mailparser`). Used by `npm run local` and the integration tests.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

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
  readonly mails: CaughtMail[] = [];
  /** AUTH attempts refused (wrong username or password). */
  refusedLogins = 0;
  private server: SMTPServer | undefined;
  private readonly waiters = new Set<() => void>();
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
            this.mails.push(mail);
            this.onMail?.(mail);
            for (const wake of this.waiters) wake();
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

  /** Mails whose subject contains `needle`. */
  withSubject(needle: string): CaughtMail[] {
    return this.mails.filter((mail) => mail.parsed.subject?.includes(needle));
  }

  /** Resolves once `count` mails with `needle` in the subject arrived, or rejects after `timeoutMs`. */
  async waitFor(needle: string, count: number, timeoutMs: number): Promise<CaughtMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.withSubject(needle).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `expected ${count} mails with "${needle}" within ${timeoutMs} ms, got ${this.withSubject(needle).length}`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 500));
        this.waiters.add(wake);
      });
    }
    return this.withSubject(needle);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
