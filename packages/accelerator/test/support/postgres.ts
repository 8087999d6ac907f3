import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";

import pg from "pg";

const script = path.resolve(__dirname, "../../../../scripts/test-postgres.sh");
let url: string | undefined;
let counter = 0;

/** A server of scripts/test-postgres.sh: the shared one, or a private one (own port and folder). */
export interface PostgresServer {
  url: string;
  /** With TLS: the test CA's certificate file (the server's certificate names "localhost" only). */
  caFile: string;
  /** With TLS: the folder of ca.pem, other-ca.pem, client.crt/.key and other-client.crt/.key (see the script). */
  tlsDir: string;
  start(): void;
  stop(): void;
  restart(): void;
  /** Restarts without blocking the event loop, so work in flight meets the outage. */
  restartInBackground(): Promise<void>;
}

function control(env: NodeJS.ProcessEnv, command: string): string {
  return execFileSync(script, [command], { encoding: "utf8", env: { ...process.env, ...env } }).trim();
}

/**
 * The connection string of the test server: FLG_TEST_PG_URL if set, else the private loopback server
 * that scripts/test-postgres.sh installs (Debian's package) and starts.
 */
export function postgresUrl(): string {
  url ??= process.env.FLG_TEST_PG_URL ?? control({}, "start");
  return url;
}

/** A server of its own, for tests that stop and restart it while other test files use the shared one. */
export function privatePostgres(port: number, options: { tls?: boolean; chain?: boolean } = {}): PostgresServer {
  const dir = `/tmp/fast-langgraph-pg-${port}`;
  const env = {
    FLG_PG_PORT: String(port),
    FLG_PG_DIR: dir,
    FLG_PG_TLS: options.tls ? "1" : "0",
    FLG_PG_TLS_CHAIN: options.chain ? "1" : "0",
  };
  const serverUrl = control(env, "start");
  return {
    url: serverUrl,
    caFile: `${dir}/tls/ca.pem`,
    tlsDir: `${dir}/tls`,
    start: () => void control(env, "start"),
    stop: () => void control(env, "stop"),
    restart: () => void control(env, "restart"),
    restartInBackground: async () => {
      await promisify(execFile)(script, ["restart"], { env: { ...process.env, ...env } });
    },
  };
}

/** A schema name no other test (or test process) uses. */
export function freshSchema(name = "t"): string {
  counter += 1;
  return `flg_${name}_${process.pid}_${counter}_${Date.now().toString(36)}`;
}

/** Runs SQL with node-postgres (the driver the official saver uses), for setup and inspection. */
export async function withPg<T>(fn: (client: pg.Client) => Promise<T>, connectionString = postgresUrl()): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string, connectionString = postgresUrl()): Promise<void> {
  await withPg((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`), connectionString);
}

/** The port of the private TLS server (FLG_TEST_TLS_PG_PORT, default 55434; its folder follows the port). */
export function tlsPostgresPort(): number {
  return Number(process.env.FLG_TEST_TLS_PG_PORT ?? 55434);
}

/**
 * The port of the private TLS server that sends its certificate with an intermediate CA (scripts/test-postgres.sh
 * FLG_PG_TLS_CHAIN=1): FLG_TEST_TLS_CHAIN_PG_PORT, default the TLS server's port + 1.
 */
export function tlsChainPostgresPort(): number {
  return Number(process.env.FLG_TEST_TLS_CHAIN_PG_PORT ?? tlsPostgresPort() + 1);
}
