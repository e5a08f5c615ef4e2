import { describe, expect, it } from 'vitest';
import { deliveryIdFor, newEventId } from '#shared/domain/ids.ts';

const acceptedAt = '2026-11-23T09:00:00.000Z';

describe('deliveryIdFor', () => {
  it('is stable for the same event, acceptance time and channel', () => {
    expect(deliveryIdFor('evt-1', acceptedAt, 'ops')).toBe(deliveryIdFor('evt-1', acceptedAt, 'ops'));
  });

  it('differs per channel', () => {
    expect(deliveryIdFor('evt-1', acceptedAt, 'ops')).not.toBe(deliveryIdFor('evt-1', acceptedAt, 'audit'));
  });

  it('differs per event and per acceptance (an id reused after the idempotency window)', () => {
    const first = deliveryIdFor('evt-1', acceptedAt, 'ops');
    expect(deliveryIdFor('evt-2', acceptedAt, 'ops')).not.toBe(first);
    expect(deliveryIdFor('evt-1', '2026-11-25T09:00:00.000Z', 'ops')).not.toBe(first);
  });

  it('does not collide when parts shift between fields', () => {
    expect(deliveryIdFor('a', 'bc', 'd')).not.toBe(deliveryIdFor('ab', 'c', 'd'));
  });

  it('looks like msg_ followed by 27 URL-safe characters', () => {
    expect(deliveryIdFor('evt-1', acceptedAt, 'ops')).toMatch(/^msg_[A-Za-z0-9_-]{27}$/);
  });
});

describe('newEventId', () => {
  it('returns distinct ULIDs', () => {
    const ids = new Set(Array.from({ length: 100 }, newEventId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});
