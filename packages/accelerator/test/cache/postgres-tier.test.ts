import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { Annotation, START, StateGraph } from "@langchain/langgraph";

import { RustLLMCache, RustNodeCache, llmCacheKey, withLLMCache } from "../../src";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";

// Issue 18: the PostgreSQL tier of RustLLMCache, withLLMCache and RustNodeCache on a real server.
// Two caches of different names in one process have separate memory tiers and share the table, as
// two processes do; the first test uses a real second process.
const schemas: string[] = [];
function table() {
  const schema = freshSchema("cache");
  schemas.push(schema);
  return { connectionString: postgresUrl(), schema, table: "llm_cache" };
}
const message = (g: unknown) => (g as { message: AIMessage }).message;
const unique = (n: string) => `${n}-${process.pid}-${Date.now()}-${Math.random()}`;

async function child(...args: string[]) {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(__dirname, "fixtures", "pg-cache.cjs"), ...args], {
    cwd: path.join(__dirname, "..", ".."),
    encoding: "utf8",
  });
  return JSON.parse(stdout.trim().split("\n").pop() as string);
}

async function tableFigures(pg: { schema: string; table: string }) {
  return withPg(async (c) => {
    const live = await c.query(`SELECT count(*)::int AS n, COALESCE(sum(size), 0)::int AS bytes FROM "${pg.schema}"."${pg.table}"`);
    const ledger = await c.query(`SELECT entries::int, bytes::int FROM "${pg.schema}"."${pg.table}_ledger" WHERE id = 1`);
    return { rows: live.rows[0].n, bytes: live.rows[0].bytes, ledger: ledger.rows[0] };
  });
}

afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

describe("RustLLMCache with a PostgreSQL tier", () => {
  it("is shared by two processes: the second hits what the first stored, as fresh objects", async () => {
    const pg = table();
    const wrote = await child(pg.connectionString, pg.schema, pg.table, "write");
    expect(wrote).toMatchObject({ queued: 0, postgresEntries: 3 });
    const u = new URL(pg.connectionString);
    expect(wrote.postgres).toBe(`${u.hostname}:${u.port || 5432}${u.pathname} ${pg.schema}.llm_cache`);
    const read = await child(pg.connectionString, pg.schema, pg.table, "read");
    expect(read.found).toEqual([["answer 0", "AIMessage"], ["answer 1", "AIMessage"], ["answer 2", "AIMessage"], null]);
    expect(read.stats).toMatchObject({ hits: 3, misses: 1 });

    const here = new RustLLMCache({ name: unique("reader"), postgres: pg });
    const a = await here.lookup("prompt 1", "llm");
    const b = await here.lookup("prompt 1", "llm");
    expect(a?.[0].text).toBe("answer 1");
    expect(a).not.toBe(b);
    expect(message(a?.[0])).not.toBe(message(b?.[0]));
    expect(message(a?.[0])).toBeInstanceOf(AIMessage);
  });

  it("keeps one bound in bytes across two writer processes, and the ledger matches the rows", async () => {
    const pg = table();
    const maxBytes = 200_000;
    const [one, two] = await Promise.all([
      child(pg.connectionString, pg.schema, pg.table, "fill", "one", "400", String(maxBytes)),
      child(pg.connectionString, pg.schema, pg.table, "fill", "two", "400", String(maxBytes)),
    ]);
    // 800 entries of ~2.1 KB (1.7 MB) were offered; the table holds at most the bound.
    expect(one.dropped + two.dropped).toBe(0);
    const figures = await tableFigures(pg);
    expect(figures.bytes).toBeLessThanOrEqual(maxBytes);
    expect(figures.bytes).toBeGreaterThan(maxBytes * 0.8);
    expect(figures.ledger).toEqual({ entries: figures.rows, bytes: figures.bytes });
    const keys = await withPg((c) => c.query(`SELECT convert_from(key, 'UTF8') AS k FROM "${pg.schema}".llm_cache`));
    const writerOf = new Map(
      ["one", "two"].flatMap((tag) => Array.from({ length: 400 }, (_, i) => [llmCacheKey(`${tag} prompt ${i}`, "llm"), tag])),
    );
    const writers = new Set(keys.rows.map((r: { k: string }) => writerOf.get(r.k)));
    expect(writers.has(undefined)).toBe(false);
    expect(figures.rows).toBeGreaterThan(50);
    expect(writers.size).toBeGreaterThanOrEqual(1);
  });

  it("expires entries on the server's clock and removes them from the table", async () => {
    const pg = table();
    const writer = new RustLLMCache({ name: unique("ttl-w"), postgres: pg });
    await writer.update("short", "llm", [{ text: "short-lived" }], 400);
    await writer.update("long", "llm", [{ text: "kept" }]);
    await writer.flush();
    expect((await new RustLLMCache({ name: unique("ttl-r1"), postgres: pg }).lookup("short", "llm"))?.[0].text).toBe("short-lived");
    await new Promise((r) => setTimeout(r, 700));
    const late = new RustLLMCache({ name: unique("ttl-r2"), postgres: pg });
    expect(await late.lookup("short", "llm")).toBeNull();
    expect((await late.lookup("long", "llm"))?.[0].text).toBe("kept");
    await writer.update("another", "llm", [{ text: "x" }]);
    await writer.flush();
    const rows = await withPg((c) => c.query(`SELECT convert_from(key, 'UTF8') AS k FROM "${pg.schema}".llm_cache`));
    expect(rows.rows.map((r: { k: string }) => r.k).sort()).toEqual([llmCacheKey("another", "llm"), llmCacheKey("long", "llm")].sort());
  });

  it("names the cause of a connection failure without echoing the password", async () => {
    const url = new URL(postgresUrl());
    url.password = "not-the-password-9f3c";
    const cache = new RustLLMCache({ name: unique("bad"), postgres: url.toString() });
    const failure = await cache.ready().then(
      () => "no error",
      (e: Error) => e.message,
    );
    expect(failure).toMatch(/^RustLLMCache: .*authentication to PostgreSQL at [^ ]+:\d+\/\w+ failed \(wrong user or password\)/);
    expect(failure).not.toContain("not-the-password-9f3c");
    // A lookup answers as a miss (the model is called) and the cause is in stats().
    const warn = jest.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    try {
      expect(await cache.lookup("p", "k")).toBeNull();
      expect(String(warn.mock.calls[0]?.[0])).toMatch(
        /^RustLLMCache: PostgreSQL tier read failed, answering as a miss: .*wrong user or password/,
      );
    } finally {
      warn.mockRestore();
    }
    expect(cache.stats().postgresError).toMatch(/wrong user or password/);
    expect(JSON.stringify(cache.stats())).not.toContain("not-the-password-9f3c");
  });

  it("refuses table names that could break out of their quotes", () => {
    expect(() => new RustLLMCache({ postgres: { connectionString: postgresUrl(), table: 'x"; DROP TABLE y; --' } })).toThrow(
      /^RustLLMCache: postgres table name .* is not usable/,
    );
  });
});

describe("withLLMCache and RustNodeCache with a PostgreSQL tier", () => {
  it("withLLMCache: a second model (another process's memory) gets the first model's answer without calling it", async () => {
    const pg = table();
    const first = withLLMCache(new FakeListChatModel({ responses: ["from the model"] }), { name: unique("m1"), postgres: pg });
    expect((await first.invoke([new HumanMessage("hi")])).content).toBe("from the model");
    await first.llmCache.flush();
    const second = withLLMCache(new FakeListChatModel({ responses: ["must not be called"] }), { name: unique("m2"), postgres: pg });
    expect((await second.invoke([new HumanMessage("hi")])).content).toBe("from the model");
    expect(second.llmCache.stats().hits).toBe(1);
  });

  it("RustNodeCache: a node cached by one graph is not run again by another sharing the table", async () => {
    const pg = table();
    const runs = { n: 0 };
    const build = (cache: RustNodeCache) =>
      new StateGraph(Annotation.Root({ x: Annotation<number>, y: Annotation<number> }))
        .addNode(
          "square",
          (s) => {
            runs.n += 1;
            return { y: s.x * s.x };
          },
          { cachePolicy: { ttl: 60 } },
        )
        .addEdge(START, "square")
        .compile({ cache });
    const a = new RustNodeCache({ name: unique("n1"), postgres: { ...pg, table: "node_cache" } });
    expect(await build(a).invoke({ x: 7 })).toEqual({ x: 7, y: 49 });
    await a.flush();
    const b = new RustNodeCache({ name: unique("n2"), postgres: { ...pg, table: "node_cache" } });
    expect(await build(b).invoke({ x: 7 })).toEqual({ x: 7, y: 49 });
    expect(runs.n).toBe(1);
    expect(b.stats().hits).toBe(1);
  });
});

describe("caches on the same table with other credentials", () => {
  test("never share a tier: wrong credentials are refused even after a cache with the right ones opened, and the right ones work after the wrong", async () => {
    const pg = table();
    const wrong = new URL(pg.connectionString);
    wrong.username = "nosuchuser";
    wrong.password = "bogus";
    const a = new RustLLMCache({ postgres: pg });
    await a.ready();
    await a.update("prompt", "llm", [{ text: "stored by a" }]);
    await a.flush();
    const b = new RustLLMCache({ postgres: { ...pg, connectionString: wrong.toString() } });
    await expect(b.ready()).rejects.toThrow(/nosuchuser|authentication|password/);
    expect(JSON.stringify(b.stats())).not.toContain("bogus");
    const c = new RustLLMCache({ postgres: pg });
    await c.ready();
    expect((await c.lookup("prompt", "llm"))?.[0].text).toBe("stored by a");
  });
});
