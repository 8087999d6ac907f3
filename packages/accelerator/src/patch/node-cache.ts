import type { CacheFullKey, CacheNamespace, SerializerProtocol } from "@langchain/langgraph-checkpoint";

import { RustNodeCache } from "../cache/rust-node-cache";

/**
 * LangGraph's node `InMemoryCache` (`compile({ cache })`) backed by a bounded RustNodeCache while
 * patched (10,000 entries / 256 MiB by default) instead of growing forever. Entries cached while
 * patched are not carried back on unpatch (a cache: the next call recomputes them).
 */
let nodeCaches = new WeakMap<object, RustNodeCache>();

function nodeCacheOf(instance: { serde: SerializerProtocol }): RustNodeCache {
  let cache = nodeCaches.get(instance);
  if (!cache) {
    cache = new RustNodeCache({ serde: instance.serde });
    nodeCaches.set(instance, cache);
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

export function restoreNodeCaches(): void {
  nodeCaches = new WeakMap();
}
