import { execFileSync } from "node:child_process";
import path from "node:path";

import pg from "pg";

const script = path.resolve(__dirname, "../../../../scripts/test-postgres.sh");
let url: string | undefined;
let counter = 0;

/**
 * The connection string of the test server: FLG_TEST_PG_URL if set, else the private loopback server
 * that scripts/test-postgres.sh installs (Debian's package) and starts.
 */
export function postgresUrl(): string {
  url ??= process.env.FLG_TEST_PG_URL ?? execFileSync(script, ["start"], { encoding: "utf8" }).trim();
  return url;
}

/** Stops and starts the test server (fast shutdown: open connections are cut). */
export function restartPostgres(): void {
  execFileSync(script, ["restart"], { encoding: "utf8" });
}

/** A schema name no other test (or test process) uses. */
export function freshSchema(name = "t"): string {
  counter += 1;
  return `flg_${name}_${process.pid}_${counter}_${Date.now().toString(36)}`;
}

/** Runs SQL with node-postgres (the driver the official saver uses), for setup and inspection. */
export async function withPg<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await withPg((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}
