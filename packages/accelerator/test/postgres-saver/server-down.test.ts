import net from "node:net";

import { Annotation, START, StateGraph } from "@langchain/langgraph";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import pg from "pg";

import { RustPostgresSaver, patchLangGraph, unpatchLangGraph } from "../../src";
import { isAcceleratedPostgresSaver, rustSaverOf } from "../../src/patch/postgres-saver";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";

// A server that is down (issue 12, finding 9 of hostile round 4): the first call fails after the
// connect attempts node-postgres makes (one), with node-postgres's own error for a patched
// PostgresSaver, in time comparable to the unpatched saver's; RustPostgresSaver makes one attempt
// by default, bounded by its connect timeout, and names host:port without the password.

const onlyPostgres = { memorySaver: false, sqliteSaver: false, stateMerger: false, caches: false, serializer: false };
const config = { configurable: { thread_id: "down", checkpoint_ns: "" } };

/** A loopback listener counting the connections it accepts: "drop" closes each at once, "silent" never answers. */
async function listener(mode: "drop" | "silent"): Promise<{ port: number; accepted: () => number; close: () => Promise<void> }> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on("error", () => {});
    if (mode === "drop") socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    accepted: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A loopback port with nothing listening. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const urlFor = (port: number) => `postgresql://flg:the-secret-pw@127.0.0.1:${port}/flg`;

async function failure(call: () => Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const t0 = performance.now();
  const error = await call().then(
    () => {
      throw new Error("the call succeeded against a server that is down");
    },
    (e: Error) => e,
  );
  return { error, ms: performance.now() - t0 };
}

/** The first getTuple of a PostgresSaver on its own pool, unpatched or patched as given. */
async function firstCall(url: string, poolOptions: pg.PoolConfig = {}) {
  const pool = new pg.Pool({ connectionString: url, ...poolOptions });
  const saver = new PostgresSaver(pool, undefined, { schema: "down" });
  try {
    return { ...(await failure(() => saver.getTuple(config))), saver };
  } finally {
    await pool.end();
  }
}

afterEach(() => unpatchLangGraph());

describe("RustPostgresSaver while the server is down", () => {
  it("nothing listening: the first call fails at once, naming host:port and database, never the password", async () => {
    const port = await deadPort();
    const saver = new RustPostgresSaver(urlFor(port));
    const { error } = await failure(() => saver.setup());
    expect(error.message).toMatch(new RegExp(`RustPostgresSaver: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}/flg: .*refused`));
    expect(error.message).not.toContain("the-secret-pw");
    expect(saver.poolStatus()).toMatchObject({ connectTimeoutMs: 5000, connectRetries: 0, size: 0 });
    await saver.end();
  });

  it("a server that drops every connection: one attempt per call by default, 1 + connectRetries when asked", async () => {
    const server = await listener("drop");
    try {
      const once = new RustPostgresSaver(urlFor(server.port));
      await failure(() => once.getTuple(config));
      expect(server.accepted()).toBe(1);
      await failure(() => once.getTuple(config));
      expect(server.accepted()).toBe(2);
      await once.end();
      const retrying = new RustPostgresSaver(urlFor(server.port), { connectRetries: 2 });
      expect(retrying.poolStatus().connectRetries).toBe(2);
      const { error } = await failure(() => retrying.getTuple(config));
      expect(server.accepted()).toBe(2 + 3);
      expect(error.message).toContain(`127.0.0.1:${server.port}/flg`);
      expect(error.message).not.toContain("the-secret-pw");
      await retrying.end();
      // node-postgres on the same server: one attempt per call too.
      const before = server.accepted();
      await firstCall(urlFor(server.port));
      expect(server.accepted() - before).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("a listener that accepts and never answers: one attempt, failing at connectTimeoutMs", async () => {
    const server = await listener("silent");
    try {
      // node-postgres with the same bound, as the baseline for the time.
      const baseline = await firstCall(urlFor(server.port), { connectionTimeoutMillis: 300 });
      expect(server.accepted()).toBe(1);
      const saver = new RustPostgresSaver(urlFor(server.port), { connectTimeoutMs: 300 });
      const { error, ms } = await failure(() => saver.getTuple(config));
      expect(server.accepted()).toBe(2);
      expect(error.message).toMatch(new RegExp(`RustPostgresSaver: .*(timed out|timeout).*127\\.0\\.0\\.1:${server.port}/flg`));
      expect(error.message).not.toContain("the-secret-pw");
      // Generous: the old policy retried for about 3.7 s on top of each timeout.
      expect(ms).toBeLessThan(baseline.ms * 3 + 1000);
      await saver.end();
    } finally {
      await server.close();
    }
  });
});

describe("a patched PostgresSaver while the server is down fails as the unpatched one does", () => {
  it("nothing listening: pg's own error, in time comparable to the unpatched call's", async () => {
    const url = urlFor(await deadPort());
    const unpatched = await firstCall(url);
    await patchLangGraph(onlyPostgres);
    const patched = await firstCall(url);
    expect(patched.error.constructor).toBe(unpatched.error.constructor);
    expect(patched.error.message).toBe(unpatched.error.message);
    expect((patched.error as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
    expect(isAcceleratedPostgresSaver(patched.saver)).toBe(false);
    // Generous, relative to the unpatched call measured here (the Rust client's retries took ~3.7 s).
    expect(patched.ms).toBeLessThan(unpatched.ms * 10 + 500);
  });

  it("a server that drops every connection: as many connect attempts as unpatched, and the same error", async () => {
    const server = await listener("drop");
    try {
      const unpatched = await firstCall(urlFor(server.port));
      const unpatchedAttempts = server.accepted();
      await patchLangGraph(onlyPostgres);
      const patched = await firstCall(urlFor(server.port));
      expect(server.accepted() - unpatchedAttempts).toBe(unpatchedAttempts);
      expect(patched.error.message).toBe(unpatched.error.message);
    } finally {
      await server.close();
    }
  });

  it("a listener that never answers: the pool's connectionTimeoutMillis, one attempt, pg's timeout error", async () => {
    const server = await listener("silent");
    try {
      const unpatched = await firstCall(urlFor(server.port), { connectionTimeoutMillis: 300 });
      expect(server.accepted()).toBe(1);
      await patchLangGraph(onlyPostgres);
      const patched = await firstCall(urlFor(server.port), { connectionTimeoutMillis: 300 });
      expect(server.accepted()).toBe(2);
      expect(patched.error.message).toBe(unpatched.error.message);
      expect(patched.ms).toBeLessThan(unpatched.ms * 3 + 1000);
    } finally {
      await server.close();
    }
  });

  it("the pool's connectionTimeoutMillis, idleTimeoutMillis and max reach the Rust pool", async () => {
    await patchLangGraph(onlyPostgres);
    const schema = freshSchema("down_settings");
    const pool = new pg.Pool({ connectionString: postgresUrl(), connectionTimeoutMillis: 1234, idleTimeoutMillis: 4321, max: 3 });
    try {
      const saver = new PostgresSaver(pool, undefined, { schema });
      await saver.setup();
      await new StateGraph(Annotation.Root({ v: Annotation<string> }))
        .addNode("n", () => ({ v: "written" }))
        .addEdge(START, "n")
        .compile({ checkpointer: saver })
        .invoke({}, { configurable: { thread_id: "settings" } });
      expect(isAcceleratedPostgresSaver(saver)).toBe(true);
      expect(rustSaverOf(saver)?.poolStatus()).toMatchObject({
        maxSize: 3,
        idleTimeoutMs: 4321,
        connectTimeoutMs: 1234,
        connectRetries: 0,
      });
      // The pool's own default (0: no limit) is passed as it is.
      const other = new pg.Pool({ connectionString: postgresUrl() });
      try {
        const second = new PostgresSaver(other, undefined, { schema });
        await second.getTuple({ configurable: { thread_id: "settings" } });
        expect(rustSaverOf(second)?.poolStatus()).toMatchObject({ maxSize: 10, idleTimeoutMs: 10000, connectTimeoutMs: 0 });
      } finally {
        await other.end();
      }
    } finally {
      await pool.end();
      await dropSchema(schema);
    }
  });
});
