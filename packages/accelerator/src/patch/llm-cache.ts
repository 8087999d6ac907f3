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

/** Marks the keys of the default encoder's fast path (`rustKey`): no `(key, "")` pair makes the same. */
const JOINED = "\u0000joined";
const SURROGATE = /[\ud800-\udfff]/;

/**
 * The (prompt, llmKey) pair the Rust cache keys an instance's entry by, or undefined when its encoder
 * does not give a string (the instance's own map is used then). With the default encoder,
 * `sha256(prompt + "_" + llmKey)` in @langchain/core's JavaScript SHA-256, that string is hashed once,
 * by the Rust cache's own SHA-256, instead of twice: two strings without surrogates have the same key
 * there exactly when they are equal, so entries are told apart as before. A string with a surrogate
 * code unit (which that SHA-256 reads in pairs, lone or not, so distinct strings can share a key) goes
 * through the encoder itself.
 */
function rustKey(instance: PatchedInstance, prompt: string, llmKey: string, defaultEncoder: unknown): [string, string] | undefined {
  if (instance.keyEncoder === defaultEncoder) {
    const joined = `${prompt}_${llmKey}`;
    if (!SURROGATE.test(joined)) return [joined, JOINED];
  }
  const key = instance.keyEncoder(prompt, llmKey);
  return typeof key === "string" ? [key, ""] : undefined;
}

/** `defaultEncoder`: the `defaultHashKeyEncoder` of the copy of @langchain/core being patched, if it has one. */
export function acceleratedLLMCacheMethods(originals: Record<string, Method>, defaultEncoder?: unknown) {
  const lookup = originals.lookup as unknown as (this: unknown, p: string, k: string) => Promise<Generation[] | null>;
  const update = originals.update as unknown as (this: unknown, p: string, k: string, v: Generation[]) => Promise<void>;
  const fastDefault = typeof defaultEncoder === "function" ? defaultEncoder : Symbol("none");
  return {
    async lookup(this: PatchedInstance, prompt: string, llmKey: string) {
      const key = rustKey(this, prompt, llmKey, fastDefault);
      if (key === undefined) return lookup.call(this, prompt, llmKey);
      return (await llmCacheOf(this).lookup(...key)) ?? lookup.call(this, prompt, llmKey);
    },
    async update(this: PatchedInstance, prompt: string, llmKey: string, value: Generation[]) {
      const key = rustKey(this, prompt, llmKey, fastDefault);
      if (key !== undefined) {
        const rust = llmCacheOf(this);
        try {
          await rust.update(...key, value);
          // A value cached before patching under this key is superseded.
          if (this.cache?.size !== 0) this.cache?.delete?.(this.keyEncoder(prompt, llmKey));
          return;
        } catch {
          // The latest value of a key is the map's from now on.
          rust.store.delete(llmCacheKey(...key));
        }
      }
      await update.call(this, prompt, llmKey, value);
    },
  };
}

export function restoreLLMCaches(): void {
  llmCaches = new WeakMap();
}
