import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";

import { RustPostgresSaver } from "../../src";
import { type PostgresServer, freshSchema, postgresUrl, privatePostgres, tlsPostgresPort, withPg } from "../support/postgres";

// A server of its own that serves TLS with a certificate for "localhost" signed by a test CA.
let server: PostgresServer;
beforeAll(() => {
  server = privatePostgres(tlsPostgresPort(), { tls: true });
});

const withHost = (host: string, query: string) => server.url.replace("@127.0.0.1:", `@${host}:`) + query;

/** Sets up a schema, stores a checkpoint and reads it back; returns whether our connection was encrypted. */
async function roundTrip(saver: RustPostgresSaver, app: string): Promise<boolean> {
  try {
    await saver.setup();
    const checkpoint = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { a: "secret" }, channel_versions: { a: 1 } };
    const config = await saver.put(
      { configurable: { thread_id: "t", checkpoint_ns: "" } },
      checkpoint,
      { source: "input", step: -1, parents: {} },
      { a: 1 },
    );
    expect((await saver.getTuple(config))?.checkpoint.channel_values).toEqual({ a: "secret" });
    const { rows } = await withPg(
      (c) => c.query("SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1", [app]),
      server.url,
    );
    expect(rows.length).toBeGreaterThan(0);
    return rows.every((r) => r.ssl === true);
  } finally {
    await saver.end();
  }
}

describe("RustPostgresSaver over TLS (sslmode as node-postgres reads it)", () => {
  it("sslmode=require verifies, as it does for PostgresSaver (pg 8); with uselibpqcompat=true it encrypts unchecked", async () => {
    const checked = new RustPostgresSaver(
      withHost("localhost", `?sslmode=require&sslrootcert=${encodeURIComponent(server.caFile)}&application_name=tls-checked`),
      {
        schema: freshSchema("tls"),
      },
    );
    expect(await roundTrip(checked, "tls-checked")).toBe(true);
    const refused = new RustPostgresSaver(`${server.url}?sslmode=require`, { connectTimeoutMs: 1000 });
    await expect(refused.setup()).rejects.toThrow(/certificate.*UnknownIssuer/i);
    await refused.end();
    const libpq = new RustPostgresSaver(`${server.url}?uselibpqcompat=true&sslmode=require&application_name=tls-require`, {
      schema: freshSchema("tls"),
    });
    expect(await roundTrip(libpq, "tls-require")).toBe(true);
  });

  it("the default (prefer) encrypts when the server offers TLS", async () => {
    const saver = new RustPostgresSaver(`${server.url}?application_name=tls-prefer`, { schema: freshSchema("tls") });
    expect(await roundTrip(saver, "tls-prefer")).toBe(true);
  });

  it("verify-full with the CA file connects to the name the certificate holds", async () => {
    const url = withHost("localhost", `?sslmode=verify-full&sslrootcert=${encodeURIComponent(server.caFile)}&application_name=tls-full`);
    expect(await roundTrip(new RustPostgresSaver(url, { schema: freshSchema("tls") }), "tls-full")).toBe(true);
  });

  it("verify-full given as connection fields", async () => {
    const url = new URL(server.url);
    const saver = new RustPostgresSaver({
      host: "localhost",
      port: Number(url.port),
      user: url.username,
      password: url.password,
      database: "flg",
      applicationName: "tls-fields",
      sslmode: "verify-full",
      sslrootcert: server.caFile,
      schema: freshSchema("tls"),
    });
    expect(await roundTrip(saver, "tls-fields")).toBe(true);
  });

  it("verify-full refuses a certificate for another name; libpq's verify-ca accepts it, pg's verify-ca does not", async () => {
    const ca = encodeURIComponent(server.caFile);
    const full = new RustPostgresSaver(`${server.url}?sslmode=verify-full&sslrootcert=${ca}`, { connectTimeoutMs: 1000 });
    await expect(full.setup()).rejects.toThrow(/cannot reach PostgreSQL at 127\.0\.0\.1:\d+\/flg: .*certificate.*not valid for name/i);
    await full.end();
    const pgVerifyCa = new RustPostgresSaver(`${server.url}?sslmode=verify-ca&sslrootcert=${ca}`, { connectTimeoutMs: 1000 });
    await expect(pgVerifyCa.setup()).rejects.toThrow(/not valid for name/i);
    await pgVerifyCa.end();
    const chainOnly = new RustPostgresSaver(
      `${server.url}?uselibpqcompat=true&sslmode=verify-ca&sslrootcert=${ca}&application_name=tls-ca`,
      {
        schema: freshSchema("tls"),
      },
    );
    expect(await roundTrip(chainOnly, "tls-ca")).toBe(true);
  });

  it("verify-full refuses a certificate no trusted root signed", async () => {
    const saver = new RustPostgresSaver(withHost("localhost", "?sslmode=verify-full"), { connectTimeoutMs: 1000 });
    await expect(saver.setup()).rejects.toThrow(/certificate.*UnknownIssuer/i);
    await saver.end();
  });

  it("require against a server without TLS says so", async () => {
    const saver = new RustPostgresSaver(`${postgresUrl()}?sslmode=require`, { connectTimeoutMs: 1000 });
    await expect(saver.setup()).rejects.toThrow(/server does not support TLS/);
    await saver.end();
  });
});
