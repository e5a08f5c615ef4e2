/**
 * Index partition keys written at delivery rates, spread over shards. A DynamoDB partition takes at
 * most 1,000 write units a second and a time-ordered sort key defeats split-for-heat, so one partition
 * key for every delivery (`byTime`) or every delivery of a status (`byStatus`) would cap a stack at
 * about 1,000 of them a second: each goes into one of {@link INDEX_SHARDS} partitions, `<key>#<shard>`
 * by a hash of its id, and a listing reads them all and merges them. The unsharded key itself is read
 * too, always: records written before the shards (a redrive may keep an old one well past its first
 * expiry) and the rare ones written there on purpose (a channel's open digest).
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
  /**
   * Where the next page starts (exclusive) when there is more: the sort key of the last entry read,
   * which a filtered read may have left out (a page can then be empty). @default the last item's
   */
  readonly next?: string;
}

/**
 * Merges sources that are each sorted newest first (by `sortKey`, unique across sources) into one
 * sequence, newest first. `read(source, after)` reads the next page of a source, before the sort key
 * `after` (undefined: from the start). Every source is read once up front (together); then a source is
 * read again only when the merge needs its next item: its page is used up, and what it may still hold
 * (below its `next`) could be newer than every other source's next item.
 */
export async function* mergeNewestFirst<T>(
  sources: readonly string[],
  read: (source: string, after: string | undefined) => Promise<SortedPage<T>>,
  sortKey: (item: T) => string,
): AsyncGenerator<T> {
  interface Head {
    readonly source: string;
    items: readonly T[];
    at: number;
    /** Where to read on from, when there is more. */
    next: string | undefined;
  }
  const headOf = (source: string, page: SortedPage<T>): Head => {
    const last = page.items.at(-1);
    const next = page.next ?? (last === undefined ? undefined : sortKey(last));
    return { source, items: page.items, at: 0, next: page.more ? next : undefined };
  };
  let live: Head[] = await Promise.all(
    sources.map(async (source) => headOf(source, await read(source, undefined))),
  );
  for (;;) {
    live = live.filter((head) => head.at < head.items.length || head.next !== undefined);
    // The newest candidate: a source's next item, or, for a source whose page is used up, the bound
    // below which the rest of it lies (it has to be read before anything older is given out).
    let newest: { head: Head; key: string; item?: T } | undefined;
    for (const head of live) {
      const item = head.items[head.at];
      const key = item === undefined ? head.next : sortKey(item);
      if (key === undefined) continue;
      if (newest === undefined || key > newest.key)
        newest = item === undefined ? { head, key } : { head, key, item };
    }
    if (newest === undefined) return;
    const { head, key, item } = newest;
    if (item === undefined) {
      Object.assign(head, headOf(head.source, await read(head.source, key)));
      continue;
    }
    yield item;
    head.at += 1;
  }
}
