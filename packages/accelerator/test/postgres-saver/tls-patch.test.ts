import { readFileSync } from "node:fs";

import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import pg from "pg";

import { RustPostgresSaver, getPatchStatus, patchLangGraph, unpatchLangGraph } from "../../src";
import { isAcceleratedPostgresSaver } from "../../src/patch/postgres-saver";
import {
  type PostgresServer,
  freshSchema,
  postgresUrl,
  privatePostgres,
  tlsChainPostgresPort,
  tlsPostgresPort,
  withPg,
} from "../support/postgres";

// Each TLS setting node-postgres reads, in both directions, against a private TLS server (a throwaway CA;
// the server's certificate names "localhost" only; role flgcert logs in only with a client certificate
// that CA signed). Unpatched PostgresSaver decides; patched must decide the same, and when it accepts,
// run on the Rust client only if that applies the same checks (else keep its own code and say why).
let server: PostgresServer;
let tlsDir: string;
beforeAll(() => {
  server = privatePostgres(tlsPostgresPort(), { tls: true });
  tlsDir = server.tlsDir;
});
afterEach(() => unpatchLangGraph());

const onlyPostgres = { memorySaver: false, sqliteSaver: false, stateMerger: false, caches: false };
const file = (name: string) => `${tlsDir}/${name}`;
const q = (name: string) => encodeURIComponent(file(name));
/** The TLS server at `host` (its certificate names localhost, not 127.0.0.1), as `user`, with `query`. */
const tlsUrl = (host: string, query: string, user = "flg:flg-test-password") =>
  `postgresql://${user}@${host}:${new URL(server.url).port}/flg?${query}`;
const plainUrl = (query: string) => `${postgresUrl()}?${query}`;

type Outcome = { ok: true; encrypted: boolean[] } | { ok: false; message: string };

/**
 * A schema set up over a trusted connection: the saver under test only stores and reads, as an app whose
 * migrations ran elsewhere (PostgresSaver's setup() is never delegated to the Rust client). The URL has
 * sslmode=disable: PGSSLMODE, which some tests set, must not reach these connections.
 */
async function preparedSchema(inspectUrl: string): Promise<string> {
  const schema = freshSchema("tlsp");
  const setupSaver = PostgresSaver.fromConnString(inspectUrl, { schema });
  await setupSaver.setup();
  await setupSaver.end();
  if (inspectUrl.startsWith(server.url)) {
    await withPg(
      (c) => c.query(`GRANT ALL ON SCHEMA "${schema}" TO flgcert; GRANT ALL ON ALL TABLES IN SCHEMA "${schema}" TO flgcert`),
      inspectUrl,
    );
  }
  return schema;
}

/** The same connection string on RustPostgresSaver: whether it stores and reads a checkpoint. */
async function tryRustPostgresSaver(connectionString: string, inspectUrl: string): Promise<boolean> {
  inspectUrl = `${inspectUrl}?sslmode=disable`;
  const schema = await preparedSchema(inspectUrl);
  let saver: RustPostgresSaver;
  try {
    // A CA file OpenSSL refuses outright is named by the constructor.
    saver = new RustPostgresSaver(connectionString, { schema, connectTimeoutMs: 2000 });
  } catch {
    await withPg((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`), inspectUrl).catch(() => {});
    return false;
  }
  try {
    const checkpoint = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { a: "secret" }, channel_versions: { a: 1 } };
    const config = await saver.put(
      { configurable: { thread_id: "t", checkpoint_ns: "" } },
      checkpoint,
      { source: "input", step: -1, parents: {} },
      { a: 1 },
    );
    return (await saver.getTuple(config))?.checkpoint.channel_values.a === "secret";
  } catch {
    return false;
  } finally {
    await saver.end();
    await withPg((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`), inspectUrl).catch(() => {});
  }
}

/** put and getTuple on a PostgresSaver over `pool`; the connections' encryption as the server saw it. */
async function tryPostgresSaver(options: pg.PoolConfig, app: string, inspectUrl: string): Promise<Outcome & { accelerated: boolean }> {
  const named = options.connectionString
    ? { ...options, connectionString: `${options.connectionString}&application_name=${app}` }
    : { ...options, application_name: app };
  inspectUrl = `${inspectUrl}?sslmode=disable`;
  const schema = await preparedSchema(inspectUrl);
  const saver = new PostgresSaver(new pg.Pool(named), undefined, { schema });
  try {
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
      inspectUrl,
    );
    return { ok: true, encrypted: rows.map((r) => r.ssl as boolean), accelerated: isAcceleratedPostgresSaver(saver) };
  } catch (error) {
    return { ok: false, message: (error as Error).message, accelerated: isAcceleratedPostgresSaver(saver) };
  } finally {
    await saver.end().catch(() => {});
    await withPg((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`), inspectUrl).catch(() => {});
  }
}

let appCount = 0;
/** The same settings unpatched, then patched: same outcome; accelerated exactly when `accelerated`. */
async function bothWays(
  options: pg.PoolConfig,
  expected: { accepts: boolean; accelerated: boolean; encrypted?: boolean; inspect?: string },
) {
  const inspect = expected.inspect ?? server.url;
  appCount += 1;
  const unpatched = await tryPostgresSaver(options, `tlsp-u-${appCount}`, inspect);
  // Accepting: the error, if any, is shown; refusing: it must have refused.
  if (expected.accepts) expect("message" in unpatched ? unpatched.message : "accepted").toBe("accepted");
  else expect(unpatched.ok).toBe(false);
  // RustPostgresSaver reads a connection string as node-postgres does: the same outcome.
  if (options.connectionString) expect(await tryRustPostgresSaver(options.connectionString, inspect)).toBe(unpatched.ok);
  await patchLangGraph(onlyPostgres);
  const patched = await tryPostgresSaver(options, `tlsp-p-${appCount}`, inspect);
  const skipped = getPatchStatus().skipped.filter((s) => s.target.startsWith("a PostgresSaver"));
  unpatchLangGraph();
  if (unpatched.ok) {
    expect(patched.ok).toBe(true);
    expect(patched.accelerated).toBe(expected.accelerated);
    if (patched.ok && expected.encrypted !== undefined) {
      expect(patched.encrypted.length).toBeGreaterThan(0);
      expect(new Set(patched.encrypted)).toEqual(new Set([expected.encrypted]));
      expect(new Set(unpatched.ok ? unpatched.encrypted : [])).toEqual(new Set([expected.encrypted]));
    }
  } else {
    // Refused: by node-postgres's own code (the instance kept it), with node-postgres's own error.
    expect(patched).toEqual({ ok: false, message: unpatched.message, accelerated: false });
    expect(skipped).toHaveLength(1);
  }
  return { unpatched, patched, skipped };
}

describe("a patched PostgresSaver over TLS decides as node-postgres does", () => {
  it("sslrootcert alone (pg: verify-full) is accelerated where the certificate is valid for the host", async () => {
    await bothWays(
      { connectionString: tlsUrl("localhost", `sslrootcert=${q("ca.pem")}`) },
      { accepts: true, accelerated: true, encrypted: true },
    );
  });

  it("sslrootcert alone refuses a certificate naming another host", async () => {
    await bothWays({ connectionString: tlsUrl("127.0.0.1", `sslrootcert=${q("ca.pem")}`) }, { accepts: false, accelerated: false });
  });

  it("sslrootcert alone refuses a certificate from another CA", async () => {
    await bothWays({ connectionString: tlsUrl("localhost", `sslrootcert=${q("other-ca.pem")}`) }, { accepts: false, accelerated: false });
  });

  it("sslrootcert alone refuses a server without TLS", async () => {
    await bothWays(
      { connectionString: plainUrl(`sslrootcert=${q("ca.pem")}`) },
      { accepts: false, accelerated: false, inspect: postgresUrl() },
    );
  });

  it("sslmode=require and verify-ca (pg: verify-full) without a CA refuse the test CA, which Node does not trust", async () => {
    const { skipped } = await bothWays(
      { connectionString: tlsUrl("localhost", "sslmode=require") },
      { accepts: false, accelerated: false },
    );
    // Without NODE_EXTRA_CA_CERTS the first call connects through pg, which refuses (its own error is the
    // reason); with it (this machine's shell sets it, CI's may not) Node's store holds certificates the patch
    // does not reproduce.
    expect(skipped[0].reason).toMatch(
      process.env.NODE_EXTRA_CA_CERTS ? /NODE_EXTRA_CA_CERTS/ : /node-postgres could not connect when first used: self-signed certificate/,
    );
    await bothWays({ connectionString: tlsUrl("localhost", "sslmode=verify-ca") }, { accepts: false, accelerated: false });
  });

  it("without a CA the Rust client is given Node's bundled roots (tls.rootCertificates), which refuse the test CA", async () => {
    const extra = process.env.NODE_EXTRA_CA_CERTS;
    delete process.env.NODE_EXTRA_CA_CERTS;
    try {
      const { skipped } = await bothWays(
        { connectionString: tlsUrl("localhost", "sslmode=require") },
        { accepts: false, accelerated: false },
      );
      // node-postgres refuses first (the patch connects once through its pool before the Rust setup).
      expect(skipped[0].reason).toMatch(/node-postgres could not connect when first used: self-signed certificate/);
    } finally {
      if (extra !== undefined) process.env.NODE_EXTRA_CA_CERTS = extra;
    }
  });

  it("sslmode=verify-full with the CA is accelerated; with another CA refuses", async () => {
    await bothWays(
      { connectionString: tlsUrl("localhost", `sslmode=verify-full&sslrootcert=${q("ca.pem")}`) },
      { accepts: true, accelerated: true, encrypted: true },
    );
    await bothWays(
      { connectionString: tlsUrl("localhost", `sslmode=verify-full&sslrootcert=${q("other-ca.pem")}`) },
      { accepts: false, accelerated: false },
    );
  });

  it("a root with an unknown critical extension refuses (OpenSSL: unhandled critical extension), by pg's own code", async () => {
    const { unpatched, skipped } = await bothWays(
      { connectionString: tlsUrl("localhost", `sslrootcert=${q("anchors/critical-ext.pem")}`) },
      { accepts: false, accelerated: false },
    );
    expect(unpatched).toMatchObject({ message: expect.stringMatching(/unhandled critical extension/) });
    expect(skipped[0].reason).toMatch(/unhandled critical extension|1\.2\.3\.4\.5/);
  });

  it("a pathlen:0 root with a server sending an intermediate refuses (OpenSSL: path length constraint exceeded); pathlen:1 is accelerated", async () => {
    const chain = privatePostgres(tlsChainPostgresPort(), { tls: true, chain: true });
    const chainUrl = (name: string) =>
      `postgresql://flg:flg-test-password@localhost:${new URL(chain.url).port}/flg?sslrootcert=${encodeURIComponent(`${chain.tlsDir}/${name}`)}`;
    const { unpatched, skipped } = await bothWays(
      { connectionString: chainUrl("anchors/pathlen0.pem") },
      { accepts: false, accelerated: false, inspect: chain.url },
    );
    expect(unpatched).toMatchObject({ message: expect.stringMatching(/path length constraint exceeded/) });
    // node-postgres refuses first (the patch connects once through its pool before the Rust setup).
    expect(skipped[0].reason).toMatch(/node-postgres could not connect when first used: path length constraint exceeded/);
    await bothWays(
      { connectionString: chainUrl("anchors/pathlen1.pem") },
      { accepts: true, accelerated: true, encrypted: true, inspect: chain.url },
    );
    await bothWays({ connectionString: chainUrl("ca.pem") }, { accepts: true, accelerated: true, encrypted: true, inspect: chain.url });
  });

  it("sslmode=no-verify encrypts without checks, accelerated; it still refuses a server without TLS", async () => {
    await bothWays({ connectionString: tlsUrl("127.0.0.1", "sslmode=no-verify") }, { accepts: true, accelerated: true, encrypted: true });
    await bothWays({ connectionString: plainUrl("sslmode=no-verify") }, { accepts: false, accelerated: false, inspect: postgresUrl() });
  });

  it("sslmode=disable talks plaintext to a TLS server, accelerated and unencrypted as well", async () => {
    await bothWays({ connectionString: tlsUrl("127.0.0.1", "sslmode=disable") }, { accepts: true, accelerated: true, encrypted: false });
  });

  it("uselibpqcompat=true: require checks nothing, verify-ca the chain only, prefer never falls back to plaintext", async () => {
    await bothWays(
      { connectionString: tlsUrl("127.0.0.1", "uselibpqcompat=true&sslmode=require") },
      { accepts: true, accelerated: true, encrypted: true },
    );
    await bothWays(
      { connectionString: tlsUrl("127.0.0.1", `uselibpqcompat=true&sslmode=verify-ca&sslrootcert=${q("ca.pem")}`) },
      { accepts: true, accelerated: true, encrypted: true },
    );
    await bothWays(
      { connectionString: tlsUrl("127.0.0.1", `uselibpqcompat=true&sslmode=require&sslrootcert=${q("other-ca.pem")}`) },
      { accepts: false, accelerated: false },
    );
    await bothWays(
      { connectionString: plainUrl("uselibpqcompat=true&sslmode=prefer") },
      { accepts: false, accelerated: false, inspect: postgresUrl() },
    );
  });

  it("sslcert/sslkey: the client certificate the server's CA signed logs in, accelerated; another CA's or none does not", async () => {
    const client = `sslrootcert=${q("ca.pem")}&sslcert=${q("client.crt")}&sslkey=${q("client.key")}`;
    await bothWays({ connectionString: tlsUrl("localhost", client, "flgcert") }, { accepts: true, accelerated: true, encrypted: true });
    const other = `sslrootcert=${q("ca.pem")}&sslcert=${q("other-client.crt")}&sslkey=${q("other-client.key")}`;
    await bothWays({ connectionString: tlsUrl("localhost", other, "flgcert") }, { accepts: false, accelerated: false });
    await bothWays(
      { connectionString: tlsUrl("localhost", `sslrootcert=${q("ca.pem")}`, "flgcert") },
      { accepts: false, accelerated: false },
    );
  });

  it("sslnegotiation=direct keeps PostgresSaver's own code (this server, PostgreSQL 15, refuses it either way)", async () => {
    const { skipped } = await bothWays(
      { connectionString: tlsUrl("localhost", `sslmode=verify-full&sslrootcert=${q("ca.pem")}&sslnegotiation=direct`) },
      { accepts: false, accelerated: false },
    );
    expect(skipped[0].reason).toBe("keeps its own code: it negotiates TLS with sslnegotiation=direct");
  });
});

describe("node-postgres ssl objects through the pool's options", () => {
  const port = () => Number(new URL(server.url).port);
  const fields = (host: string, ssl: pg.PoolConfig["ssl"], user = "flg") => ({
    host,
    port: port(),
    user,
    password: "flg-test-password",
    database: "flg",
    ssl,
  });

  it("{ ca } is accelerated for the host the certificate names, refuses another host and another CA", async () => {
    await bothWays(fields("localhost", { ca: readFileSync(file("ca.pem"), "utf8") }), {
      accepts: true,
      accelerated: true,
      encrypted: true,
    });
    await bothWays(fields("127.0.0.1", { ca: readFileSync(file("ca.pem")) }), { accepts: false, accelerated: false });
    await bothWays(fields("localhost", { ca: [readFileSync(file("other-ca.pem"))] }), { accepts: false, accelerated: false });
  });

  it("{ rejectUnauthorized: false } encrypts unchecked, accelerated", async () => {
    await bothWays(fields("127.0.0.1", { rejectUnauthorized: false }), { accepts: true, accelerated: true, encrypted: true });
  });

  it("ssl: true verifies against Node's roots: refuses the test CA either way", async () => {
    await bothWays(fields("localhost", true), { accepts: false, accelerated: false });
  });

  it("{ ca, cert, key } logs in with the client certificate, accelerated; another CA's is refused", async () => {
    const ca = readFileSync(file("ca.pem"), "utf8");
    const client = { ca, cert: readFileSync(file("client.crt"), "utf8"), key: readFileSync(file("client.key"), "utf8") };
    await bothWays(fields("localhost", client, "flgcert"), { accepts: true, accelerated: true, encrypted: true });
    const other = { ca, cert: readFileSync(file("other-client.crt")), key: readFileSync(file("other-client.key")) };
    await bothWays(fields("localhost", other, "flgcert"), { accepts: false, accelerated: false });
  });

  it("options the Rust client does not apply keep PostgresSaver's own code, and say which", async () => {
    const ca = readFileSync(file("ca.pem"), "utf8");
    // servername is honoured by pg for an IP host: the certificate's name matches, unpatched accepts.
    const { skipped } = await bothWays(fields("127.0.0.1", { ca, servername: "localhost" }), { accepts: true, accelerated: false });
    expect(skipped.map((s) => s.reason)).toEqual(['keeps its own code: its ssl option "servername" is not translated']);
    const pinned = await bothWays(fields("localhost", { ca, checkServerIdentity: () => new Error("pinned elsewhere") }), {
      accepts: false,
      accelerated: false,
    });
    expect(pinned.skipped[0].reason).toMatch(/checkServerIdentity callback/);
  });

  it("a CA option holding a certificate that is not a self-signed root keeps PostgresSaver's own code", async () => {
    // Node 20 takes only self-signed roots as trust anchors (webpki takes any): client.crt anchors nothing for pg.
    const { skipped } = await bothWays(fields("localhost", { ca: readFileSync(file("client.crt"), "utf8") }), {
      accepts: false,
      accelerated: false,
    });
    expect(skipped[0].reason).toMatch(/other than a self-signed root CA/);
  });

  it("{ ca } with a pathlen:0 root and a server sending an intermediate refuses by pg's own code", async () => {
    const chain = privatePostgres(tlsChainPostgresPort(), { tls: true, chain: true });
    const ca = (name: string) => readFileSync(`${chain.tlsDir}/${name}`, "utf8");
    const at = (ssl: pg.PoolConfig["ssl"]) => ({ ...fields("localhost", ssl), port: Number(new URL(chain.url).port) });
    const { unpatched, skipped } = await bothWays(at({ ca: ca("anchors/pathlen0.pem") }), {
      accepts: false,
      accelerated: false,
      inspect: chain.url,
    });
    expect(unpatched).toMatchObject({ message: expect.stringMatching(/path length constraint exceeded/) });
    // node-postgres refuses first (the patch connects once through its pool before the Rust setup).
    expect(skipped[0].reason).toMatch(/node-postgres could not connect when first used: path length constraint exceeded/);
    await bothWays(at({ ca: ca("anchors/pathlen1.pem") }), { accepts: true, accelerated: true, encrypted: true, inspect: chain.url });
  });

  it("a CA whose extended key usage is anyExtendedKeyUsage only keeps PostgresSaver's own code (OpenSSL refuses it)", async () => {
    const { skipped } = await bothWays(fields("localhost", { ca: readFileSync(file("anchors/any-eku.pem"), "utf8") }), {
      accepts: false,
      accelerated: false,
    });
    expect(skipped[0].reason).toMatch(/other than a self-signed root CA .* allowing server authentication/);
  });

  it("PGSSLMODE is read as node-postgres reads it", async () => {
    const withEnv = async (mode: string, run: () => Promise<unknown>) => {
      process.env.PGSSLMODE = mode;
      try {
        return await run();
      } finally {
        delete process.env.PGSSLMODE;
      }
    };
    const plainFields = { host: "localhost", port: port(), user: "flg", password: "flg-test-password", database: "flg" };
    await withEnv("require", () => bothWays(plainFields, { accepts: false, accelerated: false }));
    await withEnv("no-verify", () => bothWays(plainFields, { accepts: true, accelerated: true, encrypted: true }));
    await withEnv("disable", () => bothWays(plainFields, { accepts: true, accelerated: true, encrypted: false }));
  });
});

describe("RustPostgresSaver with the same settings", () => {
  async function attempt(saver: RustPostgresSaver): Promise<string> {
    try {
      await saver.setup();
      return "ok";
    } catch (error) {
      return (error as Error).message;
    } finally {
      await saver.end();
    }
  }

  it("sslcert/sslkey log in with the client certificate; another CA's is refused by the server", async () => {
    const base = `sslmode=verify-full&sslrootcert=${q("ca.pem")}`;
    const schema = freshSchema("tlsr");
    expect(
      await attempt(
        new RustPostgresSaver(tlsUrl("localhost", `${base}&sslcert=${q("client.crt")}&sslkey=${q("client.key")}`, "flgcert"), { schema }),
      ),
    ).toBe("ok");
    const other = tlsUrl("localhost", `${base}&sslcert=${q("other-client.crt")}&sslkey=${q("other-client.key")}`, "flgcert");
    expect(await attempt(new RustPostgresSaver(other, { schema, connectTimeoutMs: 2000 }))).toMatch(
      /cannot reach PostgreSQL|certificate|authentication/i,
    );
    expect(await attempt(new RustPostgresSaver(tlsUrl("localhost", base, "flgcert"), { schema, connectTimeoutMs: 2000 }))).toMatch(
      /flgcert|certificate|authentication/i,
    );
    await withPg((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`), server.url);
  });

  it("a certificate without its key, and an unreadable file, are named by the constructor", () => {
    expect(() => new RustPostgresSaver(tlsUrl("localhost", `sslmode=require&sslcert=${q("client.crt")}`))).toThrow(
      /without its key \(sslkey\)/,
    );
    expect(() => new RustPostgresSaver(tlsUrl("localhost", "sslmode=require&sslcert=%2Fnope.crt&sslkey=%2Fnope.key"))).toThrow(
      /sslcert file "\/nope.crt" cannot be read/,
    );
  });

  it("the tls option: full checks the host, chain does not, another CA is refused, TLS is required", async () => {
    const ca = readFileSync(file("ca.pem"), "utf8");
    const schema = freshSchema("tlsr");
    expect(await attempt(new RustPostgresSaver(tlsUrl("localhost", ""), { schema, tls: { ca } }))).toBe("ok");
    expect(await attempt(new RustPostgresSaver(tlsUrl("127.0.0.1", ""), { schema, tls: { ca } }))).toMatch(/not valid for name/i);
    expect(await attempt(new RustPostgresSaver(tlsUrl("127.0.0.1", ""), { schema, tls: { ca, verify: "chain" } }))).toBe("ok");
    const otherCa = readFileSync(file("other-ca.pem"), "utf8");
    expect(await attempt(new RustPostgresSaver(tlsUrl("localhost", ""), { schema, tls: { ca: otherCa } }))).toMatch(/UnknownIssuer/i);
    // The string's sslmode=disable does not override the tls option: TLS is required.
    expect(await attempt(new RustPostgresSaver(plainUrl("sslmode=disable"), { tls: { verify: "none" }, connectTimeoutMs: 2000 }))).toMatch(
      /server does not support TLS/,
    );
    await withPg((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`), server.url);
  });
});
