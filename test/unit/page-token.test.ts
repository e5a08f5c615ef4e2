import { describe, expect, it } from 'vitest';
import {
  configKey,
  deadLettersKey,
  decodePageToken,
  deliveriesKey,
  encodePageToken,
} from '#shared/aws/page-token.ts';
import { HttpError } from '#shared/domain/errors.ts';

describe('page tokens', () => {
  it('round-trips a key of the expected shape', () => {
    const key = {
      pk: 'delivery#msg_1',
      sk: 'delivery',
      gsi1pk: 'delivery',
      gsi1sk: '2026-11-23T09:00:00Z#msg_1',
    };
    expect(decodePageToken(encodePageToken(key), deliveriesKey({}))).toEqual(key);
  });

  it('refuses a deliveries token made under another filter (another index) with a 400', () => {
    const key = {
      pk: 'delivery#msg_1',
      sk: 'delivery',
      byStatus: 'status#dead',
      statusSk: '2026-11-23T09:00:00Z#msg_1',
    };
    const token = encodePageToken(key);
    expect(decodePageToken(token, deliveriesKey({ status: 'dead' }))).toEqual(key);
    expect(() => decodePageToken(token, deliveriesKey({ status: 'delivered' }))).toThrow(HttpError);
    expect(() => decodePageToken(token, deliveriesKey({ channelId: 'ops' }))).toThrow(HttpError);
  });

  it('ties a dead-letter token to its filter', () => {
    const key = {
      pk: 'delivery#msg_1',
      sk: 'delivery',
      byTypeStatus: 'deploy.finished#dead',
      statusSk: '2026-11-23T09:00:00Z#msg_1',
    };
    const token = encodePageToken(key);
    expect(decodePageToken(token, deadLettersKey({ eventType: 'deploy.finished' }))).toEqual(key);
    expect(() => decodePageToken(token, deadLettersKey({ eventType: 'deploy.started' }))).toThrow(HttpError);
    expect(() => decodePageToken(token, deadLettersKey({}))).toThrow(HttpError);
    expect(() => decodePageToken(token, deadLettersKey({ channelId: 'ops' }))).toThrow(HttpError);
  });

  it.each([
    ['not base64 json', 'this is not a token'],
    ['another list’s token', encodePageToken({ kind: 'channel', id: 'ops' })],
    ['extra attributes', encodePageToken({ kind: 'policy', id: 'p', admin: true })],
  ])('answers 400 for %s', (_what, token) => {
    expect(() => decodePageToken(token, configKey('policy'))).toThrow(HttpError);
    try {
      decodePageToken(token, configKey('policy'));
    } catch (error) {
      expect(error).toMatchObject({ status: 400, details: [{ path: 'nextToken' }] });
    }
  });
});
