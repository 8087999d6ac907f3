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

/**
 * InMemoryCache's buckets: a namespace is the string `namespace.join(",")` (so `["a", "b"]` and `["a,b"]`
 * meet, `[]` and `[""]` too), a key a property name; RustNodeCache is given exactly those.
 */
function bucket(namespace: CacheNamespace): CacheNamespace {
  return [namespace.join(",")];
}

function bucketKey([namespace, key]: CacheFullKey): CacheFullKey {
  return [bucket(namespace), String(key)];
}

export function acceleratedNodeCacheMethods() {
  return {
    async get(this: { serde: SerializerProtocol }, keys: CacheFullKey[]) {
      const asked = new Map<CacheFullKey, CacheFullKey>(keys.map((key) => [bucketKey(key), key]));
      const found = await nodeCacheOf(this).get([...asked.keys()]);
      return found.map(({ key, value }) => ({ key: asked.get(key) as CacheFullKey, value }));
    },
    async set(this: { serde: SerializerProtocol }, pairs: { key: CacheFullKey; value: unknown; ttl?: number }[]) {
      return nodeCacheOf(this).set(pairs.map((pair) => ({ ...pair, key: bucketKey(pair.key) })));
    },
    async clear(this: { serde: SerializerProtocol }, namespaces: CacheNamespace[]) {
      return nodeCacheOf(this).clear(namespaces.map(bucket));
    },
  };
}

export function restoreNodeCaches(): void {
  nodeCaches = new WeakMap();
}
