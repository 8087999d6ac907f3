import { BaseCache, type CacheFullKey, type CacheNamespace, type SerializerProtocol } from "@langchain/langgraph-checkpoint";
import type { NativeCache, NativeCacheStats } from "@fast-langgraph/native";

import { requireNative } from "../native";
import { encodeKey } from "../utf16-keys";
import { type RustCacheOptions, nativeOptions, openNative, remoteMiss, warnIfDiskUnusable } from "./options";

const SWEEP_EVERY_MS = 30_000;

function namespacePrefix(namespace: CacheNamespace): string {
  return `${JSON.stringify(namespace)}\u0000`;
}

/**
 * LangGraph's node cache (`graph.compile({ cache })` with `cachePolicy` on nodes) in Rust: bounded
 * like RustLLMCache, with the same optional SQLite (`path`) and PostgreSQL (`postgres`) tiers; `ttl` in seconds as LangGraph passes it; expired entries are reclaimed by a
 * periodic sweep as well as skipped on lookup.
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
      const key = namespacePrefix(fullKey[0]) + encodeKey(fullKey[1]);
      let bytes = this.store.get(key);
      if (!bytes && this.store.remote) bytes = await this.store.getRemote(key).catch((e) => remoteMiss("RustNodeCache", e));
      if (!bytes) continue;
      const split = bytes.indexOf(0x0a);
      const value = (await this.serde.loadsTyped(bytes.subarray(0, split).toString(), bytes.subarray(split + 1))) as V;
      found.push({ key: fullKey, value });
    }
    return found;
  }

  async set(pairs: { key: CacheFullKey; value: V; ttl?: number }[]): Promise<void> {
    this.sweepWhenDue();
    for (const { key, value, ttl } of pairs) {
      const [kind, bytes] = await this.serde.dumpsTyped(value);
      const stored = Buffer.concat([Buffer.from(`${kind}\n`), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
      this.store.set(namespacePrefix(key[0]) + encodeKey(key[1]), stored, ttl !== undefined && ttl !== null ? ttl * 1000 : undefined);
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
