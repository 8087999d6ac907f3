import { createHash } from "node:crypto";

import { BaseCache } from "@langchain/core/caches";
import type { Generation } from "@langchain/core/outputs";
import type { NativeCache, NativeCacheStats } from "@fast-langgraph/native";

import { requireNative } from "../native";
import { warnCorruptEntry } from "./corrupt-entries";
import { decodeGenerations, encodeGenerations } from "./generations";
import { type RustCacheOptions, nativeOptions, openNative, remoteMiss, warnIfDiskUnusable } from "./options";
import { CorruptEntry } from "./value-decode";
import type { CodecMode } from "./value-encode";

export type RustLLMCacheOptions = RustCacheOptions;
export type CacheStats = NativeCacheStats & {
  /**
   * Entries found that could not be decoded (damaged, or written by an earlier version), by this cache
   * object: answered as misses and removed. `hits` counts them too (the tiers found them).
   */
  corrupt: number;
};

/**
 * The key a RustLLMCache stores for (prompt, llmKey): the SHA-256 digest (43 base64url characters) of a
 * string no other pair produces, taken over its UTF-16 code units (so prompts differing only in lone
 * surrogates stay apart). No tier (memory, file, PostgreSQL) holds the prompt or the llmKey, which carry
 * user text and can carry a model's settings; LangChain's own caches key by SHA-256 too (`keyEncoder`).
 */
export function llmCacheKey(prompt: string, llmKey: string): string {
  return createHash("sha256").update(`${prompt.length}:${prompt}${llmKey}`, "utf16le").digest("base64url");
}

/**
 * @langchain/core's BaseCache in Rust: keys are SHA-256 digests (`llmCacheKey`), hashed with xxh3-128
 * and compared in full on a hit, LRU eviction bounded by entries and bytes, TTL per cache and per entry,
 * optional SQLite tier (`path`) and PostgreSQL tier (`postgres`), shared by the worker threads that open the same `name` or `path`
 * and, through PostgreSQL, by other processes. `new ChatX({ cache: new RustLLMCache() })`. Every hit
 * decodes fresh objects; an entry that cannot be decoded is a miss (see `stats().corrupt`).
 */
export class RustLLMCache extends BaseCache<Generation[]> {
  readonly store: NativeCache;
  private corrupt = 0;
  private readonly mode: CodecMode;
  private readonly name?: string;

  /** `mode` is internal: "exact" is for the patched InMemoryCache (in-process, see value-encode.ts). */
  constructor(options: RustLLMCacheOptions = {}, mode: CodecMode = "persistent") {
    super();
    this.mode = mode;
    this.name = options.name;
    const Native = requireNative("RustLLMCache").NativeCache;
    this.store = openNative("RustLLMCache", () => new Native(nativeOptions(options, "RustLLMCache")));
    warnIfDiskUnusable(this.store.stats(), "RustLLMCache");
  }

  async lookup(prompt: string, llmKey: string): Promise<Generation[] | null> {
    const key = llmCacheKey(prompt, llmKey);
    let text = this.store.getText(key);
    if ((text === null || text === undefined) && this.store.remote) {
      text = await this.store.getRemoteText(key).catch((e) => remoteMiss("RustLLMCache", e));
    }
    if (text === null || text === undefined) return null;
    try {
      return decodeGenerations(text, this.mode);
    } catch (e) {
      if (!(e instanceof CorruptEntry)) throw e;
      this.corrupt++;
      this.store.delete(key);
      warnCorruptEntry("RustLLMCache", this.store.stats(), this.name, e.message);
      return null;
    }
  }

  async update(prompt: string, llmKey: string, value: Generation[], ttl?: number): Promise<void> {
    this.store.setText(llmCacheKey(prompt, llmKey), encodeGenerations(value, this.mode), ttl);
  }

  stats(): CacheStats {
    return { ...this.store.stats(), corrupt: this.corrupt };
  }

  clear(): void {
    this.store.clear();
  }

  /**
   * Resolves when everything stored so far reached the disk and PostgreSQL tiers (at once without
   * them). The JavaScript thread never waits for the backlog: writes beyond the write queue's bound
   * (`stats().queueMaxBytes`) were dropped oldest first and count as done (`stats().dropped`).
   */
  flush(): Promise<void> {
    return this.store.flush();
  }

  /** Connects to the PostgreSQL tier and creates its table if missing; rejects naming the cause. */
  ready(): Promise<void> {
    return this.store.ready().catch((e: Error) => {
      throw new Error(`RustLLMCache: ${e.message}`);
    });
  }
}
