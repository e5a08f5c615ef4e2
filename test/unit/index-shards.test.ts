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

/**
 * Reads a source held in memory, newest first, `pageSize` entries at a time before a sort key (like a
 * Query), keeping those `keep` accepts (like a FilterExpression: a page may keep none of what it read).
 */
const pagedReader =
  (
    sources: ReadonlyMap<string, readonly string[]>,
    pageSize: number,
    reads: string[],
    keep: (key: string) => boolean = () => true,
  ) =>
  async (source: string, after: string | undefined): Promise<SortedPage<string>> => {
    reads.push(source);
    const sorted = [...(sources.get(source) ?? [])].sort().reverse();
    const rest = after === undefined ? sorted : sorted.filter((key) => key < after);
    const read = rest.slice(0, pageSize);
    const more = rest.length > pageSize;
    const last = read.at(-1);
    return { items: read.filter(keep), more, ...(more && last !== undefined ? { next: last } : {}) };
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

  it('merges sorted sources read page by page (filtered or not) into one sequence, newest first, like sorting them all (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 60 }),
        fc.array(fc.nat(4), { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        async (keys, placement, pageSize, filtered) => {
          // Prepare: each key in one of five sources.
          const sources = new Map<string, string[]>();
          keys.forEach((key, index) => {
            const source = `s${placement[index] ?? 0}`;
            sources.set(source, [...(sources.get(source) ?? []), key]);
          });
          const names = ['s0', 's1', 's2', 's3', 's4'];

          // Act
          const keep = (key: string) => !filtered || key.length % 2 === 0;
          const merged = await collect(
            mergeNewestFirst(names, pagedReader(sources, pageSize, [], keep), (key) => key),
          );

          // Assess
          expect(merged).toEqual(keys.filter(keep).sort().reverse());
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

  it('does not read on through a source whose filtered pages keep nothing while other sources have newer items', async () => {
    // Prepare: a busy source, and one with 1,000 older entries the filter leaves out.
    const sources = new Map<string, string[]>([
      ['busy', Array.from({ length: 20 }, (_, n) => `2026-12-07T10:${String(n).padStart(2, '0')}`)],
      ['old', Array.from({ length: 1_000 }, (_, n) => `2026-12-06T${String(n).padStart(4, '0')}`)],
    ]);
    const reads: string[] = [];
    const keep = (key: string) => key.startsWith('2026-12-07');

    // Act
    const newest = await collect(
      mergeNewestFirst(['busy', 'old'], pagedReader(sources, 5, reads, keep), (key) => key),
      10,
    );

    // Assess
    expect(newest).toHaveLength(10);
    expect(reads.filter((source) => source === 'old')).toHaveLength(1);
  });
});
