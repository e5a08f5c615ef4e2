import { describe, expect, it } from 'vitest';
import { TtlCache } from '#shared/runtime/ttl-cache.ts';

/** A loader that counts calls and can be told to fail or to wait. */
const counting = () => {
  const state = { loads: 0, fail: false };
  const load = async (key: string) => {
    state.loads += 1;
    if (state.fail) throw new Error(`load of ${key} failed`);
    return `${key}#${state.loads}`;
  };
  return { state, load };
};

const clock = () => {
  const time = { now: 1_000 };
  return { time, now: () => time.now };
};

describe('TtlCache', () => {
  it('returns the cached value within the TTL without loading again', async () => {
    // Prepare
    const { state, load } = counting();
    const { time, now } = clock();
    const cache = new TtlCache(1000, load, now);
    await cache.get('a');
    time.now += 999;

    // Act
    const value = await cache.get('a');

    // Assess
    expect(value).toBe('a#1');
    expect(state.loads).toBe(1);
  });

  it('reloads once the TTL has passed', async () => {
    // Prepare
    const { state, load } = counting();
    const { time, now } = clock();
    const cache = new TtlCache(1000, load, now);
    await cache.get('a');
    time.now += 1000;

    // Act
    const value = await cache.get('a');

    // Assess
    expect(value).toBe('a#2');
    expect(state.loads).toBe(2);
  });

  it('keeps keys apart', async () => {
    const { load } = counting();
    const cache = new TtlCache(1000, load, clock().now);
    expect(await cache.get('a')).toBe('a#1');
    expect(await cache.get('b')).toBe('b#2');
    expect(await cache.get('a')).toBe('a#1');
  });

  it('does not cache a failed load', async () => {
    // Prepare
    const { state, load } = counting();
    const cache = new TtlCache(1000, load, clock().now);
    state.fail = true;
    await expect(cache.get('a')).rejects.toThrow('load of a failed');
    state.fail = false;

    // Act
    const value = await cache.get('a');

    // Assess
    expect(value).toBe('a#2');
  });

  it('shares one load between concurrent gets', async () => {
    // Prepare
    let release: (value: string) => void = () => {};
    let loads = 0;
    const cache = new TtlCache(
      1000,
      () => {
        loads += 1;
        return new Promise<string>((resolve) => {
          release = resolve;
        });
      },
      clock().now,
    );

    // Act
    const first = cache.get('a');
    const second = cache.get('a');
    release('value');

    // Assess
    expect(await Promise.all([first, second])).toEqual(['value', 'value']);
    expect(loads).toBe(1);
  });

  it('reloads after invalidate', async () => {
    const { state, load } = counting();
    const cache = new TtlCache(1000, load, clock().now);
    await cache.get('a');
    cache.invalidate('a');
    expect(await cache.get('a')).toBe('a#2');
    expect(state.loads).toBe(2);
  });

  it('keeps a newer successful load when an older, superseded load fails', async () => {
    // Prepare: a slow load that will fail, then an invalidate and a fresh load that succeeds
    const pending: { resolve: (value: string) => void; reject: (error: Error) => void }[] = [];
    let loads = 0;
    const cache = new TtlCache(
      60_000,
      () => {
        loads += 1;
        if (loads > 2) return Promise.resolve(`reload #${loads}`);
        return new Promise<string>((resolve, reject) => {
          pending.push({ resolve, reject });
        });
      },
      clock().now,
    );
    const stale = cache.get('config');
    cache.invalidate('config');
    const fresh = cache.get('config');
    pending[1]?.resolve('fresh');
    await fresh;

    // Act: the superseded load fails afterwards
    pending[0]?.reject(new Error('stale load failed'));
    await expect(stale).rejects.toThrow('stale load failed');
    const again = await cache.get('config');

    // Assess
    expect(again).toBe('fresh');
    expect(loads).toBe(2);
  });
});
