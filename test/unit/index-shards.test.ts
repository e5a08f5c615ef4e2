import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INDEX_SHARDS,
  mergeNewestFirst,
  partitionsOf,
  type SortedPage,
  shardOf,
} from '#shared/aws/index-shards.ts';
import { deliveryIdFor } from '#shared/domain/ids.ts';

/** Reads a source held in memory, newest first, `pageSize` at a time after a sort key (like a Query). */
const pagedReader =
  (sources: ReadonlyMap<string, readonly string[]>, pageSize: number, reads: string[]) =>
  async (source: string, after: string | undefined): Promise<SortedPage<string>> => {
    reads.push(source);
    const sorted = [...(sources.get(source) ?? [])].sort().reverse();
    const rest = after === undefined ? sorted : sorted.filter((key) => key < after);
    return { items: rest.slice(0, pageSize), more: rest.length > pageSize };
  };

/** The first `limit` items (all by default), asking for no more than that. */
const collect = async <T>(items: AsyncIterator<T>, limit = Number.POSITIVE_INFINITY): Promise<T[]> => {
  const taken: T[] = [];
  while (taken.length < limit) {
    const next = await items.next();
    if (next.done === true) break;
    taken.push(next.value);
  }
  return taken;
};

describe('index shards', () => {
  it('puts a delivery in one of 16 shards by its id, always the same, spread evenly', () => {
    // Prepare
    const ids = Array.from({ length: 16_000 }, (_, n) =>
      deliveryIdFor(`evt_${n}`, '2026-12-07T00:00:00Z', 'ch-1'),
    );

    // Act
    const counts = new Map<string, number>();
    for (const id of ids)
      counts.set(shardOf('status#dead', id), (counts.get(shardOf('status#dead', id)) ?? 0) + 1);

    // Assess
    expect(INDEX_SHARDS).toBe(16);
    expect([...counts.keys()].sort()).toEqual(partitionsOf('status#dead').slice(1).sort());
    expect(partitionsOf('status#dead')[0]).toBe('status#dead');
    for (const count of counts.values()) expect(count).toBeGreaterThan(800);
    for (const count of counts.values()) expect(count).toBeLessThan(1_200);
    expect(shardOf('delivery', ids[0] ?? '')).toBe(shardOf('delivery', ids[0] ?? ''));
  });

  it('merges sorted sources read page by page into one sequence, newest first, like sorting them all (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 60 }),
        fc.array(fc.nat(4), { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        async (keys, placement, pageSize) => {
          // Prepare: each key in one of five sources.
          const sources = new Map<string, string[]>();
          keys.forEach((key, index) => {
            const source = `s${placement[index] ?? 0}`;
            sources.set(source, [...(sources.get(source) ?? []), key]);
          });
          const names = ['s0', 's1', 's2', 's3', 's4'];

          // Act
          const merged = await collect(
            mergeNewestFirst(names, pagedReader(sources, pageSize, []), (key) => key),
          );

          // Assess
          expect(merged).toEqual([...keys].sort().reverse());
        },
      ),
    );
  });

  it('reads each source once up front, and again only when the merge uses up its page', async () => {
    // Prepare: one busy source and four nearly empty ones.
    const sources = new Map<string, string[]>([
      ['busy', Array.from({ length: 20 }, (_, n) => `2026-12-07T10:${String(n).padStart(2, '0')}`)],
      ['quiet', ['2026-12-07T09:00']],
    ]);
    const reads: string[] = [];

    // Act: the five newest, five at a time.
    const newest = await collect(
      mergeNewestFirst(['busy', 'quiet', 'a', 'b', 'c'], pagedReader(sources, 5, reads), (key) => key),
      5,
    );

    // Assess
    expect(newest).toEqual([
      '2026-12-07T10:19',
      '2026-12-07T10:18',
      '2026-12-07T10:17',
      '2026-12-07T10:16',
      '2026-12-07T10:15',
    ]);
    expect(reads.sort()).toEqual(['a', 'b', 'busy', 'c', 'quiet']);
  });
});
