import type { NativeCacheStats } from "@fast-langgraph/native";

const warned = new Set<string>();

/** Where a cache keeps its entries, as its stats name it (never a password, a key or a value). */
function location(stats: NativeCacheStats, name: string | undefined): string {
  const tiers = [stats.path ? `file ${stats.path}` : "", stats.postgres ? `PostgreSQL ${stats.postgres}` : ""].filter(Boolean);
  if (tiers.length > 0) return tiers.join(", ");
  return name === undefined ? "memory" : `memory, name ${JSON.stringify(name)}`;
}

/**
 * An entry that cannot be decoded answers as a miss (the model is called and its answer replaces the
 * entry). Reported once per cache location and problem as a process warning naming both; counted in
 * `stats().corrupt`.
 */
export function warnCorruptEntry(kind: string, stats: NativeCacheStats, name: string | undefined, problem: string): void {
  const message = `${kind} (${location(stats, name)}): an entry could not be read, answering as a miss and removing it: ${problem}`;
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { code: "FAST_LANGGRAPH_CACHE_CORRUPT" });
}
