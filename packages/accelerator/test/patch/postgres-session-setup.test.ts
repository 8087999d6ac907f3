import net from "node:net";

import { emptyCheckpoint } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import pg from "pg";

import { getPatchStatus, patchLangGraph, unpatchLangGraph } from "../../src";
import { isAcceleratedPostgresSaver } from "../../src/patch/postgres-saver";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";

// Sessions the application sets up itself (hostile review round 6, findings 1, 2, 5 and 8): a pool that drops to a
// tenant role on each connection, under row-level security; a Client class of its own; a Pool subclass; a server
// that comes back; unpatchLangGraph() with puts in flight.

const onlyPostgres = { memorySaver: false, sqliteSaver: false, stateMerger: false, caches: false, serializer: false };
const schemas: string[] = [];
const TENANT = "flg_test_tenant_a";

afterEach(() => unpatchLangGraph());
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

const checkpoint = (id: string, note: string) => ({
  ...emptyCheckpoint(),
  id,
  channel_values: { note },
  channel_versions: { note: 1 },
});
const metadata = { source: "input" as const, step: -1, parents: {} };
const at = (thread: string) => ({ configurable: { thread_id: thread, checkpoint_ns: "" } });

/** A schema whose checkpoint tables let the tenant role see and write only threads named `a-...`; tenant B's thread is in it. */
async function tenantSchema(): Promise<string> {
  const schema = freshSchema("rls");
  schemas.push(schema);
  const owner = PostgresSaver.fromConnString(postgresUrl(), { schema });
  await owner.setup();
  await owner.put(at("b-secret"), checkpoint("1ef00000-0000-6000-8000-00000000000b", "tenant B's data"), metadata, { note: 1 });
  await owner.end();
  await withPg(async (c) => {
    await c.query(
      `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${TENANT}') THEN CREATE ROLE ${TENANT} NOLOGIN; END IF; END $$`,
    );
    await c.query(
      `GRANT USAGE ON SCHEMA "${schema}" TO ${TENANT}; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO ${TENANT}`,
    );
    for (const t of ["checkpoints", "checkpoint_blobs", "checkpoint_writes"]) {
      await c.query(`ALTER TABLE "${schema}".${t} ENABLE ROW LEVEL SECURITY`);
      await c.query(`CREATE POLICY tenant_a ON "${schema}".${t} USING (thread_id LIKE 'a-%') WITH CHECK (thread_id LIKE 'a-%')`);
    }
  });
  return schema;
}

/** What tenant A's service sees through `saver`: tenant B's thread, and a write outside its policy. */
async function tenantView(saver: PostgresSaver) {
  const stolen = await saver.getTuple(at("b-secret"));
  const injected = await saver.put(at("b-injected"), checkpoint("1ef00000-0000-6000-8000-0000000000c1", "x"), metadata, { note: 1 }).then(
    () => "stored",
    (error: Error) => `refused: ${error.message}`,
  );
  const own = await saver.put(at("a-1"), checkpoint("1ef00000-0000-6000-8000-0000000000a1", "mine"), metadata, { note: 1 }).then(
    () => "stored",
    (error: Error) => `refused: ${error.message}`,
  );
  return { stolen: stolen?.checkpoint.channel_values, injected, own };
}

function tenantPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: postgresUrl() });
  // node-postgres's documented per-connection setup; the query is not awaited (brianc/node-postgres#1393).
  pool.on("connect", (client) => {
    void client.query(`SET ROLE ${TENANT}`);
  });
  return pool;
}

describe("a pool that sets up each session itself", () => {
  it("a 'connect' listener (SET ROLE under row-level security): patched sees what unpatched sees", async () => {
    const expected = { stolen: undefined, injected: expect.stringMatching(/row-level security/), own: "stored" };
    const plainPool = tenantPool();
    expect(await tenantView(new PostgresSaver(plainPool, undefined, { schema: await tenantSchema() }))).toEqual(expected);
    await plainPool.end();

    await patchLangGraph(onlyPostgres);
    const pool = tenantPool();
    const saver = new PostgresSaver(pool, undefined, { schema: await tenantSchema() });
    expect(await tenantView(saver)).toEqual(expected);
    expect(isAcceleratedPostgresSaver(saver)).toBe(false);
    expect(getPatchStatus().skipped.map((s) => s.reason)).toContainEqual(expect.stringMatching(/'connect' listeners/));
    await pool.end();
  });

  it("a listener added after the saver was accelerated: the next calls run PostgresSaver's own code", async () => {
    await patchLangGraph(onlyPostgres);
    const pool = new pg.Pool({ connectionString: postgresUrl() });
    const saver = new PostgresSaver(pool, undefined, { schema: await tenantSchema() });
    expect((await saver.getTuple(at("b-secret")))?.checkpoint.channel_values).toEqual({ note: "tenant B's data" });
    expect(isAcceleratedPostgresSaver(saver)).toBe(true);
    pool.on("connect", (client) => {
      void client.query(`SET ROLE ${TENANT}`);
    });
    // pg's pool holds no connection made before the listener (the patch's first connect was closed).
    expect(await tenantView(saver)).toEqual({ stolen: undefined, injected: expect.stringMatching(/row-level security/), own: "stored" });
    await pool.end().catch(() => {});
  });

  it("a Client class of the app's own (options.Client) or a Pool subclass keeps PostgresSaver's own code, and says why", async () => {
    await patchLangGraph(onlyPostgres);
    const schema = await tenantSchema();
    class TenantClient extends pg.Client {}
    const withClient = new pg.Pool({ connectionString: postgresUrl(), Client: TenantClient });
    const first = new PostgresSaver(withClient, undefined, { schema });
    await first.getTuple(at("a-0"));
    expect(isAcceleratedPostgresSaver(first)).toBe(false);
    class TenantPool extends pg.Pool {}
    const subclassed = new TenantPool({ connectionString: postgresUrl() });
    const second = new PostgresSaver(subclassed, undefined, { schema });
    await second.getTuple(at("a-0"));
    expect(isAcceleratedPostgresSaver(second)).toBe(false);
    const reasons = getPatchStatus().skipped.map((s) => s.reason);
    expect(reasons).toContainEqual(expect.stringMatching(/Client class of its own/));
    expect(reasons).toContainEqual(expect.stringMatching(/not node-postgres's own Pool/));
    await withClient.end();
    await subclassed.end();
  });
});

describe("a server that is down at the first call and comes back", () => {
  it("the next call connects again, as unpatched (no remembered failure)", async () => {
    const target = new URL(postgresUrl());
    let forwarding = false;
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((socket) => {
      sockets.add(socket);
      if (!forwarding) {
        socket.destroy();
        return;
      }
      const upstream = net.connect(Number(target.port), target.hostname);
      sockets.add(upstream);
      socket.pipe(upstream).pipe(socket);
      const close = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on("error", close).on("close", close);
      upstream.on("error", close).on("close", close);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const port = (proxy.address() as net.AddressInfo).port;
    const url = new URL(postgresUrl());
    url.port = String(port);
    const schema = freshSchema("comes_back");
    schemas.push(schema);
    try {
      await patchLangGraph(onlyPostgres);
      const saver = PostgresSaver.fromConnString(url.toString(), { schema });
      await expect(saver.getTuple(at("t"))).rejects.toThrow();
      forwarding = true;
      await saver.setup();
      expect(await saver.getTuple(at("t"))).toBeUndefined();
      expect(isAcceleratedPostgresSaver(saver)).toBe(true);
      await saver.end();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe("unpatchLangGraph() with calls in flight", () => {
  it("every put made while patched is stored", async () => {
    await patchLangGraph(onlyPostgres);
    const schema = freshSchema("unpatch_inflight");
    schemas.push(schema);
    const saver = PostgresSaver.fromConnString(postgresUrl(), { schema });
    await saver.setup();
    await saver.getTuple(at("warm"));
    expect(isAcceleratedPostgresSaver(saver)).toBe(true);
    const puts = Array.from({ length: 30 }, (_, i) =>
      saver
        .put(at(`u-${i}`), checkpoint(`1ef00000-0000-6000-8000-${String(i).padStart(12, "0")}`, "v".repeat(20_000)), metadata, { note: 1 })
        .then(
          () => "ok",
          (error: Error) => error.message,
        ),
    );
    unpatchLangGraph();
    expect(new Set(await Promise.all(puts))).toEqual(new Set(["ok"]));
    let stored = 0;
    for (let i = 0; i < 30; i++) if (await saver.getTuple(at(`u-${i}`))) stored++;
    expect(stored).toBe(30);
    await saver.end();
  });
});
