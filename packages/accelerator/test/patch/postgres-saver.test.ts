import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { MemorySaver } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import pg from "pg";

import { getPatchStatus, patchLangGraph, unpatchLangGraph } from "../../src";
import { connectionOfPool, isAcceleratedPostgresSaver, rustSaverOf } from "../../src/patch/postgres-saver";
import { scenarios } from "../support/graphs";
import { moreScenarios } from "../support/more-graphs";
import { normalize } from "../support/normalize";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";

const onlyPostgres = { memorySaver: false, sqliteSaver: false, stateMerger: false, caches: false };
const schemas: string[] = [];
const savers: PostgresSaver[] = [];

async function postgresSaver(): Promise<PostgresSaver> {
  const schema = freshSchema("patched");
  schemas.push(schema);
  const saver = PostgresSaver.fromConnString(postgresUrl(), { schema });
  savers.push(saver);
  await saver.setup();
  return saver;
}

async function everyTuple(saver: BaseCheckpointSaver) {
  const out = [];
  for await (const t of saver.list({})) out.push(t);
  return normalize(out);
}

afterEach(() => unpatchLangGraph());
afterAll(async () => {
  for (const s of savers) await s.end().catch(() => {});
  for (const schema of schemas) await dropSchema(schema);
});

// Unpatched, PostgresSaver drops the edit of an updateState fork (its integer versions collide with the
// original branch's); patched keeps it, so that scenario's reference is MemorySaver.
const forkScenarios = new Set(["updateStateFork"]);

describe("PostgresSaver run patched and unpatched gives the same outputs, stream events and state history", () => {
  it.each(Object.entries({ ...scenarios, ...moreScenarios }))("%s", async (name, run) => {
    const expected = normalize(await run(forkScenarios.has(name) ? new MemorySaver() : await postgresSaver()));

    const report = await patchLangGraph(onlyPostgres);
    expect(report.patched.map((p) => p.target)).toContain("PostgresSaver");
    const saver = await postgresSaver();
    const actual = normalize(await run(saver));
    expect(isAcceleratedPostgresSaver(saver)).toBe(true);
    const storedWhilePatched = await everyTuple(saver);
    const report2 = unpatchLangGraph();
    expect(report2.postgresPools).toBe(1);

    expect(actual).toEqual(expected);
    // What was written while patched reads back the same through PostgresSaver's own code.
    expect(await everyTuple(saver)).toEqual(storedWhilePatched);
  });
});

describe("a patched PostgresSaver", () => {
  it("writes PostgresSaver's own rows, and continues a thread it began unpatched", async () => {
    const saver = await postgresSaver();
    const thread = { configurable: { thread_id: "t" } };
    await scenarios.messagesAgent(saver);
    const before = (await saver.getTuple({ configurable: { thread_id: "agent" } }))?.checkpoint.id;

    await patchLangGraph(onlyPostgres);
    await scenarios.messagesAgent(saver); // the same thread again: continues it
    const after = await saver.getTuple({ configurable: { thread_id: "agent" } });
    expect(after?.checkpoint.id).not.toBe(before);
    expect(isAcceleratedPostgresSaver(saver)).toBe(true);
    unpatchLangGraph();

    const schema = (saver as unknown as { options: { schema: string } }).options.schema;
    const counts = await withPg(async (c) => {
      const n = async (table: string) => Number((await c.query(`SELECT count(*) AS n FROM "${schema}".${table}`)).rows[0].n);
      return { official: await n("checkpoints"), ours: await n("flg_checkpoints") };
    });
    expect(counts.ours).toBe(0);
    expect(counts.official).toBeGreaterThan(4);
    expect(normalize(await saver.getTuple({ configurable: { thread_id: "agent" } }))).toEqual(normalize(after));
    expect(await saver.getTuple(thread)).toBeUndefined();
  });

  it("savers made on one node-postgres pool share one Rust pool, sized like it", async () => {
    await patchLangGraph(onlyPostgres);
    const schema = freshSchema("shared_pool");
    schemas.push(schema);
    const pool = new pg.Pool({ connectionString: postgresUrl(), max: 3 });
    const perRequest = Array.from({ length: 5 }, () => new PostgresSaver(pool, undefined, { schema }));
    await perRequest[0].setup();
    await Promise.all(perRequest.map((s, i) => s.getTuple({ configurable: { thread_id: `r${i}` } })));
    const stores = new Set(perRequest.map((s) => rustSaverOf(s)));
    expect(stores.size).toBe(1);
    const [store] = stores;
    expect(store?.poolStatus().maxSize).toBe(3);
    // A different schema on the same pool is a different store.
    const other = new PostgresSaver(pool, undefined, { schema: freshSchema("shared_pool_other") });
    schemas.push((other as unknown as { options: { schema: string } }).options.schema);
    await other.getTuple({ configurable: { thread_id: "x" } });
    expect(rustSaverOf(other)).not.toBe(store);
    // Ending the pool (through any saver on it) ends both; the savers then fail as node-postgres makes them.
    await perRequest[0].end();
    expect(store?.ended).toBe(true);
    expect(rustSaverOf(other)?.ended).toBe(true);
    await expect(perRequest[1].getTuple({ configurable: { thread_id: "r1" } })).rejects.toThrow(/after calling end on the pool/);
    expect(unpatchLangGraph().postgresPools).toBe(0);
  });

  it("end() ends its Rust pool with its own", async () => {
    await patchLangGraph(onlyPostgres);
    const saver = await postgresSaver();
    await saver.getTuple({ configurable: { thread_id: "x" } });
    await saver.end();
    savers.splice(savers.indexOf(saver), 1);
    expect(unpatchLangGraph().postgresPools).toBe(0);
  });

  it("connecting with TLS keeps PostgresSaver's own code, and says why", async () => {
    await patchLangGraph(onlyPostgres);
    const schema = freshSchema("tls");
    const saver = new PostgresSaver(new pg.Pool({ connectionString: `${postgresUrl()}?sslmode=require` }), undefined, { schema });
    savers.push(saver);
    // node-postgres itself tries TLS, which the test server does not offer: its own error, not ours.
    await expect(saver.getTuple({ configurable: { thread_id: "x" } })).rejects.toThrow(/does not support SSL/);
    expect(isAcceleratedPostgresSaver(saver)).toBe(false);
    expect(getPatchStatus().skipped).toContainEqual({
      part: "postgresSaver",
      target: `a PostgresSaver (schema "${schema}")`,
      // The first call connects through pg, which refuses (a server without TLS): its error is the reason;
      // unless NODE_EXTRA_CA_CERTS adds roots the patch does not reproduce, which is decided first.
      reason: expect.stringMatching(
        process.env.NODE_EXTRA_CA_CERTS
          ? /^keeps its own code: it verifies against Node's roots plus NODE_EXTRA_CA_CERTS$/
          : /^keeps its own code: node-postgres could not connect when first used: .*does not support SSL/,
      ),
    });
    expect(saver.getNextVersion(3)).toBe(4);
  });
});

describe("the connection of a node-postgres pool", () => {
  const pools: pg.Pool[] = [];
  const poolOf = (options: pg.PoolConfig) => {
    const pool = new pg.Pool(options);
    pools.push(pool);
    return pool as never;
  };
  afterAll(async () => {
    for (const pool of pools) await pool.end();
  });
  function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
    const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    try {
      return fn();
    } finally {
      for (const [k, v] of Object.entries(before)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  it("is its connection string, or pg's fields with its environment defaults, without TLS when pg uses none", () => {
    expect(connectionOfPool(poolOf({ connectionString: "postgresql://a:b@h:1/d" }))).toEqual({
      connection: { host: "h", port: 1, user: "a", password: "b", database: "d", sslmode: "disable" },
      tls: undefined,
    });
    // What pg sends at startup: application name (or the fallback), `options`, then its timeouts as -c switches.
    expect(
      connectionOfPool(
        poolOf({
          connectionString: "postgresql://a@h:1/d?options=-c%20search_path%3Dx&statement_timeout=500",
          fallback_application_name: "fb",
          lock_timeout: 20,
        } as never),
      ),
    ).toEqual({
      connection: {
        host: "h",
        port: 1,
        user: "a",
        database: "d",
        applicationName: "fb",
        options: "-c search_path=x -c statement_timeout=500 -c lock_timeout=20",
        sslmode: "disable",
      },
      tls: undefined,
    });
    const fields = withEnv({ PGPORT: "6000", PGDATABASE: "agents" }, () =>
      connectionOfPool(poolOf({ host: "db", user: "app", password: "pw" })),
    );
    expect(fields).toEqual({
      connection: { host: "db", port: 6000, user: "app", password: "pw", database: "agents", sslmode: "disable" },
      tls: undefined,
    });
  });

  it("is refused, with the reason, when the Rust client cannot make the same one", () => {
    expect(connectionOfPool(poolOf({ host: "h", password: async () => "pw" }))).toMatch(/password from a callback/);
    expect(connectionOfPool(poolOf({ host: "h", ssl: { rejectUnauthorized: true, minVersion: "TLSv1.3" } }))).toBe(
      'its ssl option "minVersion" is not translated',
    );
    expect(connectionOfPool(poolOf({ host: "h", ssl: { checkServerIdentity: () => undefined } }))).toMatch(/checkServerIdentity callback/);
    expect(connectionOfPool(poolOf({ connectionString: "postgresql://h/d?sslmode=require&sslnegotiation=direct" }))).toBe(
      "it negotiates TLS with sslnegotiation=direct",
    );
    expect(withEnv({ NODE_EXTRA_CA_CERTS: "/x.pem" }, () => connectionOfPool(poolOf({ host: "h", ssl: true })))).toMatch(
      /NODE_EXTRA_CA_CERTS/,
    );
  });

  it("reads only the ssl fields tls.connect receives: a hidden rejectUnauthorized: false does not switch checks off", () => {
    // pg copies own enumerable fields (and key) into tls.connect's options; node-postgres verifies here.
    const hidden = Object.defineProperty({ ca: "-----BEGIN CERTIFICATE-----" }, "rejectUnauthorized", { value: false, enumerable: false });
    expect(connectionOfPool(poolOf({ host: "h", ssl: hidden as never }))).toMatch(
      /ssl\.ca holds a certificate other than a self-signed root CA/,
    );
    expect(connectionOfPool(poolOf({ host: "h", ssl: { rejectUnauthorized: false } }))).toMatchObject({ tls: { verify: "none" } });
  });

  it("connects where pg connects, and keeps its own code where the Rust client cannot", () => {
    // pg takes a `host` parameter over the URL's host and ignores `hostaddr`.
    expect(connectionOfPool(poolOf({ connectionString: "postgresql://u@a:1/d?host=b" }))).toMatchObject({ connection: { host: "b" } });
    expect(connectionOfPool(poolOf({ connectionString: "postgresql://u@a:1/d?hostaddr=10.0.0.1" }))).toMatchObject({
      connection: { host: "a", port: 1 },
    });
    expect(connectionOfPool(poolOf({ connectionString: "postgresql://u@a:1/d", query_timeout: 5 } as never))).toMatch(/query_timeout/);
    expect(connectionOfPool(poolOf({ connectionString: "postgresql://u@a:1/d?replication=database" }))).toMatch(/replication/);
    const factory = jest.fn(() => new (require("node:net").Socket)());
    expect(connectionOfPool(poolOf({ host: "h", stream: factory } as never))).toMatch(/own stream factory/);
    expect(factory).not.toHaveBeenCalled();
    const tls = require("node:tls") as typeof import("node:tls");
    const before = tls.DEFAULT_MIN_VERSION;
    tls.DEFAULT_MIN_VERSION = "TLSv1.3";
    try {
      expect(connectionOfPool(poolOf({ host: "h", ssl: { rejectUnauthorized: false } }))).toBe(
        "it connects with TLS while tls.DEFAULT_MIN_VERSION is TLSv1.3",
      );
      // Without TLS the defaults do not matter.
      expect(typeof connectionOfPool(poolOf({ host: "h" }))).toBe("object");
    } finally {
      tls.DEFAULT_MIN_VERSION = before;
    }
  });
  it("keeps its own code for a CA Node would not take as a TLS server's anchor: expired, or restricted to other uses", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flg-ca-"));
    const ca = (name: string, ...extra: string[]) => {
      const pem = path.join(dir, `${name}.pem`);
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          path.join(dir, `${name}.key`),
          "-out",
          pem,
          "-subj",
          `/CN=${name}`,
          ...extra,
        ],
        { stdio: "ignore" },
      );
      return fs.readFileSync(pem, "utf8");
    };
    const good = ca("good", "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE");
    const clientOnly = ca(
      "client-only",
      "-days",
      "30",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "extendedKeyUsage=clientAuth",
    );
    // A self-signed CA whose validity ended in 2021 (openssl 3.0 cannot backdate one here).
    const expired = fs.readFileSync(path.join(__dirname, "fixtures", "expired-ca.pem"), "utf8");
    expect(connectionOfPool(poolOf({ host: "h", ssl: { ca: good } }))).toMatchObject({ tls: { verify: "full", ca: good } });
    expect(connectionOfPool(poolOf({ host: "h", ssl: { ca: clientOnly } }))).toMatch(
      /other than a self-signed root CA within its validity dates allowing server authentication/,
    );
    expect(connectionOfPool(poolOf({ host: "h", ssl: { ca: expired } }))).toMatch(/within its validity dates/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
