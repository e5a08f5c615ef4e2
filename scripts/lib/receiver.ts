/**
 * A webhook receiver that checks Standard Webhooks signatures exactly as a receiver would (with the
 * `standardwebhooks` package) and records what arrived. Used by `npm run local` and the tests.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Arrivals } from './arrivals.ts';

export interface ReceivedDelivery {
  readonly path: string;
  /** The query string, `?…`, or empty. */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Parsed body when the signature verified. */
  readonly payload: unknown;
  readonly verified: boolean;
  readonly verifyError?: string;
  /** Status this receiver answered. */
  readonly answered: number;
  readonly at: Date;
}

/** An answer with headers and a body, for receivers that play a provider (Slack's 429, PagerDuty's 202). */
export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Answer this much later (a slow receiver). */
  readonly delayMs?: number;
}

/** Chooses what to answer for a request (per path): a status, or a whole answer; 200 by default. */
export type Responder = (path: string, count: number) => number | Answer;

export class WebhookReceiver {
  private readonly arrivals = new Arrivals<ReceivedDelivery>();
  /** Every delivery received, in order. */
  readonly received: ReceivedDelivery[] = this.arrivals.items;
  private readonly secrets = new Map<string, string>();
  private readonly responders = new Map<string, Responder>();
  private server: Server | undefined;
  port = 0;

  /** Listens on 127.0.0.1 (port 0 = any free port). */
  async start(port = 0, onDelivery?: (delivery: ReceivedDelivery) => void): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const { pathname: path, search: query } = new URL(req.url ?? '/', 'http://receiver');
        const body = Buffer.concat(chunks).toString('utf8');
        const count = this.received.filter((delivery) => delivery.path === path).length + 1;
        const chosen = this.responders.get(path)?.(path, count) ?? 200;
        const answer: Answer = typeof chosen === 'number' ? { status: chosen } : chosen;
        const answered = answer.status;
        const secret = this.secrets.get(path);
        let payload: unknown;
        let verifyError: string | undefined;
        try {
          if (secret === undefined) throw new Error(`no signing secret registered for ${path}`);
          payload = new Webhook(secret).verify(body, req.headers as Record<string, string>);
        } catch (error) {
          verifyError = error instanceof Error ? error.message : String(error);
        }
        const delivery: ReceivedDelivery = {
          path,
          query,
          headers: req.headers,
          body,
          payload,
          verified: verifyError === undefined,
          ...(verifyError === undefined ? {} : { verifyError }),
          answered,
          at: new Date(),
        };
        this.arrivals.add(delivery);
        onDelivery?.(delivery);
        setTimeout(() => {
          res
            .writeHead(answered, { 'content-type': 'application/json', ...answer.headers })
            .end(answer.body ?? '{"ok":true}');
        }, answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** The URL for a path on this receiver. */
  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Registers the signing secret deliveries to `path` are verified with. */
  expect(path: string, signingSecret: string, responder?: Responder): void {
    this.secrets.set(path, signingSecret);
    if (responder) this.responders.set(path, responder);
  }

  /** Sets what `path` answers, for a path whose requests are not signed (chat and incident providers). */
  answer(path: string, responder: Responder): void {
    this.responders.set(path, responder);
  }

  deliveriesTo(path: string): ReceivedDelivery[] {
    return this.received.filter((delivery) => delivery.path === path);
  }

  /** Resolves once `count` deliveries reached `path`, or rejects after `timeoutMs`. */
  waitFor(path: string, count: number, timeoutMs: number): Promise<ReceivedDelivery[]> {
    return this.arrivals.waitFor(
      (delivery) => delivery.path === path,
      count,
      timeoutMs,
      `deliveries to ${path}`,
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
