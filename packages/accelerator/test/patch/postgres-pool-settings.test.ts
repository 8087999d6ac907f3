import { Annotation, START, StateGraph } from "@langchain/langgraph";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import pg from "pg";

import { getPatchStatus, patchLangGraph, unpatchLangGraph } from "../../src";
import { isAcceleratedPostgresSaver } from "../../src/patch/postgres-saver";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";

// Where a patched PostgresSaver connects and which session settings it runs with come from
// node-postgres's own reading of the pool (connection string, pool options, PG* variables, defaults),
// and a pool ended by the application stops its Rust twin too (hostile review, round 3).

const onlyPostgres = { memorySaver: false, sqliteSaver: false, stateMerger: false, caches: false, serializer: false };
const schemas: string[] = [];
const pools: pg.Pool[] = [];

function urlWith(change: (url: URL) => void): string {
  const url = new URL(postgresUrl());
  change(url);
  return url.toString();
}

function graph(saver: PostgresSaver) {
  return new StateGraph(Annotation.Root({ v: Annotation<string> }))
    .addNode("n", () => ({ v: "written" }))
    .addEdge(START, "n")
    .compile({ checkpointer: saver });
}

async function saverOn(poolConfig: pg.PoolConfig): Promise<PostgresSaver> {
  const pool = new pg.Pool(poolConfig);
  pools.push(pool);
  const schema = freshSchema("pool");
  schemas.push(schema);
  const saver = new PostgresSaver(pool, undefined, { schema });
  await saver.setup();
  return saver;
}

async function checkpointRows(database: string, schema: string): Promise<number> {
  const client = new pg.Client({
    connectionString: urlWith((u) => {
      u.pathname = `/${database}`;
    }),
  });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'checkpoints'", [
      schema,
    ]);
    if (exists.rowCount === 0) return 0;
    return (await client.query(`SELECT count(*)::int AS n FROM "${schema}".checkpoints`)).rows[0].n;
  } finally {
    await client.end();
  }
}

/** Holds an ACCESS EXCLUSIVE lock on the schema's checkpoints table until released. */
async function lockCheckpoints(schema: string): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  await client.query("BEGIN");
  await client.query(`LOCK TABLE "${schema}".checkpoints IN ACCESS EXCLUSIVE MODE`);
  return async () => {
    await client.query("ROLLBACK");
    await client.end();
  };
}

const config = { configurable: { thread_id: "t" } };
const otherDatabase = `flg_other_${process.pid}`;
const savedEnv = { PGDATABASE: process.env.PGDATABASE };

beforeAll(async () => {
  await withPg(async (c) => {
    await c.query(`CREATE DATABASE ${otherDatabase}`);
  });
});

afterEach(() => {
  unpatchLangGraph();
  if (savedEnv.PGDATABASE === undefined) delete process.env.PGDATABASE;
  else process.env.PGDATABASE = savedEnv.PGDATABASE;
});

afterAll(async () => {
  for (const pool of pools) await pool.end().catch(() => {});
  for (const schema of schemas) await dropSchema(schema);
  await withPg(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${otherDatabase} WITH (FORCE)`);
  });
});

describe("a patched PostgresSaver connects where node-postgres connects", () => {
  it("takes the database from PGDATABASE when the connection string names none", async () => {
    process.env.PGDATABASE = otherDatabase;
    await patchLangGraph(onlyPostgres);
    const saver = await saverOn({
      connectionString: urlWith((u) => {
        u.pathname = "";
      }),
    });
    await graph(saver).invoke({}, config);
    expect(isAcceleratedPostgresSaver(saver)).toBe(true);
    const schema = schemas[schemas.length - 1];
    expect(await checkpointRows(otherDatabase, schema)).toBeGreaterThan(0);
    expect(await checkpointRows(new URL(postgresUrl()).pathname.slice(1), schema)).toBe(0);
  });

  it("reads target parameters in the query string as node-postgres does", async () => {
    const url = new URL(postgresUrl());
    await patchLangGraph(onlyPostgres);
    // pg takes `?host=` over the URL's host and ignores `hostaddr`; the URL's own host here does not resolve.
    const saver = await saverOn({
      connectionString: urlWith((u) => {
        u.hostname = "unresolvable.invalid";
        u.search = `?host=${url.hostname}&hostaddr=192.0.2.1`;
      }),
    });
    await graph(saver).invoke({}, config);
    expect(isAcceleratedPostgresSaver(saver)).toBe(true);
    expect((await saver.getTuple(config))?.checkpoint.channel_values).toEqual({ v: "written" });
  });
});

describe("a patched PostgresSaver's session has the pool's limits", () => {
  it.each([
    ["statement_timeout pool option", { statement_timeout: 300 }],
    ["lock_timeout pool option", { lock_timeout: 300 }],
    ["options with -c statement_timeout", { options: "-c statement_timeout=300" }],
    ["statement_timeout in the connection string", { connectionString: urlWith((u) => u.searchParams.set("statement_timeout", "300")) }],
  ])("%s: a call waiting on a lock fails as unpatched", async (_name, limits) => {
    await patchLangGraph(onlyPostgres);
    const saver = await saverOn({ connectionString: postgresUrl(), ...limits });
    await graph(saver).invoke({}, config);
    expect(isAcceleratedPostgresSaver(saver)).toBe(true);
    const release = await lockCheckpoints(schemas[schemas.length - 1]);
    try {
      await expect(saver.getTuple(config)).rejects.toThrow(/canceling statement due to (statement|lock) timeout/);
    } finally {
      await release();
    }
  });

  it("query_timeout, which node-postgres applies on the client side, keeps PostgresSaver's own code", async () => {
    await patchLangGraph(onlyPostgres);
    const saver = await saverOn({ connectionString: postgresUrl(), query_timeout: 300 });
    await graph(saver).invoke({}, config);
    expect(isAcceleratedPostgresSaver(saver)).toBe(false);
    expect(getPatchStatus().skipped.some((s) => /query_timeout/.test(s.reason))).toBe(true);
    const release = await lockCheckpoints(schemas[schemas.length - 1]);
    try {
      await expect(saver.getTuple(config)).rejects.toThrow(/timeout/i);
    } finally {
      await release();
    }
  });
});

describe("a pool the application ends", () => {
  async function connectionsNamed(name: string): Promise<number> {
    return withPg(
      async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1", [name])).rows[0].n,
    );
  }

  it.each([0, 10_000])("refuses further calls and closes the Rust connections (idleTimeoutMillis %d)", async (idleTimeoutMillis) => {
    const name = `flg-pool-end-${process.pid}-${idleTimeoutMillis}`;
    await patchLangGraph(onlyPostgres);
    const saver = await saverOn({ connectionString: postgresUrl(), application_name: name, idleTimeoutMillis });
    await graph(saver).invoke({}, config);
    expect(isAcceleratedPostgresSaver(saver)).toBe(true);
    expect(await connectionsNamed(name)).toBeGreaterThan(0);

    await (saver as unknown as { pool: pg.Pool }).pool.end();
    await expect(saver.getTuple(config)).rejects.toThrow(/Cannot use a pool after calling end on the pool/);
    await expect(graph(saver).invoke({}, { configurable: { thread_id: "u" } })).rejects.toThrow(/Cannot use a pool after calling end/);
    let open = await connectionsNamed(name);
    for (let i = 0; i < 50 && open > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      open = await connectionsNamed(name);
    }
    expect(open).toBe(0);
  });
});

describe("a server unreachable when the patched PostgresSaver first runs", () => {
  const { privatePostgres } = require("../support/postgres") as typeof import("../support/postgres");
  const { setupRetry } = require("../../src/patch/postgres-saver") as typeof import("../../src/patch/postgres-saver");

  it("fails as pg fails, then, once the server is back, runs on the Rust client again", async () => {
    const server = privatePostgres(55439);
    server.stop();
    const before = setupRetry.afterMs;
    setupRetry.afterMs = 200;
    let pool: pg.Pool | undefined;
    try {
      await patchLangGraph(onlyPostgres);
      pool = new pg.Pool({ connectionString: server.url });
      const saver = new PostgresSaver(pool, undefined, { schema: freshSchema("down") });
      await expect(saver.getTuple(config)).rejects.toThrow(/ECONNREFUSED|connect/);
      expect(isAcceleratedPostgresSaver(saver)).toBe(false);
      // On its own code meanwhile, with its own integer versions.
      expect(saver.getNextVersion(3)).toBe(4);
      server.start();
      await new Promise((r) => setTimeout(r, 400));
      await saver.setup();
      await graph(saver).invoke({}, config);
      expect(isAcceleratedPostgresSaver(saver)).toBe(true);
      expect((await saver.getTuple(config))?.checkpoint.channel_values).toEqual({ v: "written" });
    } finally {
      setupRetry.afterMs = before;
      await pool?.end();
      server.stop();
    }
  });
});
