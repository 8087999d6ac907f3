import type { Generation } from "@langchain/core/outputs";

import { RustLLMCache } from "../cache/rust-llm-cache";

type Method = (...args: never[]) => unknown;

/**
 * @langchain/core's `InMemoryCache` (models with `cache: true`) backed by a bounded RustLLMCache while
 * patched. A value the Rust cache cannot encode stays in the instance's own map, so nothing that
 * worked before patching stops working. Entries cached while patched are dropped on unpatch.
 */
let llmCaches = new WeakMap<object, RustLLMCache>();

/** `InMemoryCache.global()` instances share one map, and so share one Rust cache. */
function llmCacheOf(instance: { cache: object }): RustLLMCache {
  const owner = instance.cache ?? instance;
  let cache = llmCaches.get(owner);
  if (!cache) {
    cache = new RustLLMCache();
    llmCaches.set(owner, cache);
  }
  return cache;
}

export function acceleratedLLMCacheMethods(originals: Record<string, Method>) {
  const lookup = originals.lookup as unknown as (this: unknown, p: string, k: string) => Promise<Generation[] | null>;
  const update = originals.update as unknown as (this: unknown, p: string, k: string, v: Generation[]) => Promise<void>;
  return {
    async lookup(this: { cache: object }, prompt: string, llmKey: string) {
      return (await llmCacheOf(this).lookup(prompt, llmKey)) ?? lookup.call(this, prompt, llmKey);
    },
    async update(this: { cache: object }, prompt: string, llmKey: string, value: Generation[]) {
      try {
        await llmCacheOf(this).update(prompt, llmKey, value);
      } catch {
        await update.call(this, prompt, llmKey, value);
      }
    },
  };
}

export function restoreLLMCaches(): void {
  llmCaches = new WeakMap();
}
