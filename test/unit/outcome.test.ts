import { describe, expect, it } from 'vitest';
import { classifyError, classifyResponse, parseRetryAfter } from '#shared/domain/outcome.ts';
import { RequestTimeoutError, TargetNotAllowedError } from '#shared/http/safe-request.ts';

const now = new Date('2026-11-23T09:00:00.000Z');

describe('classifyResponse', () => {
  it.each([200, 201, 202, 204, 299])('treats %d as delivered', (status) => {
    expect(classifyResponse(status, {}, now)).toEqual({ kind: 'delivered', status });
  });

  it.each([408, 425, 429, 500, 502, 503, 504, 599])('retries %d', (status) => {
    expect(classifyResponse(status, {}, now)).toMatchObject({ kind: 'retry', status });
  });

  it('reads Retry-After as seconds', () => {
    expect(classifyResponse(429, { 'retry-after': '120' }, now)).toMatchObject({
      kind: 'retry',
      retryAfterSeconds: 120,
    });
  });

  it('reads Retry-After as an HTTP date', () => {
    expect(classifyResponse(503, { 'retry-after': 'Mon, 23 Nov 2026 09:05:00 GMT' }, now)).toMatchObject({
      kind: 'retry',
      retryAfterSeconds: 300,
    });
  });

  it('leaves out an unreadable Retry-After', () => {
    const outcome = classifyResponse(503, { 'retry-after': 'later' }, now);
    expect(outcome.kind).toBe('retry');
    expect('retryAfterSeconds' in outcome).toBe(false);
  });

  it('uses the first of repeated Retry-After headers', () => {
    expect(classifyResponse(429, { 'retry-after': ['7', '99'] }, now)).toMatchObject({
      retryAfterSeconds: 7,
    });
  });

  it('treats 410 as gone', () => {
    expect(classifyResponse(410, {}, now)).toMatchObject({ kind: 'gone', status: 410 });
  });

  it.each([301, 302, 307, 308])('fails %d permanently, saying redirects are not followed', (status) => {
    const outcome = classifyResponse(status, { location: 'https://elsewhere.example/' }, now);
    expect(outcome).toMatchObject({ kind: 'failed', status });
    expect('error' in outcome ? outcome.error : '').toMatch(/redirect/);
  });

  it.each([400, 401, 403, 404, 405, 409, 413, 422])('fails %d permanently', (status) => {
    expect(classifyResponse(status, { 'retry-after': '10' }, now)).toMatchObject({ kind: 'failed', status });
  });
});

describe('parseRetryAfter', () => {
  it('is undefined when absent', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('reads a past HTTP date as 0', () => {
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('caps Retry-After at one day', () => {
    expect(parseRetryAfter('999999', now)).toBe(86400);
  });

  it('rounds a fractional date difference up', () => {
    expect(parseRetryAfter('Mon, 23 Nov 2026 09:00:01 GMT', new Date('2026-11-23T09:00:00.500Z'))).toBe(1);
  });
});

describe('classifyError', () => {
  it('fails a refused target permanently', () => {
    expect(classifyError(new TargetNotAllowedError('10.0.0.1 is not a public address'))).toMatchObject({
      kind: 'failed',
      error: expect.stringContaining('10.0.0.1'),
    });
  });

  it('retries a timeout', () => {
    expect(classifyError(new RequestTimeoutError('no response within 10 ms'))).toMatchObject({
      kind: 'retry',
      error: expect.stringMatching(/^timeout/),
    });
  });

  it('retries a network error and keeps its code', () => {
    // Prepare
    const error = Object.assign(new Error('connect ECONNREFUSED 203.0.113.7:443'), { code: 'ECONNREFUSED' });

    // Act
    const outcome = classifyError(error);

    // Assess
    expect(outcome).toEqual({
      kind: 'retry',
      error: 'network error: ECONNREFUSED connect ECONNREFUSED 203.0.113.7:443',
    });
  });

  it('retries whatever else was thrown', () => {
    expect(classifyError('socket hang up')).toEqual({
      kind: 'retry',
      error: 'network error: socket hang up',
    });
    expect(classifyError(undefined)).toMatchObject({ kind: 'retry' });
  });
});

describe('classifyError for requests that cannot be built', () => {
  it('treats an invalid header character as a permanent failure', () => {
    const error = Object.assign(new TypeError('Invalid character in header content'), {
      code: 'ERR_INVALID_CHAR',
    });
    expect(classifyError(error)).toMatchObject({ kind: 'failed' });
  });
});
