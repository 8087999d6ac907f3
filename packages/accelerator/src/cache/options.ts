import type { NativeCacheOptions } from "@fast-langgraph/native";

export interface RustCacheOptions {
  /** Most entries kept (least recently used go first). Default 10,000. */
  maxEntries?: number;
  /** Most bytes of keys and values kept (plus 64 bytes per entry). Default 256 MiB. */
  maxBytes?: number;
  /** Default time to live of an entry, in ms (none by default). */
  ttl?: number;
  /** Share this cache with every worker thread of the process that opens the same name. */
  name?: string;
  /** Keep a SQLite tier in this file: it survives restarts, and worker threads opening it share it. */
  path?: string;
}

export function nativeOptions(options: RustCacheOptions, kind: string): NativeCacheOptions {
  for (const key of ["maxEntries", "maxBytes", "ttl"] as const) {
    const v = options[key];
    if (v !== undefined && !(typeof v === "number" && v > 0)) {
      throw new Error(`${kind}: ${key} must be a positive number, got ${JSON.stringify(v)}`);
    }
  }
  return { name: options.name, path: options.path, maxEntries: options.maxEntries, maxBytes: options.maxBytes, ttlMs: options.ttl };
}

/** Reports a disk tier that could not be used (the cache keeps working in memory). */
export function warnIfDiskUnusable(stats: { diskError?: string | null }, kind: string): void {
  if (stats.diskError) process.emitWarning(`${kind} runs in memory only: ${stats.diskError}`, { code: "FAST_LANGGRAPH_CACHE_DISK" });
}
