import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";

import { RustPostgresSaver, RustSqliteSaver, type SaverCacheStats } from "../../src";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";

const MiB = 2 ** 20;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flg-cache-bounds-"));
const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** `threads` threads of two turns each, every message ~4 KB of text (~16 KB per thread). */
async function fill(saver: BaseCheckpointSaver, threads: number): Promise<void> {
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("agent", async (s) => ({ messages: [new AIMessage(`answer ${s.messages.length} `.repeat(300))] }))
    .addEdge(START, "agent")
    .compile({ checkpointer: saver });
  for (let t = 0; t < threads; t++) {
    for (let k = 0; k < 2; k++) {
      await graph.invoke({ messages: [new HumanMessage(`question ${t} ${k} `.repeat(300))] }, { configurable: { thread_id: `t${t}` } });
    }
  }
}

function expectWithin(stats: SaverCacheStats["channelMemory"] | SaverCacheStats["valueBytes"], maxBytes: number): void {
  expect(stats).toBeDefined();
  expect(stats!.maxBytes).toBe(maxBytes);
  expect(stats!.entries).toBeGreaterThan(0);
  expect(stats!.bytes).toBeGreaterThan(0);
  expect(stats!.bytes).toBeLessThanOrEqual(maxBytes);
}

describe("the savers' in-process caches are bounded by bytes, set by options, shown by cacheStats()", () => {
  test("defaults: 32 MiB each, and only the caches a layout uses", async () => {
    const compact = new RustSqliteSaver(":memory:");
    const official = new RustSqliteSaver(path.join(dir, "official-defaults.db"), { layout: "official" });
    await fill(compact, 2);
    await fill(official, 2);
    expect(compact.cacheStats().channelMemory?.maxBytes).toBe(32 * MiB);
    expect(compact.cacheStats().valueBytes).toBeUndefined();
    expect(official.cacheStats().valueBytes?.maxBytes).toBe(32 * MiB);
    compact.close();
    official.close();
  });

  test("RustSqliteSaver: 60 threads of ~16 KB under bounds of 256 KiB stay within them, evicting the oldest", async () => {
    const saver = new RustSqliteSaver(path.join(dir, "bounded.db"), { channelMemoryBytes: 256 * 1024 });
    await fill(saver, 60);
    const { channelMemory } = saver.cacheStats();
    expectWithin(channelMemory, 256 * 1024);
    expect(channelMemory!.evictions).toBeGreaterThan(0);
    saver.close();
  });

  test("RustSqliteSaver, official layout: the value-bytes cache stays within its bound", async () => {
    const saver = new RustSqliteSaver(path.join(dir, "official.db"), { layout: "official", valueCacheBytes: 256 * 1024 });
    await fill(saver, 60);
    expectWithin(saver.cacheStats().valueBytes, 256 * 1024);
    saver.close();
  });

  for (const layout of ["official", "compact"] as const) {
    test(`RustPostgresSaver, ${layout} layout: both caches stay within their bounds`, async () => {
      const schema = freshSchema("bounds");
      schemas.push(schema);
      const saver = new RustPostgresSaver(postgresUrl(), { schema, layout, channelMemoryBytes: 256 * 1024, valueCacheBytes: 256 * 1024 });
      await saver.setup();
      await fill(saver, 60);
      const stats = saver.cacheStats();
      if (layout === "official") {
        // What it serialized is remembered by the value-bytes cache, whose snapshots stand in for the memory's.
        expectWithin(stats.valueBytes, 256 * 1024);
        expect(stats.channelMemory?.entries).toBe(0);
      } else {
        expectWithin(stats.channelMemory, 256 * 1024);
        expect(stats.valueBytes).toBeUndefined();
      }
      await saver.end();
    });
  }

  test("0 turns a cache off; a bound that is not a number of bytes is refused, naming the option", async () => {
    const saver = new RustSqliteSaver(":memory:", { channelMemoryBytes: 0 });
    await fill(saver, 2);
    expect(saver.cacheStats().channelMemory).toEqual({ entries: 0, bytes: 0, maxBytes: 0, evictions: 0 });
    saver.close();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, "16mb" as unknown as number]) {
      expect(() => new RustSqliteSaver(":memory:", { channelMemoryBytes: bad })).toThrow(/RustSqliteSaver: channelMemoryBytes must be/);
      expect(() => new RustPostgresSaver(postgresUrl(), { valueCacheBytes: bad })).toThrow(/RustPostgresSaver: valueCacheBytes must be/);
    }
  });

  test("what the bounds promise is what the process keeps: 300 threads of ~80 KB, references dropped, GC run", () => {
    const out = execFileSync(
      process.execPath,
      ["--expose-gc", path.join(__dirname, "fixtures", "retained-heap.cjs"), path.join(dir, "retained.db")],
      {
        encoding: "utf8",
        timeout: 300_000,
      },
    );
    const { retainedMb, boundsMb, stats } = JSON.parse(out.trim().split("\n").pop()!);
    expect(stats.valueBytes.bytes).toBeLessThanOrEqual(stats.valueBytes.maxBytes);
    // Retained: the caches' contents (up to their bounds) and their bookkeeping, not the 24 MB written.
    expect(retainedMb).toBeLessThan(boundsMb + 6);
  });
});
