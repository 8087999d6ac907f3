import type { CacheFullKey, CacheNamespace, SerializerProtocol } from "@langchain/langgraph-checkpoint";

import { RustNodeCache } from "../cache/rust-node-cache";

/**
 * LangGraph's node `InMemoryCache` (`compile({ cache })`) backed by a bounded RustNodeCache while
 * patched (10,000 entries / 256 MiB by default) instead of growing forever. Entries cached while
 * patched are not carried back on unpatch (a cache: the next call recomputes them).
 */
let nodeCaches = new WeakMap<object, { store: RustNodeCache; field: unknown }>();

type Instance = { serde: SerializerProtocol; cache?: unknown; constructor: unknown };
type Method = (...args: never[]) => unknown;

/**
 * The Rust store behind an InMemoryCache instance, serializing with the instance's `serde` as it is now.
 * Replacing the public `cache` field (`c.cache = {}`, upstream's own way to empty it) starts an empty store.
 */
function nodeCacheOf(instance: Instance): RustNodeCache {
  let entry = nodeCaches.get(instance);
  if (!entry || entry.field !== instance.cache) {
    entry = { store: new RustNodeCache({ serde: instance.serde }), field: instance.cache };
    nodeCaches.set(instance, entry);
  }
  entry.store.serde = instance.serde;
  return entry.store;
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

/**
 * The methods installed on InMemoryCache.prototype. A subclass (which may read or fill the `cache` field
 * itself) keeps LangGraph's own code, as does any instance of another class.
 */
export function acceleratedNodeCacheMethods(originals: Record<"get" | "set" | "clear", Method>, cls: unknown) {
  const own = (instance: Instance, name: "get" | "set" | "clear", args: unknown[]) =>
    (originals[name] as unknown as (...a: unknown[]) => Promise<unknown>).apply(instance, args);
  return {
    async get(this: Instance, keys: CacheFullKey[]) {
      if (this.constructor !== cls) return own(this, "get", [keys]);
      const asked = new Map<CacheFullKey, CacheFullKey>(keys.map((key) => [bucketKey(key), key]));
      const found = await nodeCacheOf(this).get([...asked.keys()]);
      return found.map(({ key, value }) => ({ key: asked.get(key) as CacheFullKey, value }));
    },
    async set(this: Instance, pairs: { key: CacheFullKey; value: unknown; ttl?: number }[]) {
      if (this.constructor !== cls) return own(this, "set", [pairs]);
      return nodeCacheOf(this).set(pairs.map((pair) => ({ ...pair, key: bucketKey(pair.key) })));
    },
    async clear(this: Instance, namespaces: CacheNamespace[]) {
      if (this.constructor !== cls) return own(this, "clear", [namespaces]);
      return nodeCacheOf(this).clear(namespaces.map(bucket));
    },
  };
}

export function restoreNodeCaches(): void {
  nodeCaches = new WeakMap();
}
