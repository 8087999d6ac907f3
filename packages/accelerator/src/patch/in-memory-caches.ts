import type { Generation } from "@langchain/core/outputs";
import type { CacheFullKey, CacheNamespace, SerializerProtocol } from "@langchain/langgraph-checkpoint";

import { RustLLMCache } from "../cache/rust-llm-cache";
import { RustNodeCache } from "../cache/rust-node-cache";

type Method = (...args: never[]) => unknown;

/**
 * LangGraph's InMemoryCache (node results) and @langchain/core's InMemoryCache (`cache: true` models)
 * backed by the Rust caches while patched: bounded (10,000 entries / 256 MiB by default) instead of
 * growing forever. A value the Rust cache cannot encode stays in the instance's own map, so nothing
 * that worked before patching stops working. Entries cached while patched are not carried back on
 * unpatch (they are a cache: the next call recomputes them).
 */
let nodeCaches = new WeakMap<object, RustNodeCache>();
let llmCaches = new WeakMap<object, RustLLMCache>();

function nodeCacheOf(instance: { serde: SerializerProtocol }): RustNodeCache {
  let cache = nodeCaches.get(instance);
  if (!cache) {
    cache = new RustNodeCache({ serde: instance.serde });
    nodeCaches.set(instance, cache);
  }
  return cache;
}

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

export function acceleratedNodeCacheMethods() {
  return {
    get(this: { serde: SerializerProtocol }, keys: CacheFullKey[]) {
      return nodeCacheOf(this).get(keys);
    },
    set(this: { serde: SerializerProtocol }, pairs: { key: CacheFullKey; value: unknown; ttl?: number }[]) {
      return nodeCacheOf(this).set(pairs);
    },
    clear(this: { serde: SerializerProtocol }, namespaces: CacheNamespace[]) {
      return nodeCacheOf(this).clear(namespaces);
    },
  };
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

export function restoreCaches(): void {
  nodeCaches = new WeakMap();
  llmCaches = new WeakMap();
}
