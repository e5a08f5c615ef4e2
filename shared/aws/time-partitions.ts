/**
 * The partitions of the state table's `byTime` index (deliveries by creation time). A DynamoDB
 * partition takes at most 1,000 write units a second and a time-ordered sort key defeats
 * split-for-heat, so one partition key for every delivery would cap a stack at about 1,000
 * deliveries a second: each delivery goes into one of {@link TIME_SHARDS} partitions by a hash of its
 * id, and a listing by time reads them all and merges them newest first.
 */

/** How many partitions `byTime` spreads deliveries over (about 16,000 deliveries a second). */
export const TIME_SHARDS = 16;

/** The one `byTime` partition of deliveries recorded before the index was sharded (read until they expire). */
export const UNSHARDED_TIME_PARTITION = 'delivery';

/** FNV-1a, 32 bits: a cheap, stable spread of ids (already random) over the shards. */
const fnv1a = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
};

/** The `byTime` partition key (`gsi1pk`) of a delivery or digest: `delivery#<0..15>`. */
export const timePartitionOf = (id: string): string =>
  `${UNSHARDED_TIME_PARTITION}#${fnv1a(id) % TIME_SHARDS}`;

/** Every `byTime` partition a listing reads: the shards and the partition from before them. */
export const TIME_PARTITIONS: readonly string[] = [
  UNSHARDED_TIME_PARTITION,
  ...Array.from({ length: TIME_SHARDS }, (_, shard) => `${UNSHARDED_TIME_PARTITION}#${shard}`),
];

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
