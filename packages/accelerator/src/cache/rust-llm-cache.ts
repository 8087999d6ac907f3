import { BaseCache } from "@langchain/core/caches";
import type { Generation } from "@langchain/core/outputs";
import type { NativeCache, NativeCacheStats } from "@fast-langgraph/native";

import { requireNative } from "../native";
import { encodeKey } from "../utf16-keys";
import { decodeGenerations, encodeGenerations } from "./generations";
import { type RustCacheOptions, nativeOptions, warnIfDiskUnusable } from "./options";

export type RustLLMCacheOptions = RustCacheOptions;
export type CacheStats = NativeCacheStats;

/** (prompt, llmKey) as one string that no other pair produces. */
export function llmCacheKey(prompt: string, llmKey: string): string {
  // Encoded so that prompts differing only in lone surrogates stay distinct keys in Rust (utf16-keys.ts).
  return encodeKey(`${prompt.length}:${prompt}${llmKey}`);
}

/**
 * @langchain/core's BaseCache in Rust: keys hashed with xxh3-128 and compared in full on a hit, LRU
 * eviction bounded by entries and bytes, TTL per cache and per entry, optional SQLite tier, shared by
 * the worker threads that open the same `name` or `path`. `new ChatX({ cache: new RustLLMCache() })`.
 */
export class RustLLMCache extends BaseCache<Generation[]> {
  readonly store: NativeCache;

  constructor(options: RustLLMCacheOptions = {}) {
    super();
    this.store = new (requireNative("RustLLMCache").NativeCache)(nativeOptions(options, "RustLLMCache"));
    warnIfDiskUnusable(this.store.stats(), "RustLLMCache");
  }

  async lookup(prompt: string, llmKey: string): Promise<Generation[] | null> {
    const text = this.store.getText(llmCacheKey(prompt, llmKey));
    return text === null || text === undefined ? null : decodeGenerations(text);
  }

  async update(prompt: string, llmKey: string, value: Generation[], ttl?: number): Promise<void> {
    this.store.setText(llmCacheKey(prompt, llmKey), encodeGenerations(value), ttl);
  }

  stats(): CacheStats {
    return this.store.stats();
  }

  clear(): void {
    this.store.clear();
  }

  /** Waits until everything stored is in the disk tier (a no-op without one). */
  flush(): void {
    this.store.flush();
  }
}
