/**
 * Index partition keys written at delivery rates, spread over shards. A DynamoDB partition takes at
 * most 1,000 write units a second and a time-ordered sort key defeats split-for-heat, so one partition
 * key for every delivery (`byTime`) or every delivery of a status (`byStatus`) would cap a stack at
 * about 1,000 of them a second: each goes into one of {@link INDEX_SHARDS} partitions, `<key>#<shard>`
 * by a hash of its id, and a listing reads them all and merges them. The unsharded key itself is read
 * too: records written before the shards (until they expire), and the rare ones written there on
 * purpose (a channel's open digest).
 */

/** How many partitions a sharded key is spread over (about 16,000 writes a second). */
export const INDEX_SHARDS = 16;

/** FNV-1a, 32 bits: a cheap, stable spread of ids (already random) over the shards. */
const fnv1a = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
};

/** The shard of `key` an id goes into: `<key>#<0..15>`. */
export const shardOf = (key: string, id: string): string => `${key}#${fnv1a(id) % INDEX_SHARDS}`;

/** Every partition a listing of `key` reads: the key itself and its shards. */
export const partitionsOf = (key: string): readonly string[] => [
  key,
  ...Array.from({ length: INDEX_SHARDS }, (_, shard) => `${key}#${shard}`),
];

/** The `byTime` key every delivery is sharded from (`gsi1pk`). */
export const TIME_KEY = 'delivery';

/** One page of a source read newest first, and whether there is more after it. */
export interface SortedPage<T> {
  readonly items: readonly T[];
  readonly more: boolean;
}

/**
 * Merges sources that are each sorted newest first (by `sortKey`, unique across sources) into one
 * sequence, newest first. `read(source, after)` reads the next page of a source, after the sort key
 * it last gave (undefined: from the start). Every source is read once up front (together), then a
 * source is read again only when its page is used up and the merge needs its next item.
 */
export async function* mergeNewestFirst<T>(
  sources: readonly string[],
  read: (source: string, after: string | undefined) => Promise<SortedPage<T>>,
  sortKey: (item: T) => string,
): AsyncGenerator<T> {
  interface Head {
    readonly source: string;
    items: readonly T[];
    more: boolean;
    at: number;
  }
  const heads: Head[] = await Promise.all(
    sources.map(async (source) => ({ source, ...(await read(source, undefined)), at: 0 })),
  );
  const live = heads.filter((head) => head.items.length > 0);
  for (;;) {
    let newest: { head: Head; item: T; key: string } | undefined;
    for (const head of live) {
      const item = head.items[head.at];
      if (item === undefined) continue;
      const key = sortKey(item);
      if (newest === undefined || key > newest.key) newest = { head, item, key };
    }
    if (newest === undefined) return;
    const { head, item, key } = newest;
    yield item;
    head.at += 1;
    if (head.at < head.items.length) continue;
    const next = head.more ? await read(head.source, key) : { items: [], more: false };
    if (next.items.length === 0) live.splice(live.indexOf(head), 1);
    else Object.assign(head, { items: next.items, more: next.more, at: 0 });
  }
}
