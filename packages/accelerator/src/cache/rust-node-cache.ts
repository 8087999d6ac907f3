import { BaseCache, type CacheFullKey, type CacheNamespace, type SerializerProtocol } from "@langchain/langgraph-checkpoint";
import type { NativeCache, NativeCacheStats } from "@fast-langgraph/native";

import { requireNative } from "../native";
import { encodeKey } from "../utf16-keys";
import { type RustCacheOptions, nativeOptions, openNative, remoteMiss, warnIfDiskUnusable } from "./options";

const SWEEP_EVERY_MS = 30_000;

function namespacePrefix(namespace: CacheNamespace): string {
  return `${JSON.stringify(namespace)}\u0000`;
}

/** A key is used as a string, as LangGraph's InMemoryCache uses it (as a property name). */
function storeKey([namespace, key]: CacheFullKey): string {
  return namespacePrefix(namespace) + encodeKey(String(key));
}

/**
 * LangGraph's node cache (`graph.compile({ cache })` with `cachePolicy` on nodes) in Rust: bounded
 * like RustLLMCache, with the same optional SQLite (`path`) and PostgreSQL (`postgres`) tiers. `ttl` is in
 * seconds as LangGraph passes it, with InMemoryCache's meanings (unset or Infinity: never expires; 0, below
 * 0 or NaN: expired at once); expired entries are reclaimed by a periodic sweep as well as skipped on lookup.
 * Namespaces are told apart as arrays (`["a", "b"]` is not `["a,b"]`, which InMemoryCache merges).
 */
export class RustNodeCache<V = unknown> extends BaseCache<V> {
  readonly store: NativeCache;
  private lastSweep = Date.now();

  constructor(options: RustCacheOptions & { serde?: SerializerProtocol } = {}) {
    super(options.serde);
    const Native = requireNative("RustNodeCache").NativeCache;
    this.store = openNative("RustNodeCache", () => new Native(nativeOptions(options, "RustNodeCache")));
    warnIfDiskUnusable(this.store.stats(), "RustNodeCache");
  }

  private sweepWhenDue(): void {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    this.store.sweepExpired();
  }

  async get(keys: CacheFullKey[]): Promise<{ key: CacheFullKey; value: V }[]> {
    this.sweepWhenDue();
    const found: { key: CacheFullKey; value: V }[] = [];
    for (const fullKey of keys) {
      const key = storeKey(fullKey);
      let bytes = this.store.get(key);
      if (!bytes && this.store.remote) bytes = await this.store.getRemote(key).catch((e) => remoteMiss("RustNodeCache", e));
      if (!bytes) continue;
      const split = bytes.indexOf(0x0a);
      // A plain Uint8Array, as the serializer gave it ("bytes" values come back as they went in).
      const payload = new Uint8Array(bytes.subarray(split + 1));
      const value = (await this.serde.loadsTyped(bytes.subarray(0, split).toString(), payload)) as V;
      found.push({ key: fullKey, value });
    }
    return found;
  }

  async set(pairs: { key: CacheFullKey; value: V; ttl?: number }[]): Promise<void> {
    this.sweepWhenDue();
    for (const { key, value, ttl } of pairs) {
      const [kind, bytes] = await this.serde.dumpsTyped(value);
      // LangGraph's InMemoryCache: a ttl of 0, below 0 or NaN has expired when set (the key's old value
      // goes too); Infinity never expires.
      if (ttl !== undefined && ttl !== null && !(ttl > 0)) {
        this.store.delete(storeKey(key));
        continue;
      }
      const stored = Buffer.concat([Buffer.from(`${kind}\n`), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
      const ttlMs = ttl === undefined || ttl === null || ttl === Number.POSITIVE_INFINITY ? undefined : ttl * 1000;
      this.store.set(storeKey(key), stored, ttlMs);
    }
  }

  async clear(namespaces: CacheNamespace[]): Promise<void> {
    this.store.clear(namespaces.length ? namespaces.map(namespacePrefix) : undefined);
  }

  stats(): NativeCacheStats {
    return this.store.stats();
  }

  /** Resolves when everything stored so far reached the disk and PostgreSQL tiers. */
  flush(): Promise<void> {
    return this.store.flush();
  }

  /** Connects to the PostgreSQL tier and creates its table if missing; rejects naming the cause. */
  ready(): Promise<void> {
    return this.store.ready().catch((e: Error) => {
      throw new Error(`RustNodeCache: ${e.message}`);
    });
  }
}
