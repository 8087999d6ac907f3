import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";

import { RustPostgresSaver } from "../../src";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";

const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

/** Connections the server has open for savers named `name` (each test sets its own application_name). */
async function connectionsOf(name: string): Promise<number> {
  return withPg(async (c) => {
    const r = await c.query("SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE application_name = $1", [name]);
    return r.rows[0].n as number;
  });
}

function urlNamed(name: string): string {
  const url = new URL(postgresUrl());
  url.searchParams.set("application_name", name);
  return url.toString();
}

/** Opens `count` connections at once: concurrent puts on distinct threads. */
async function busy(saver: RustPostgresSaver, count: number) {
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      saver.put(
        { configurable: { thread_id: `t${i}`, checkpoint_ns: "" } },
        { ...emptyCheckpoint(), id: uuid6(i) },
        { source: "loop", step: 0, parents: {} },
        {},
      ),
    ),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(50);
  }
  return check();
}

describe("RustPostgresSaver closes idle connections (issue 12 case 5)", () => {
  it("after a short idleTimeoutMs the pool's connections are closed on the server, and poolStatus() says so", async () => {
    const name = `flg-idle-${process.pid}`;
    const schema = freshSchema("idle");
    schemas.push(schema);
    // Long enough that the connections are still open when counted on a loaded machine (at 300 ms a
    // saver's connections could close while the next saver's puts ran), short enough to wait for.
    const idleTimeoutMs = 1500;
    const savers = Array.from({ length: 3 }, () => new RustPostgresSaver(urlNamed(name), { schema, idleTimeoutMs }));
    try {
      await savers[0].setup();
      for (const s of savers) await busy(s, 4);
      const open = await connectionsOf(name);
      expect(open).toBeGreaterThanOrEqual(3);
      expect(savers[0].poolStatus().idleTimeoutMs).toBe(idleTimeoutMs);
      // The savers are not ended: only the idle timeout can close their connections.
      expect(await until(async () => (await connectionsOf(name)) === 0, 20_000)).toBe(true);
      const statuses = savers.map((s) => s.poolStatus());
      // Every connection was closed for being idle: at least those seen open at once, at most 4 per
      // saver plus setup's (on a loaded machine some close before the count above is taken).
      const closed = statuses.reduce((n, s) => n + s.idleClosed, 0);
      expect(closed).toBeGreaterThanOrEqual(open);
      expect(closed).toBeLessThanOrEqual(3 * 4 + 1);
      for (const s of statuses) {
        expect(s.size).toBe(0);
        expect(s.idleClosed).toBeGreaterThanOrEqual(1);
      }
      // A closed idle connection is simply reopened on the next call.
      await busy(savers[0], 1);
      expect(await connectionsOf(name)).toBeGreaterThan(0);
    } finally {
      for (const s of savers) await s.end();
    }
  });

  it("idleTimeoutMs: 0 keeps idle connections open (node-postgres's idleTimeoutMillis: 0); the default is 10000", async () => {
    const name = `flg-keep-${process.pid}`;
    const schema = freshSchema("keep");
    schemas.push(schema);
    const keep = new RustPostgresSaver(urlNamed(name), { schema, idleTimeoutMs: 0 });
    const byDefault = new RustPostgresSaver(urlNamed(name), { schema });
    try {
      await keep.setup();
      await busy(keep, 2);
      const open = await connectionsOf(name);
      await sleep(600);
      expect(await connectionsOf(name)).toBe(open);
      expect(keep.poolStatus()).toMatchObject({ idleTimeoutMs: 0, idleClosed: 0 });
      expect(byDefault.poolStatus().idleTimeoutMs).toBe(10_000);
    } finally {
      await keep.end();
      await byDefault.end();
    }
  });
});
