import type { NativeCacheOptions } from "@fast-langgraph/native";

import { type PostgresConnection, postgresConnectionString } from "../savers/postgres-connection";

/** Where the PostgreSQL tier lives: a connection string or node-postgres-style fields, TLS as RustPostgresSaver. */
export type CachePostgresOptions =
  | string
  | (PostgresConnection & {
      /** Schema of the table (default "public"). */
      schema?: string;
      /** The table (default "flg_cache"); `<table>_ledger` beside it holds the shared byte count. */
      table?: string;
      /** Connections kept open to the server (default 4; idle ones close after 10 s). */
      maxConnections?: number;
      /** How long connecting may take, in ms (default 5000). */
      connectTimeoutMs?: number;
    });

export interface RustCacheOptions {
  /** Most entries kept (least recently used go first). Default 10,000. Applies to every tier. */
  maxEntries?: number;
  /** Most bytes of keys and values kept (plus 64 bytes per entry). Default 256 MiB. Applies to every tier. */
  maxBytes?: number;
  /** Default time to live of an entry, in ms (none by default). */
  ttl?: number;
  /**
   * Share this cache with every worker thread of the process that opens the same name. A second
   * cache of that name with other `maxEntries`, `maxBytes`, `ttl` or `postgres` throws, naming the
   * cache; options left out are taken from the open one.
   */
  name?: string;
  /** Keep a SQLite tier in this file: it survives restarts, and worker threads opening it share it. */
  path?: string;
  /**
   * Keep a PostgreSQL tier: one table shared by every process and machine that opens it, bounded by
   * `maxEntries`/`maxBytes` across all writers, TTL on the server's clock.
   */
  postgres?: CachePostgresOptions;
}

export function nativeOptions(options: RustCacheOptions, kind: string): NativeCacheOptions {
  for (const key of ["maxEntries", "maxBytes", "ttl"] as const) {
    const v = options[key];
    if (v !== undefined && !(typeof v === "number" && v > 0)) {
      throw new Error(`${kind}: ${key} must be a positive number, got ${JSON.stringify(v)}`);
    }
  }
  for (const key of ["table", "schema"]) {
    if (key in options) {
      throw new Error(`${kind}: ${key} is an option of the PostgreSQL tier: give it as postgres: { connectionString, ${key} }`);
    }
  }
  const pg = options.postgres;
  const fields = typeof pg === "object" && pg !== null ? pg : {};
  return {
    name: options.name,
    path: options.path,
    maxEntries: options.maxEntries,
    maxBytes: options.maxBytes,
    ttlMs: options.ttl,
    ...(pg !== undefined && pg !== null
      ? {
          postgres: postgresConnectionString(pg),
          postgresSchema: (fields as { schema?: string }).schema,
          postgresTable: (fields as { table?: string }).table,
          postgresMaxConnections: (fields as { maxConnections?: number }).maxConnections,
          postgresConnectTimeoutMs: (fields as { connectTimeoutMs?: number }).connectTimeoutMs,
        }
      : {}),
  };
}

/** Builds the native cache, naming the class in any error (a conflicting second open, a bad option). */
export function openNative<T>(kind: string, open: () => T): T {
  try {
    return open();
  } catch (e) {
    const message = (e as Error).message;
    throw new Error(message.startsWith(kind) ? message : `${kind}: ${message}`);
  }
}

/** Reports a disk tier that could not be used (the cache keeps working in memory). */
export function warnIfDiskUnusable(stats: { diskError?: string | null }, kind: string): void {
  if (stats.diskError) process.emitWarning(`${kind} runs in memory only: ${stats.diskError}`, { code: "FAST_LANGGRAPH_CACHE_DISK" });
}

const warned = new Set<string>();

/**
 * A failed read of the PostgreSQL tier answers as a miss (the model is called, as without a cache)
 * and is reported once per message as a process warning; `stats().postgresError` keeps the last one.
 */
export function remoteMiss(kind: string, error: unknown): null {
  const message = `${kind}: PostgreSQL tier read failed, answering as a miss: ${(error as Error).message}`;
  if (!warned.has(message)) {
    warned.add(message);
    process.emitWarning(message, { code: "FAST_LANGGRAPH_CACHE_POSTGRES" });
  }
  return null;
}
