import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import pg from "pg";

const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../scripts/test-postgres.sh");

/** FLG_BENCH_PG_URL or FLG_TEST_PG_URL if set, else the loopback server scripts/test-postgres.sh starts. */
export function benchPostgresUrl() {
  return process.env.FLG_BENCH_PG_URL ?? process.env.FLG_TEST_PG_URL ?? execFileSync(script, ["start"], { encoding: "utf8" }).trim();
}

export async function withPg(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

let checkpointRefused = false;

/**
 * Flushes the server's dirty buffers (`CHECKPOINT`), so a run does not start while the server still writes out
 * what an earlier run left (a thread of 250 turns leaves hundreds of MB; on this 2-core VM, 20 chat turns on
 * PostgresSaver after 400 MB written and dropped took 2.4x as long: 110 against 47 ms per turn, an ad hoc run). Needs a superuser or pg_checkpoint; without them it warns once and the runs go on unsettled.
 */
export async function settleServer(url) {
  if (checkpointRefused) return;
  try {
    await withPg(url, (c) => c.query("CHECKPOINT"));
  } catch (error) {
    checkpointRefused = true;
    console.warn(`  CHECKPOINT refused (${error.message}): runs start without flushing the server's writes first`);
  }
}

/** Rows and bytes (heap, TOAST and indexes) of every table in `schema`, and their totals. */
export async function schemaFootprint(url, schema) {
  return withPg(url, async (c) => {
    const { rows: names } = await c.query("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", [schema]);
    const tables = {};
    for (const { tablename } of names) {
      const qualified = `"${schema}"."${tablename}"`;
      const { rows } = await c.query(
        `SELECT count(*)::int AS rows, pg_total_relation_size($1::regclass)::bigint AS bytes FROM ${qualified}`,
        [qualified],
      );
      tables[tablename] = { rows: rows[0].rows, bytes: Number(rows[0].bytes) };
    }
    const sum = (key) => Object.values(tables).reduce((a, t) => a + t[key], 0);
    return { tables, rows: sum("rows"), bytes: sum("bytes") };
  });
}
