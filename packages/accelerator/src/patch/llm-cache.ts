import type { Generation } from "@langchain/core/outputs";

import { RustLLMCache, llmCacheKey } from "../cache/rust-llm-cache";

type Method = (...args: never[]) => unknown;

interface PatchedInstance {
  cache: Map<unknown, unknown>;
  keyEncoder: (prompt: string, llmKey: string) => unknown;
}

/**
 * @langchain/core's `InMemoryCache` (models with `cache: true`) backed by a bounded RustLLMCache while
 * patched. Keys are the instance's own `keyEncoder(prompt, llmKey)` (sha256 of `prompt_llmKey` unless
 * changed with makeDefaultKeyEncoder), so entries are told apart exactly as LangChain tells them
 * apart. Values are stored in the "exact" mode (value-encode.ts): a hit equals, field for field, what
 * the instance's map would hand back; a value that mode cannot rebuild exactly (a Map, a class of the
 * application's own...) stays in the instance's own map, so nothing that worked before patching stops
 * working. Entries cached while patched are dropped on unpatch.
 */
let llmCaches = new WeakMap<object, RustLLMCache>();

/** `InMemoryCache.global()` instances share one map, and so share one Rust cache. */
function llmCacheOf(instance: PatchedInstance): RustLLMCache {
  const owner = instance.cache ?? instance;
  let cache = llmCaches.get(owner);
  if (!cache) {
    cache = new RustLLMCache({}, "exact");
    llmCaches.set(owner, cache);
  }
  return cache;
}

export function acceleratedLLMCacheMethods(originals: Record<string, Method>) {
  const lookup = originals.lookup as unknown as (this: unknown, p: string, k: string) => Promise<Generation[] | null>;
  const update = originals.update as unknown as (this: unknown, p: string, k: string, v: Generation[]) => Promise<void>;
  return {
    async lookup(this: PatchedInstance, prompt: string, llmKey: string) {
      const key = this.keyEncoder(prompt, llmKey);
      if (typeof key !== "string") return lookup.call(this, prompt, llmKey);
      return (await llmCacheOf(this).lookup(key, "")) ?? lookup.call(this, prompt, llmKey);
    },
    async update(this: PatchedInstance, prompt: string, llmKey: string, value: Generation[]) {
      const key = this.keyEncoder(prompt, llmKey);
      if (typeof key === "string") {
        const rust = llmCacheOf(this);
        try {
          await rust.update(key, "", value);
          this.cache?.delete?.(key);
          return;
        } catch {
          // The latest value of a key is the map's from now on.
          rust.store.delete(llmCacheKey(key, ""));
        }
      }
      await update.call(this, prompt, llmKey, value);
    },
  };
}

export function restoreLLMCaches(): void {
  llmCaches = new WeakMap();
}
