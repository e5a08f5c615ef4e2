/**
 * A small read-through cache: values are loaded once per key and kept for `ttlMs`. Concurrent reads
 * of a missing key share one load; a failed load is not cached.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { readonly expires: number; readonly value: Promise<V> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly load: (key: K) => Promise<V>,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: K): Promise<V> {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.expires > this.now()) return entry.value;
    const value = this.load(key);
    this.entries.set(key, { expires: this.now() + this.ttlMs, value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  invalidate(key: K): void {
    this.entries.delete(key);
  }

  /** Forgets every value (the config they came from changed). */
  clear(): void {
    this.entries.clear();
  }
}
