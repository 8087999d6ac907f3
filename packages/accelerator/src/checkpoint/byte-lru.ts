/**
 * Entries bounded by the bytes each is counted at, least recently set (or touched) first out: the
 * process-side caches of a saver (channel memory, value bytes, decoded lists) keep theirs here.
 */
export class ByteLru<E> {
  private readonly entries = new Map<string, { entry: E; bytes: number }>();
  private total = 0;
  private evicted = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string): E | undefined {
    return this.entries.get(key)?.entry;
  }

  /** Makes the key's entry the most recently used. */
  touch(key: string): void {
    const held = this.entries.get(key);
    if (held === undefined) return;
    this.entries.delete(key);
    this.entries.set(key, held);
  }

  /**
   * Holds `entry` under `key`, counted at `bytes`, in place of what the key held; then lets the least
   * recently used go until the total is within `maxBytes`. An entry larger than the bound is not held.
   */
  set(key: string, entry: E, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { entry, bytes });
    this.total += bytes;
    while (this.total > this.maxBytes) {
      this.delete(this.entries.keys().next().value as string);
      this.evicted += 1;
    }
  }

  delete(key: string): void {
    const held = this.entries.get(key);
    if (held === undefined) return;
    this.entries.delete(key);
    this.total -= held.bytes;
  }

  /** Drops every entry (evictions are not counted: nothing was pushed out by the bound). */
  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  /** Drops every entry whose key starts with `prefix` (a thread's, with keys that start with its id). */
  deletePrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.total;
  }

  /** Entries let go to keep within the bound (not those replaced or deleted). */
  get evictions(): number {
    return this.evicted;
  }
}
