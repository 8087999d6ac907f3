import { AIMessage } from "@langchain/core/messages";

import { RustLLMCache } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

// Issue 12 item 3: the disk tier under a flood of inserts of random sizes. Sizes and counts only.
const MAX_BYTES = 8 * 1024 * 1024;

function randomText(n: number, seed: number): string {
  let s = seed;
  let out = "";
  while (out.length < n) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    out += s.toString(36);
  }
  return out.slice(0, n);
}

async function flood(cache: RustLLMCache, count: number) {
  let offered = 0;
  let maxQueued = 0;
  for (let i = 0; i < count; i++) {
    const size = 200 + ((i * 7919) % 16_000);
    offered += size;
    await cache.update(`prompt ${i}`, "llm", [{ text: randomText(size, i), message: new AIMessage(`a${i}`) } as never]);
    if (i % 100 === 0) maxQueued = Math.max(maxQueued, cache.stats().queuedBytes);
  }
  return { offered, maxQueued };
}

describe("RustLLMCache disk tier stays bounded", () => {
  it("bounds the write-behind queue in bytes, dropping the oldest writes, and says so in stats()", async () => {
    const cache = new RustLLMCache({ path: temporaryDatabase("flood-queue"), maxBytes: MAX_BYTES });
    const { offered, maxQueued } = await flood(cache, 6000);
    const s = cache.stats();
    expect(offered).toBeGreaterThan(5 * MAX_BYTES);
    expect(s.queueMaxBytes).toBe(2 * 1024 * 1024);
    // The bound may be passed by the newest entry only (one value is at most ~16 KB here).
    expect(maxQueued).toBeLessThanOrEqual(s.queueMaxBytes + 64 * 1024);
    expect(s.queuedBytes).toBeLessThanOrEqual(s.queueMaxBytes + 64 * 1024);
    await cache.flush();
    const after = cache.stats();
    expect(after.queued).toBe(0);
    expect(after.queuedBytes).toBe(0);
  });

  it("keeps the file and its WAL within a small multiple of maxBytes, and the rows within the bound", async () => {
    const file = temporaryDatabase("flood-file");
    const cache = new RustLLMCache({ path: file, maxBytes: MAX_BYTES });
    let largestFile = 0;
    for (let round = 0; round < 6; round++) {
      await flood(cache, 1500);
      await cache.flush();
      largestFile = Math.max(largestFile, cache.stats().fileBytes ?? 0);
    }
    const s = cache.stats();
    if (process.env.FLG_PRINT_FIGURES) console.log({ largestFile, ...s });
    expect(s.diskBytes).toBeLessThanOrEqual(MAX_BYTES);
    expect(s.diskEntries).toBeGreaterThan(0);
    expect(largestFile).toBeGreaterThan(MAX_BYTES / 2);
    expect(largestFile).toBeLessThanOrEqual(3 * MAX_BYTES);
  });

  it("flush returns a promise: the JavaScript thread does not wait for the backlog", async () => {
    const cache = new RustLLMCache({ path: temporaryDatabase("flood-flush"), maxBytes: MAX_BYTES });
    await flood(cache, 500);
    const pending = cache.flush();
    expect(typeof (pending as { then?: unknown }).then).toBe("function");
    await pending;
    expect(cache.stats().queued).toBe(0);
    // What was written is readable by a fresh process's view of the file.
    expect(cache.stats().diskEntries).toBeGreaterThan(0);
  });

  it("converts a file made without auto_vacuum, so that evicted pages go back to the file system", async () => {
    const file = temporaryDatabase("old-file");
    const Database = require("better-sqlite3");
    const db = new Database(file);
    db.exec(`PRAGMA auto_vacuum = NONE;
      CREATE TABLE flg_cache_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      INSERT INTO flg_cache_meta VALUES ('format', 'fast-langgraph-cache/1');
      CREATE TABLE flg_cache_entries (hash BLOB PRIMARY KEY, key BLOB NOT NULL, value BLOB NOT NULL,
        expires_at INTEGER, last_used INTEGER NOT NULL, size INTEGER NOT NULL);
      CREATE INDEX flg_cache_by_use ON flg_cache_entries (last_used);`);
    expect(db.pragma("auto_vacuum", { simple: true })).toBe(0);
    db.close();
    const cache = new RustLLMCache({ path: file, maxBytes: MAX_BYTES });
    await cache.update("p", "k", [{ text: "after the conversion" }]);
    await cache.flush();
    const check = new Database(file, { readonly: true });
    expect(check.pragma("auto_vacuum", { simple: true })).toBe(2);
    check.close();
    expect((await cache.lookup("p", "k"))?.[0].text).toBe("after the conversion");
  });
});
