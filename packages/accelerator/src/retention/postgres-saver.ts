import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";

import { type PgPool, connectionOfPool, rustSaverOf } from "../patch/postgres-saver";
import { type PruneOptions, type PruneReport, type RetentionOptions, scheduleRetention } from "../savers/retention";
import { RustPostgresSaver } from "../savers/rust-postgres-saver";

/** What a `@langchain/langgraph-checkpoint-postgres` PostgresSaver holds that retention uses (its pool and schema). */
interface PostgresSaverFields {
  pool?: PgPool;
  options?: { schema?: string };
}

/**
 * A Rust saver on the same database and schema as `saver` (its pool's connection, its `schema`
 * option), for the official layout; rejects with the reason when the Rust client cannot connect the
 * way the pool does (TLS options, a password callback).
 */
function storeFor(instance: BaseCheckpointSaver): RustPostgresSaver {
  const saver = instance as unknown as PostgresSaverFields;
  const connection = connectionOfPool(saver.pool);
  if (typeof connection === "string") {
    throw new Error(`prunePostgresSaver: cannot open this PostgresSaver's database from the Rust client: ${connection}`);
  }
  return new RustPostgresSaver(connection.connection, {
    schema: saver.options?.schema ?? "public",
    maxConnections: 1,
    tls: connection.tls,
  });
}

/**
 * `RustPostgresSaver.prune` for LangGraph's own `PostgresSaver`, patched or not, without switching
 * savers: the same policy, safety rules and report, run by the Rust engine on the saver's database
 * and schema (one connection of its own, closed afterwards; a patched saver's Rust pool when it has
 * one). Neither the saver nor its pool is changed. A `RustPostgresSaver` is pruned directly.
 */
export async function prunePostgresSaver(saver: BaseCheckpointSaver, options: PruneOptions = {}): Promise<PruneReport> {
  if (saver instanceof RustPostgresSaver) return saver.prune(options);
  const accelerated = rustSaverOf(saver);
  if (accelerated && !accelerated.ended) return accelerated.prune(options);
  const store = storeFor(saver);
  try {
    return await store.prune(options);
  } finally {
    await store.end();
  }
}

/** `RustPostgresSaver.vacuum` (plain VACUUM, never FULL) for a `PostgresSaver`'s tables. */
export async function vacuumPostgresSaver(saver: BaseCheckpointSaver): Promise<{ bytesBefore: number; bytesAfter: number }> {
  if (saver instanceof RustPostgresSaver) return saver.vacuum();
  const store = storeFor(saver);
  try {
    return await store.vacuum();
  } finally {
    await store.end();
  }
}

/**
 * Background retention for a `PostgresSaver`: `prunePostgresSaver(saver, policy)` every
 * `options.every` ms on one Rust connection kept for it (the timer does not keep the process alive).
 * Returns a stop function that also closes that connection.
 */
export function schedulePostgresSaverRetention(saver: BaseCheckpointSaver, options: RetentionOptions): () => Promise<void> {
  const store = storeFor(saver);
  let stop: () => void;
  try {
    stop = scheduleRetention((policy) => store.prune(policy), options, "prunePostgresSaver");
  } catch (error) {
    void store.end();
    throw error;
  }
  return async () => {
    stop();
    await store.end();
  };
}
