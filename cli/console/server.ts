/**
 * `herald console`'s web server: `node:http` on 127.0.0.1, serving the page, its bundled script and
 * style sheet, and `/api/*`, which calls the admin API through the CLI's signed client (AWS credentials
 * never reach the browser). Every request passes the guard (`guard.ts`) first.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdminClient } from '../client.ts';
import { handleApi } from './api.ts';
import { buildAssets, type ConsoleAssets, PAGE } from './assets.ts';
import { ConsoleRequestError, toConsoleError } from './errors.ts';
import { checkRequest, completeExchange, type GuardState, newSecret, sessionCookie } from './guard.ts';

/** The largest request body the console reads (an event pasted into "what would match" fits). */
const MAX_BODY_BYTES = 512 * 1024;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
} as const;

export interface ConsoleOptions {
  readonly client: AdminClient;
  /** 0: any free port. */
  readonly port: number;
  /** Called with one line per failed API call. */
  readonly log?: (line: string) => void;
}

export interface RunningConsole {
  /** The one-time URL to open: `http://127.0.0.1:<port>/?token=…`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const send = (
  response: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void => {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...headers });
  response.end(body);
};

const sendJson = (response: ServerResponse, status: number, body: unknown): void =>
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(body));

const readBody = (request: IncomingMessage): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ConsoleRequestError(413, 'payload_too_large', 'the request body is too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new ConsoleRequestError(400, 'malformed_json', 'the request body is not JSON'));
      }
    });
  });

/** Starts the console server; resolves once it listens. */
export const startConsole = async (options: ConsoleOptions): Promise<RunningConsole> => {
  const assets: ConsoleAssets = await buildAssets();
  const state: GuardState = { port: options.port, token: newSecret(), session: undefined };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = request.method ?? 'GET';
    const decision = checkRequest({ method, url: request.url ?? '/', headers: request.headers }, state);
    if (decision.kind === 'refuse') {
      return send(
        response,
        decision.status,
        'text/plain; charset=utf-8',
        `herald console: ${decision.reason}\n`,
      );
    }
    if (decision.kind === 'exchange') {
      completeExchange(state, decision.session);
      response.writeHead(303, {
        ...SECURITY_HEADERS,
        location: '/',
        'set-cookie': sessionCookie(decision.session),
      });
      response.end();
      return;
    }
    const url = new URL(request.url ?? '/', 'http://console');
    if (url.pathname.startsWith('/api/')) {
      try {
        const body = method === 'GET' ? undefined : await readBody(request);
        const answer = await handleApi(options.client, {
          method,
          path: url.pathname.slice('/api'.length),
          query: url.searchParams,
          body,
        });
        return sendJson(response, 200, answer ?? {});
      } catch (error) {
        const { status, body } = toConsoleError(error);
        options.log?.(`${method} ${url.pathname}: ${status} ${body.error}: ${body.message}`);
        return sendJson(response, status, body);
      }
    }
    if (method !== 'GET' && method !== 'HEAD') {
      return send(response, 405, 'text/plain; charset=utf-8', 'herald console: method not allowed\n');
    }
    if (url.pathname === '/') return send(response, 200, 'text/html; charset=utf-8', PAGE);
    if (url.pathname === '/assets/console.js') {
      return send(response, 200, 'text/javascript; charset=utf-8', assets['console.js']);
    }
    if (url.pathname === '/assets/console.css') {
      return send(response, 200, 'text/css; charset=utf-8', assets['console.css']);
    }
    return send(response, 404, 'text/plain; charset=utf-8', 'herald console: not found\n');
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.log?.(`console server error: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent) sendJson(response, 500, toConsoleError(error).body);
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  state.port = port;
  return {
    url: `http://127.0.0.1:${port}/?token=${state.token}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
