/** Where a RustPostgresSaver connects, as node-postgres describes a connection. */
export type PostgresConnection =
  | { connectionString: string }
  | {
      host?: string;
      port?: number;
      user?: string;
      password?: string;
      database?: string;
      applicationName?: string;
      /** Startup options sent to the server, as node-postgres's `options` (e.g. "-c statement_timeout=5000"). */
      options?: string;
      /**
       * TLS, read as node-postgres 8 reads it (so as PostgresSaver would): "disable"; "no-verify" (encrypted,
       * unchecked); any other ("prefer", "require", "verify-ca", "verify-full") verifies the chain and the host.
       * Unset: encrypted when the server offers TLS, unchecked. libpq's meanings with `uselibpqcompat=true` in a URL.
       */
      sslmode?: "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full" | "no-verify";
      /** A PEM file of the CA certificates to trust ("system": the Mozilla roots built in). */
      sslrootcert?: string;
      /** A PEM file of a client certificate, sent when the server asks for one (with `sslkey`). */
      sslcert?: string;
      /** The PEM file of that certificate's unencrypted private key. */
      sslkey?: string;
    };

const KEYWORDS: Record<string, string> = {
  host: "host",
  port: "port",
  user: "user",
  password: "password",
  database: "dbname",
  applicationName: "application_name",
  options: "options",
  sslmode: "sslmode",
  sslrootcert: "sslrootcert",
  sslcert: "sslcert",
  sslkey: "sslkey",
};

/** A connection string for the Rust client: a URL as given, or libpq key=value pairs from the fields. */
export function postgresConnectionString(connection: string | PostgresConnection): string {
  if (typeof connection === "string") return connection;
  if ("connectionString" in connection && typeof connection.connectionString === "string") return connection.connectionString;
  const fields = connection as Record<string, unknown>;
  const pairs = Object.entries(KEYWORDS)
    .filter(([field]) => fields[field] !== undefined && fields[field] !== null)
    .map(([field, keyword]) => `${keyword}='${String(fields[field]).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`);
  if (pairs.length === 0) {
    throw new Error("RustPostgresSaver: no connection given (a connection string, or connectionString, or host/user/database fields)");
  }
  return pairs.join(" ");
}
