/**
 * Who may talk to the console server: only a browser that opened the one-time URL `herald console`
 * printed. The URL's token is exchanged once for an HttpOnly, SameSite=Strict session cookie; every
 * other request needs that cookie, a `Host` naming this server (no DNS rebinding) and, when the browser
 * sends an `Origin`, this server's origin (no cross-site requests from other tabs). Writes need the
 * `Origin`. Pure functions: the server applies them, unit tests check them.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'herald_console';

/** What the guard needs of a request. */
export interface GuardRequest {
  readonly method: string;
  /** The request target, `/path?query`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** The secrets of one console run. */
export interface GuardState {
  port: number;
  /** The URL's token, until it is exchanged. */
  token: string | undefined;
  /** The session cookie's value once the token was exchanged. */
  session: string | undefined;
}

export type GuardDecision =
  | { readonly kind: 'allow' }
  /** `GET /?token=…` with the right token: set the cookie, send the browser to `/`. */
  | { readonly kind: 'exchange'; readonly session: string }
  | { readonly kind: 'refuse'; readonly status: 400 | 403; readonly reason: string };

/** 32 random bytes, URL-safe. */
export const newSecret = (): string => randomBytes(32).toString('base64url');

const SAFE_METHODS = new Set(['GET', 'HEAD']);

const header = (request: GuardRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const sameSecret = (given: string | undefined, expected: string | undefined): boolean => {
  if (given === undefined || expected === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** The hosts this server answers to: `127.0.0.1:<port>` and `localhost:<port>`. */
export const allowedHosts = (port: number): readonly string[] => [`127.0.0.1:${port}`, `localhost:${port}`];

/** A cookie's value from a `Cookie` header. */
export const readCookie = (cookieHeader: string | undefined, name: string): string | undefined => {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
};

/** The `Set-Cookie` value for a session. */
export const sessionCookie = (session: string): string =>
  `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`;

/** Decides whether the request may go on (and whether it is the token exchange). */
export const checkRequest = (request: GuardRequest, state: GuardState): GuardDecision => {
  const host = header(request, 'host');
  if (host === undefined || !allowedHosts(state.port).includes(host.toLowerCase())) {
    return {
      kind: 'refuse',
      status: 403,
      reason: `this console answers to ${allowedHosts(state.port)[0]} only`,
    };
  }
  const origin = header(request, 'origin');
  if (origin !== undefined && origin !== `http://${host.toLowerCase()}`) {
    return { kind: 'refuse', status: 403, reason: 'cross-origin requests are refused' };
  }
  const fetchSite = header(request, 'sec-fetch-site');
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
    return { kind: 'refuse', status: 403, reason: 'cross-site requests are refused' };
  }
  if (!SAFE_METHODS.has(request.method) && origin === undefined) {
    return { kind: 'refuse', status: 403, reason: 'a change needs the Origin header of this console' };
  }
  const url = new URL(request.url, `http://${host}`);
  const token = url.searchParams.get('token');
  if (token !== null) {
    if (request.method !== 'GET' || url.pathname !== '/') {
      return { kind: 'refuse', status: 400, reason: 'the token is exchanged at GET / only' };
    }
    const session = readCookie(header(request, 'cookie'), SESSION_COOKIE);
    // The link opened again in the browser that already used it: go on with its session.
    if (state.session !== undefined && sameSecret(session, state.session)) {
      return { kind: 'exchange', session: state.session };
    }
    if (!sameSecret(token, state.token)) {
      return {
        kind: 'refuse',
        status: 403,
        reason:
          state.token === undefined
            ? 'this link was used already: go on in the browser that opened it, or restart herald console'
            : 'wrong token: open the URL herald console printed',
      };
    }
    return { kind: 'exchange', session: newSecret() };
  }
  const session = readCookie(header(request, 'cookie'), SESSION_COOKIE);
  if (!sameSecret(session, state.session)) {
    return { kind: 'refuse', status: 403, reason: 'no console session: open the URL herald console printed' };
  }
  return { kind: 'allow' };
};

/** Records an exchange: the URL's token is spent, the session cookie takes over. */
export const completeExchange = (state: GuardState, session: string): void => {
  state.token = undefined;
  state.session = session;
};
