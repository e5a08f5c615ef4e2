import { describe, expect, it } from 'vitest';
import {
  checkRequest,
  completeExchange,
  type GuardRequest,
  type GuardState,
  readCookie,
  SESSION_COOKIE,
  sessionCookie,
} from '../../cli/console/guard.ts';

const PORT = 8790;
const TOKEN = 'a'.repeat(43);
const SESSION = 'b'.repeat(43);

const fresh = (): GuardState => ({ port: PORT, token: TOKEN, session: undefined });
const exchanged = (): GuardState => ({ port: PORT, token: undefined, session: SESSION });

const get = (url: string, headers: GuardRequest['headers'] = {}): GuardRequest => ({
  method: 'GET',
  url,
  headers: { host: `127.0.0.1:${PORT}`, ...headers },
});
const withSession = { cookie: `${SESSION_COOKIE}=${SESSION}` };

describe('console guard', () => {
  it('exchanges the right token at GET / for a session, once', () => {
    // Prepare
    const state = fresh();

    // Act
    const first = checkRequest(get(`/?token=${TOKEN}`), state);
    if (first.kind === 'exchange') completeExchange(state, first.session);
    const second = checkRequest(get(`/?token=${TOKEN}`), state);

    // Assess
    expect(first.kind).toBe('exchange');
    expect(state).toMatchObject({ token: undefined, session: expect.any(String) });
    expect(second).toMatchObject({
      kind: 'refuse',
      status: 403,
      reason: expect.stringContaining('used already'),
    });
  });

  it('lets the browser that used the link open it again with its session', () => {
    expect(checkRequest(get(`/?token=${TOKEN}`, withSession), exchanged())).toEqual({
      kind: 'exchange',
      session: SESSION,
    });
  });

  it('refuses a wrong token, and the token anywhere but GET /', () => {
    expect(checkRequest(get('/?token=wrong'), fresh())).toMatchObject({ kind: 'refuse', status: 403 });
    expect(checkRequest(get(`/api/overview?token=${TOKEN}`), fresh())).toMatchObject({
      kind: 'refuse',
      status: 400,
    });
  });

  it('refuses every request without the session cookie, or with another value', () => {
    expect(checkRequest(get('/'), exchanged())).toMatchObject({ kind: 'refuse', status: 403 });
    expect(
      checkRequest(get('/api/overview', { cookie: `${SESSION_COOKIE}=${TOKEN}` }), exchanged()),
    ).toMatchObject({
      kind: 'refuse',
      status: 403,
    });
    expect(checkRequest(get('/api/overview'), fresh())).toMatchObject({ kind: 'refuse', status: 403 });
  });

  it('allows a request with the session cookie on 127.0.0.1 or localhost at its port', () => {
    expect(checkRequest(get('/api/overview', withSession), exchanged())).toEqual({ kind: 'allow' });
    expect(
      checkRequest(get('/api/overview', { ...withSession, host: `localhost:${PORT}` }), exchanged()),
    ).toEqual({ kind: 'allow' });
  });

  it.each(['evil.example', `evil.example:${PORT}`, `127.0.0.1:${PORT + 1}`, '127.0.0.1'])(
    'refuses the Host %s (DNS rebinding), even with the session',
    (host) => {
      expect(checkRequest(get('/api/overview', { ...withSession, host }), exchanged())).toMatchObject({
        kind: 'refuse',
        status: 403,
      });
    },
  );

  it('refuses a request whose Origin is another site, or whose Sec-Fetch-Site is cross-site', () => {
    const post = (headers: GuardRequest['headers']): GuardRequest => ({
      method: 'POST',
      url: '/api/dead-letters/redrive',
      headers: { host: `127.0.0.1:${PORT}`, ...withSession, ...headers },
    });
    expect(checkRequest(post({ origin: 'http://evil.example' }), exchanged())).toMatchObject({
      kind: 'refuse',
    });
    expect(checkRequest(post({ origin: `http://localhost:${PORT}` }), exchanged())).toMatchObject({
      kind: 'refuse',
    });
    expect(
      checkRequest(get('/api/overview', { ...withSession, 'sec-fetch-site': 'cross-site' }), exchanged()),
    ).toMatchObject({
      kind: 'refuse',
    });
    expect(checkRequest(post({ origin: `http://127.0.0.1:${PORT}` }), exchanged())).toEqual({
      kind: 'allow',
    });
  });

  it('refuses a change without an Origin', () => {
    const post: GuardRequest = {
      method: 'POST',
      url: '/api/channels/ops/test',
      headers: { host: `127.0.0.1:${PORT}`, ...withSession },
    };
    expect(checkRequest(post, exchanged())).toMatchObject({ kind: 'refuse', status: 403 });
  });

  it('sets an HttpOnly, SameSite=Strict cookie and reads it back among others', () => {
    expect(sessionCookie(SESSION)).toBe(`${SESSION_COOKIE}=${SESSION}; HttpOnly; SameSite=Strict; Path=/`);
    expect(readCookie(`a=1; ${SESSION_COOKIE}=${SESSION}; b=2`, SESSION_COOKIE)).toBe(SESSION);
    expect(readCookie(undefined, SESSION_COOKIE)).toBeUndefined();
  });
});
