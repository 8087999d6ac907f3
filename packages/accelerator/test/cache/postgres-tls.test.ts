import { RustLLMCache } from "../../src";
import { type PostgresServer, freshSchema, privatePostgres, withPg } from "../support/postgres";

// The PostgreSQL cache tier connects with RustPostgresSaver's TLS code: the same sslmode and
// sslrootcert rules, against a server of its own with a certificate for "localhost" from a test CA.
let server: PostgresServer;
beforeAll(() => {
  server = privatePostgres(55437, { tls: true });
});

const unique = (n: string) => `${n}-${process.pid}-${Date.now()}-${Math.random()}`;
const withHost = (host: string, query: string) => server.url.replace("@127.0.0.1:", `@${host}:`) + query;

async function encrypted(app: string): Promise<boolean[]> {
  const { rows } = await withPg(
    (c) => c.query("SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1", [app]),
    server.url,
  );
  return rows.map((r) => r.ssl as boolean);
}

describe("the PostgreSQL cache tier over TLS", () => {
  it("verify-full with the CA file stores and reads over an encrypted connection", async () => {
    const app = `cache-tls-${process.pid}`;
    const url = withHost("localhost", `?sslmode=verify-full&sslrootcert=${encodeURIComponent(server.caFile)}&application_name=${app}`);
    const pg = { connectionString: url, schema: freshSchema("cachetls"), table: "c" };
    const writer = new RustLLMCache({ name: unique("w"), postgres: pg });
    await writer.update("p", "k", [{ text: "over TLS" }]);
    await writer.flush();
    expect(writer.stats().postgresError).toBeFalsy();
    const ssl = await encrypted(app);
    expect(ssl.length).toBeGreaterThan(0);
    expect(ssl.every(Boolean)).toBe(true);
    expect((await new RustLLMCache({ name: unique("r"), postgres: pg }).lookup("p", "k"))?.[0].text).toBe("over TLS");
  });

  it("verify-full refuses a host name the certificate does not hold, naming the cause", async () => {
    const url = `${server.url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(server.caFile)}`;
    const cache = new RustLLMCache({ name: unique("wrong-host"), postgres: { connectionString: url, table: "c" } });
    const failure = await cache.ready().then(
      () => "connected",
      (e: Error) => e.message,
    );
    expect(failure).toMatch(
      /^RustLLMCache: cache table "public"."c" at 127\.0\.0\.1:\d+\/flg: .*certificate not valid for name "127\.0\.0\.1"/,
    );
    expect(failure).not.toContain(new URL(server.url).password);
  });
});
