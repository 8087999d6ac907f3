import type { PostgresConnection } from "../savers/postgres-connection";
import type { RustPostgresSaverOptions } from "../savers/rust-postgres-saver";
import { type PgConnectionParameters, tlsOfParameters } from "./postgres-tls";

/** What the Rust client is given for a pool: its connection and TLS settings. */
export interface RustConnection {
  connection: PostgresConnection;
  tls?: RustPostgresSaverOptions["tls"];
}

/** Server settings node-postgres sends in its startup message when set (pg 8 `getStartupConf`). */
const STARTUP_SETTINGS = ["statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"] as const;

/**
 * The startup `options` the Rust client sends for pg's startup message: the pool's own `options`, then
 * pg's timeout settings as `-c` switches. PostgreSQL applies a startup message's other settings after
 * its `options`, and a later `-c` wins over an earlier one, so the session gets the same values.
 */
function startupOptions(params: PgConnectionParameters): string | undefined {
  const switches = STARTUP_SETTINGS.filter((name) => params[name]).map(
    (name) => `-c ${name}=${String(Number.parseInt(String(params[name]), 10))}`,
  );
  const given = typeof params.options === "string" && params.options !== "" ? [params.options] : [];
  const all = [...given, ...switches];
  return all.length > 0 ? all.join(" ") : undefined;
}

/**
 * The connection the Rust client makes exactly as node-postgres would, built from pg's own resolved
 * parameters (its parsing of the connection string, the pool's options, PG* environment variables and
 * defaults: host, port, user, password, database, application name, startup settings and TLS); else why
 * not. Settings pg applies on the client side (`query_timeout`), replication connections, several hosts,
 * a password callback or a stream factory keep PostgresSaver's own code.
 */
export function rustConnectionOf(
  poolOptions: Record<string, unknown>,
  params: PgConnectionParameters,
  env: NodeJS.ProcessEnv = process.env,
  execArgv: string[] = process.execArgv,
): RustConnection | string {
  if (typeof poolOptions.password === "function" || typeof params.password === "function") {
    return "its pool takes the password from a callback";
  }
  // A stream factory (a tunnel, a proxy socket) is a route the Rust client does not take.
  if (poolOptions.stream !== undefined) return "its pool connects through its own stream factory";
  if (params.query_timeout) return "its pool sets query_timeout, a limit node-postgres applies on the client side";
  if (params.replication) return "it opens replication connections";
  if (typeof params.host === "string" && params.host.includes(",")) return "its connection names several hosts";
  if (params.password !== undefined && params.password !== null && typeof params.password !== "string") {
    return "its password is not a string";
  }
  const translated = tlsOfParameters(params, poolOptions.ssl, env, execArgv);
  if ("reason" in translated) return translated.reason;
  const plain = translated.tls === "disable";
  const port = Number.isInteger(params.port) ? params.port : undefined;
  return {
    connection: {
      host: params.host,
      port,
      user: params.user,
      password: (params.password ?? undefined) as string | undefined,
      database: params.database,
      applicationName: params.application_name || params.fallback_application_name || undefined,
      options: startupOptions(params),
      ...(plain ? { sslmode: "disable" as const } : {}),
    },
    tls: plain ? undefined : (translated.tls as RustPostgresSaverOptions["tls"]),
  };
}
