import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import pg from "pg";

import { RustPostgresSaver } from "../../src";
import {
  type PostgresServer,
  freshSchema,
  postgresUrl,
  privatePostgres,
  tlsChainPostgresPort,
  tlsPostgresPort,
  withPg,
} from "../support/postgres";

// RustPostgresSaver given TLS settings directly (a connection string's sslrootcert, sslcert, sslkey, or the
// tls option) decides as node-postgres does: each case runs on both clients against a private TLS server
// (scripts/test-postgres.sh: a throwaway CA, a certificate naming "localhost" only, the role flgcert that
// logs in only with a client certificate, and variants of the CA under tls/anchors/ that OpenSSL refuses
// or accepts as a root). Both accept or both refuse, and the table says which, so a case cannot pass by
// both failing for an unrelated reason. What node-postgres said is checked too, so the case tests what it
// names.
let server: PostgresServer;
/** A second private TLS server sending its certificate with an intermediate CA the test CA signed. */
let chainServer: PostgresServer;
let tlsDir: string;
let bundles: string;
beforeAll(() => {
  server = privatePostgres(tlsPostgresPort(), { tls: true });
  chainServer = privatePostgres(tlsChainPostgresPort(), { tls: true, chain: true });
  tlsDir = server.tlsDir;
  bundles = mkdtempSync(path.join(tmpdir(), "flg-anchors-"));
});
afterAll(() => rmSync(bundles, { recursive: true, force: true }));

const file = (name: string) => (name.startsWith("/") ? name : `${tlsDir}/${name}`);
/** A CA file holding `names` in this order. */
function bundle(...names: string[]): string {
  const target = path.join(bundles, `${names.map((n) => path.basename(n, ".pem")).join("+")}.pem`);
  writeFileSync(target, names.map((n) => readFileSync(file(n), "utf8")).join("\n"));
  return target;
}
const q = (name: string) => encodeURIComponent(file(name));
const tlsUrl = (host: string, query: string, user = "flg:flg-test-password") =>
  `postgresql://${user}@${host}:${new URL(server.url).port}/flg?${query}`;
/** As tlsUrl, on the server whose chain runs through an intermediate (its own test CA and variants). */
const chainUrl = (query: string) => `postgresql://flg:flg-test-password@localhost:${new URL(chainServer.url).port}/flg?${query}`;
const chainRoot = (name: string) => `sslrootcert=${encodeURIComponent(`${chainServer.tlsDir}/${name}`)}`;
const plainUrl = (query: string) => `${postgresUrl()}?${query}`;
const fixtureExpiredCa = path.resolve(__dirname, "../patch/fixtures/expired-ca.pem");

type Outcome = { ok: true } | { ok: false; message: string };

async function nodePostgres(connectionString: string): Promise<Outcome> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (error) {
    // After a TLS alert from the server pg's end() never settles (the stream is already gone): not awaited.
    void client.end().catch(() => {});
    return { ok: false, message: (error as Error).message };
  }
  try {
    await client.query("SELECT 1");
    return { ok: true };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  } finally {
    await client.end().catch(() => {});
  }
}

async function rust(connectionString: string, inspect: string): Promise<Outcome> {
  const schema = freshSchema("anc");
  let saver: RustPostgresSaver;
  try {
    saver = new RustPostgresSaver(connectionString, { schema, connectTimeoutMs: 3000 });
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  try {
    await saver.setup();
    return { ok: true };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  } finally {
    await saver.end();
    await withPg((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`), `${inspect}?sslmode=disable`).catch(() => {});
  }
}

interface Case {
  name: string;
  url: () => string;
  accepts: boolean;
  /** What node-postgres says when it refuses. */
  pg?: RegExp;
  /** What RustPostgresSaver says when it refuses. */
  ours?: RegExp;
  inspect?: () => string;
}

const root = (name: string) => `sslrootcert=${q(name)}`;
const cases: Case[] = [
  // The anchors themselves (sslrootcert alone: pg verifies the chain and the host name).
  { name: "the test CA", url: () => tlsUrl("localhost", root("ca.pem")), accepts: true },
  {
    name: "an expired root",
    url: () => tlsUrl("localhost", root("anchors/expired.pem")),
    accepts: false,
    pg: /certificate has expired/,
    ours: /sslrootcert file ".*anchors\/expired\.pem" holds no root CA .*certificate 1 \(CN=fast-langgraph test ca\) expired on 2021-01-01/,
  },
  {
    name: "a root not yet valid",
    url: () => tlsUrl("localhost", root("anchors/not-yet-valid.pem")),
    accepts: false,
    pg: /not yet valid/,
    ours: /not-yet-valid\.pem" holds no root CA .*not valid before 2040-01-01/,
  },
  {
    name: "a root whose extendedKeyUsage is clientAuth only",
    url: () => tlsUrl("localhost", root("anchors/client-auth-only.pem")),
    accepts: false,
    pg: /unsuitable certificate purpose/,
    ours: /client-auth-only\.pem" holds no root CA .*extendedKeyUsage does not include serverAuth/,
  },
  {
    name: "a root whose extendedKeyUsage is anyExtendedKeyUsage only",
    url: () => tlsUrl("localhost", root("anchors/any-eku.pem")),
    accepts: false,
    pg: /unsuitable certificate purpose/,
    ours: /any-eku\.pem" holds no root CA .*extendedKeyUsage does not include serverAuth/,
  },
  { name: "a root whose extendedKeyUsage is serverAuth", url: () => tlsUrl("localhost", root("anchors/server-auth.pem")), accepts: true },
  {
    name: "a root with basicConstraints CA:FALSE",
    url: () => tlsUrl("localhost", root("anchors/not-a-ca.pem")),
    accepts: false,
    pg: /unsuitable certificate purpose/,
    ours: /not-a-ca\.pem" holds no root CA .*not a CA \(basicConstraints CA:FALSE\)/,
  },
  {
    name: "a root whose keyUsage lacks keyCertSign",
    url: () => tlsUrl("localhost", root("anchors/no-cert-sign.pem")),
    accepts: false,
    pg: /key usage does not include certificate signing/,
    ours: /no-cert-sign\.pem" holds no root CA .*keyUsage does not include keyCertSign/,
  },
  {
    name: "a root without basicConstraints whose keyUsage allows keyCertSign",
    url: () => tlsUrl("localhost", root("anchors/no-basic-constraints.pem")),
    accepts: true,
  },
  {
    name: "a leaf (the server's own certificate) given as CA",
    url: () => tlsUrl("localhost", root("server.crt")),
    accepts: false,
    pg: /self-signed certificate in certificate chain/,
    ours: /server\.crt" holds no root CA .*certificate 1 \(CN=localhost\) is refused as a CA for TLS servers: its keyUsage does not include keyCertSign/,
  },
  {
    name: "an intermediate-only bundle",
    url: () => tlsUrl("localhost", root("anchors/intermediate.pem")),
    accepts: false,
    pg: /unable to get issuer certificate/,
    ours: /intermediate\.pem" holds no root CA .*not self-signed \(an intermediate, not a root\)/,
  },
  {
    name: "an intermediate with its root",
    url: () => tlsUrl("localhost", root(bundle("anchors/intermediate.pem", "other-ca.pem"))),
    accepts: true,
  },
  {
    name: "a root with an unknown extension marked critical",
    url: () => tlsUrl("localhost", root("anchors/critical-ext.pem")),
    accepts: false,
    pg: /unhandled critical extension/,
    ours: /critical-ext\.pem" holds no root CA .*certificate 1 \(CN=fast-langgraph test ca\) is refused .*critical .*\(1\.2\.3\.4\.5\)/,
  },
  {
    name: "valid, then one with an unknown critical extension, same CA",
    url: () => tlsUrl("localhost", root(bundle("ca.pem", "anchors/critical-ext.pem"))),
    accepts: true,
  },
  // pathLenConstraint of the root: the CA certificates between the server's certificate and the root.
  {
    name: "a pathlen:0 root signing the server's certificate",
    url: () => tlsUrl("localhost", root("anchors/pathlen0.pem")),
    accepts: true,
  },
  {
    name: "the test CA, the server sending an intermediate",
    url: () => chainUrl(chainRoot("ca.pem")),
    accepts: true,
    inspect: () => chainServer.url,
  },
  {
    name: "a pathlen:0 root, the server sending an intermediate",
    url: () => chainUrl(chainRoot("anchors/pathlen0.pem")),
    accepts: false,
    pg: /path length constraint exceeded/,
    ours: /1 CA certificate\(s\) between its certificate and the root certificate 1 \(CN=fast-langgraph test ca\) whose pathLenConstraint is 0 .*pathlen0\.pem/,
    inspect: () => chainServer.url,
  },
  {
    name: "a pathlen:0 root, the server sending an intermediate, verify-full",
    url: () => chainUrl(`sslmode=verify-full&${chainRoot("anchors/pathlen0.pem")}`),
    accepts: false,
    pg: /path length constraint exceeded/,
    ours: /pathLenConstraint is 0/,
    inspect: () => chainServer.url,
  },
  {
    name: "a pathlen:1 root, the server sending an intermediate",
    url: () => chainUrl(chainRoot("anchors/pathlen1.pem")),
    accepts: true,
    inspect: () => chainServer.url,
  },
  // Bundles: OpenSSL takes, per name, the first certificate within its dates, and does not try another.
  { name: "expired, then valid, same CA", url: () => tlsUrl("localhost", root(bundle("anchors/expired.pem", "ca.pem"))), accepts: true },
  { name: "valid, then expired, same CA", url: () => tlsUrl("localhost", root(bundle("ca.pem", "anchors/expired.pem"))), accepts: true },
  {
    name: "clientAuth-only, then valid, same CA",
    url: () => tlsUrl("localhost", root(bundle("anchors/client-auth-only.pem", "ca.pem"))),
    accepts: false,
    pg: /unsuitable certificate purpose/,
    ours: /client-auth-only\+ca\.pem" holds no root CA .*certificate 1 \(CN=fast-langgraph test ca\) is refused .*serverAuth/,
  },
  {
    name: "valid, then clientAuth-only, same CA",
    url: () => tlsUrl("localhost", root(bundle("ca.pem", "anchors/client-auth-only.pem"))),
    accepts: true,
  },
  {
    name: "CA:FALSE, then valid, same CA",
    url: () => tlsUrl("localhost", root(bundle("anchors/not-a-ca.pem", "ca.pem"))),
    accepts: false,
    pg: /unsuitable certificate purpose/,
    ours: /not-a-ca\+ca\.pem" holds no root CA .*certificate 1 \(CN=fast-langgraph test ca\) is refused .*not a CA/,
  },
  { name: "valid, then CA:FALSE, same CA", url: () => tlsUrl("localhost", root(bundle("ca.pem", "anchors/not-a-ca.pem"))), accepts: true },
  {
    name: "an unrelated expired root beside the valid CA",
    url: () => tlsUrl("localhost", root(bundle(fixtureExpiredCa, "ca.pem"))),
    accepts: true,
  },
  {
    name: "an unrelated expired root beside another valid CA",
    url: () => tlsUrl("localhost", root(bundle(fixtureExpiredCa, "other-ca.pem"))),
    accepts: false,
    pg: /self-signed certificate in certificate chain/,
    ours: /UnknownIssuer.*expired-ca\+other-ca\.pem.*expired on/,
  },
  // sslmode, as node-postgres 8 reads it, and libpq's meanings with uselibpqcompat=true.
  {
    name: "verify-full, the host the certificate names",
    url: () => tlsUrl("localhost", `sslmode=verify-full&${root("ca.pem")}`),
    accepts: true,
  },
  {
    name: "verify-full, another host",
    url: () => tlsUrl("127.0.0.1", `sslmode=verify-full&${root("ca.pem")}`),
    accepts: false,
    pg: /Hostname\/IP does not match/,
    ours: /not valid for name/,
  },
  {
    name: "verify-ca (pg: verify-full), another host",
    url: () => tlsUrl("127.0.0.1", `sslmode=verify-ca&${root("ca.pem")}`),
    accepts: false,
    pg: /Hostname\/IP does not match/,
    ours: /not valid for name/,
  },
  {
    name: "uselibpqcompat verify-ca, another host",
    url: () => tlsUrl("127.0.0.1", `uselibpqcompat=true&sslmode=verify-ca&${root("ca.pem")}`),
    accepts: true,
  },
  {
    name: "uselibpqcompat verify-ca, an expired root",
    url: () => tlsUrl("127.0.0.1", `uselibpqcompat=true&sslmode=verify-ca&${root("anchors/expired.pem")}`),
    accepts: false,
    pg: /certificate has expired/,
    ours: /expired\.pem" holds no root CA/,
  },
  {
    name: "uselibpqcompat require with sslrootcert (verify-ca), a clientAuth-only root",
    url: () => tlsUrl("127.0.0.1", `uselibpqcompat=true&sslmode=require&${root("anchors/client-auth-only.pem")}`),
    accepts: false,
    pg: /unsuitable certificate purpose/,
    ours: /client-auth-only\.pem" holds no root CA/,
  },
  {
    name: "uselibpqcompat require without a CA checks nothing",
    url: () => tlsUrl("127.0.0.1", "uselibpqcompat=true&sslmode=require"),
    accepts: true,
  },
  {
    name: "require (pg: verify-full) without a CA: the test CA is not trusted",
    url: () => tlsUrl("localhost", "sslmode=require"),
    accepts: false,
    pg: /self-signed certificate in certificate chain|unable to get local issuer/,
    ours: /UnknownIssuer/,
  },
  { name: "prefer (pg: verify-full) with the CA", url: () => tlsUrl("localhost", `sslmode=prefer&${root("ca.pem")}`), accepts: true },
  {
    name: "prefer (pg: verify-full) with an expired root",
    url: () => tlsUrl("localhost", `sslmode=prefer&${root("anchors/expired.pem")}`),
    accepts: false,
    pg: /certificate has expired/,
    ours: /expired\.pem" holds no root CA/,
  },
  {
    name: "no-verify with an expired root checks nothing",
    url: () => tlsUrl("127.0.0.1", `sslmode=no-verify&${root("anchors/expired.pem")}`),
    accepts: true,
  },
  {
    name: "disable with an expired root talks plaintext",
    url: () => tlsUrl("127.0.0.1", `sslmode=disable&${root("anchors/expired.pem")}`),
    accepts: true,
  },
  { name: "disable against a server without TLS", url: () => plainUrl("sslmode=disable"), accepts: true, inspect: postgresUrl },
  {
    name: "no-verify against a server without TLS",
    url: () => plainUrl("sslmode=no-verify"),
    accepts: false,
    pg: /does not support SSL/,
    ours: /server does not support TLS/,
    inspect: postgresUrl,
  },
  {
    name: "uselibpqcompat prefer against a server without TLS (no plaintext fallback)",
    url: () => plainUrl("uselibpqcompat=true&sslmode=prefer"),
    accepts: false,
    pg: /does not support SSL/,
    ours: /server does not support TLS/,
    inspect: postgresUrl,
  },
  // Client certificates (role flgcert: certificate only).
  {
    name: "sslcert/sslkey the server's CA signed",
    url: () => tlsUrl("localhost", `${root("ca.pem")}&sslcert=${q("client.crt")}&sslkey=${q("client.key")}`, "flgcert"),
    accepts: true,
  },
  {
    name: "sslcert/sslkey another CA signed",
    url: () => tlsUrl("localhost", `${root("ca.pem")}&sslcert=${q("other-client.crt")}&sslkey=${q("other-client.key")}`, "flgcert"),
    accepts: false,
    pg: /alert unknown ca/,
    ours: /PostgreSQL at localhost:\d+\/flg refused our client certificate \(TLS alert UnknownCA\)/,
  },
  {
    name: "a password-protected sslkey (no sslpassword reaches either client)",
    url: () => tlsUrl("localhost", `${root("ca.pem")}&sslcert=${q("client.crt")}&sslkey=${q("anchors/client-encrypted.key")}`, "flgcert"),
    accepts: false,
    pg: /bad decrypt|passphrase|PEM|decoder/i,
    ours: /sslkey file ".*client-encrypted\.key" holds no unencrypted private key/,
  },
  {
    name: "a client certificate with an expired root",
    url: () => tlsUrl("localhost", `${root("anchors/expired.pem")}&sslcert=${q("client.crt")}&sslkey=${q("client.key")}`, "flgcert"),
    accepts: false,
    pg: /certificate has expired/,
    ours: /expired\.pem" holds no root CA/,
  },
];

describe("RustPostgresSaver's own TLS settings decide as node-postgres does", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const url = c.url();
    const inspect = c.inspect?.() ?? server.url;
    const theirs = await nodePostgres(url);
    const ours = await rust(url, inspect);
    expect({ pg: theirs.ok, ours: ours.ok }).toEqual({ pg: c.accepts, ours: c.accepts });
    if (!theirs.ok && c.pg) expect(theirs.message).toMatch(c.pg);
    if (!ours.ok && c.ours) expect(ours.message).toMatch(c.ours);
    // Never a key or a password in what we say.
    if (!ours.ok) {
      expect(ours.message).not.toContain("flg-test-password");
      expect(ours.message).not.toMatch(/PRIVATE KEY|BEGIN/);
    }
  });

  it("the tls option's ca is checked the same way, naming tls.ca", async () => {
    const expired = readFileSync(file("anchors/expired.pem"), "utf8");
    expect(() => new RustPostgresSaver(tlsUrl("localhost", ""), { tls: { ca: expired } })).toThrow(
      /tls\.ca holds no root CA certificate that node-postgres \(OpenSSL\) would trust: certificate 1 \(CN=fast-langgraph test ca\) expired on/,
    );
    const theirs = new pg.Client({ connectionString: tlsUrl("localhost", ""), ssl: { ca: expired } });
    await expect(theirs.connect()).rejects.toThrow(/certificate has expired/);
    await theirs.end().catch(() => {});
    expect(
      () => new RustPostgresSaver(tlsUrl("localhost", ""), { tls: { ca: readFileSync(file("anchors/critical-ext.pem"), "utf8") } }),
    ).toThrow(
      /tls\.ca holds no root CA .*certificate 1 \(CN=fast-langgraph test ca\) .*critical .*\(1\.2\.3\.4\.5\): unhandled critical extension/,
    );
    // With verify "none" no root is consulted: accepted, as rejectUnauthorized: false is.
    expect(await rustWith({ ca: expired, verify: "none" })).toBe("ok");
    expect(await rustWith({ ca: readFileSync(file("ca.pem"), "utf8") + readFileSync(file("anchors/client-auth-only.pem"), "utf8") })).toBe(
      "ok",
    );
  });

  it("a passphrase-protected key with a wrong passphrase (pg) or none (ours, which takes no passphrase) is refused", async () => {
    const ca = readFileSync(file("ca.pem"), "utf8");
    const cert = readFileSync(file("client.crt"), "utf8");
    const key = readFileSync(file("anchors/client-encrypted.key"), "utf8");
    const theirs = new pg.Client({ connectionString: tlsUrl("localhost", "", "flgcert"), ssl: { ca, cert, key, passphrase: "wrong" } });
    await expect(theirs.connect()).rejects.toThrow(/bad decrypt/);
    void theirs.end().catch(() => {});
    let message = "";
    try {
      new RustPostgresSaver(tlsUrl("localhost", "", "flgcert"), { tls: { ca, cert, key } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/tls\.key holds no unencrypted private key/);
    expect(message).not.toMatch(/BEGIN|PRIVATE KEY-----/);
  });
});

async function rustWith(tls: { ca: string; verify?: "full" | "chain" | "none" }): Promise<string> {
  const schema = freshSchema("anc");
  const saver = new RustPostgresSaver(tlsUrl("localhost", ""), { schema, tls, connectTimeoutMs: 3000 });
  try {
    await saver.setup();
    return "ok";
  } catch (error) {
    return (error as Error).message;
  } finally {
    await saver.end();
    await withPg((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`), `${server.url}?sslmode=disable`).catch(() => {});
  }
}
