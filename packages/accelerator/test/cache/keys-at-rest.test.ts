import fs from "node:fs";

import Database from "better-sqlite3";

import { AIMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";

import { RustLLMCache, llmCacheKey, withLLMCache } from "../../src";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";
import { temporaryDatabase } from "../support/temporary-database";

// A cache's file and table used to hold each prompt and llmKey in clear in their `key` column: user text,
// and whatever a model puts in its cache key (hostile review F3). They hold SHA-256 digests now, as
// LangChain's own caches key by; the entries still answer, and only the model's answers are stored.
const MARK = "SECRET-7f3a";
const unique = (n: string) => `${n}-${process.pid}-${Date.now()}-${Math.random()}`;
const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

/** Stores three entries (a model's cache, a direct update, withLLMCache) whose prompts and llmKey carry MARK. */
async function fill(cache: RustLLMCache): Promise<void> {
  await new FakeListChatModel({ responses: ["answer one"], cache }).invoke(`my card is ${MARK}-1`);
  await cache.update(`prompt ${MARK}-2`, `{"apiKey":"sk-${MARK}"}`, [{ text: "answer two" }]);
  await withLLMCache(new FakeListChatModel({ responses: ["answer three"] }), { cache }).invoke(`note ${MARK}-3`);
  await cache.flush();
}

/** The same three lookups on another cache object over the same tier: every answer comes back. */
async function answers(cache: RustLLMCache): Promise<unknown[]> {
  const one = await new FakeListChatModel({ responses: ["not cached"], cache }).invoke(`my card is ${MARK}-1`);
  const two = await cache.lookup(`prompt ${MARK}-2`, `{"apiKey":"sk-${MARK}"}`);
  const three = await withLLMCache(new FakeListChatModel({ responses: ["not cached"] }), { cache }).invoke(`note ${MARK}-3`);
  return [one.content, two?.[0].text, three.content];
}

describe("LLM cache keys at rest", () => {
  it("the SQLite file holds digests, no prompt or llmKey, and a second process's cache still answers", async () => {
    const path = temporaryDatabase("keys-at-rest");
    await fill(new RustLLMCache({ path }));
    const db = new Database(path, { readonly: true });
    const keys = db.prepare("SELECT CAST(key AS TEXT) AS k FROM flg_cache_entries").all() as { k: string }[];
    db.close();
    expect(keys).toHaveLength(3);
    for (const { k } of keys) expect(k).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(keys.map((r) => r.k)).toContain(llmCacheKey(`prompt ${MARK}-2`, `{"apiKey":"sk-${MARK}"}`));
    for (const file of [path, `${path}-wal`].filter((f) => fs.existsSync(f))) {
      const bytes = fs.readFileSync(file);
      expect(bytes.includes(MARK)).toBe(false);
      expect(bytes.includes(Buffer.from(MARK, "utf16le"))).toBe(false);
    }
    // Another cache on the file (a fresh name, so the memory tier is empty and the disk answers).
    const copy = temporaryDatabase("keys-at-rest-copy");
    fs.copyFileSync(path, copy);
    if (fs.existsSync(`${path}-wal`)) fs.copyFileSync(`${path}-wal`, `${copy}-wal`);
    expect(await answers(new RustLLMCache({ path: copy }))).toEqual(["answer one", "answer two", "answer three"]);
  });

  it("the PostgreSQL table holds digests, no prompt or llmKey, and another cache on it answers", async () => {
    const schema = freshSchema("keys_at_rest");
    schemas.push(schema);
    const pg = { connectionString: postgresUrl(), schema, table: "llm_cache" };
    await fill(new RustLLMCache({ name: unique("w"), postgres: pg }));
    const rows = await withPg((c) =>
      c.query(`SELECT convert_from(key, 'UTF8') AS k, encode(value, 'escape') AS v FROM "${schema}".llm_cache`),
    );
    expect(rows.rows).toHaveLength(3);
    for (const { k, v } of rows.rows as { k: string; v: string }[]) {
      expect(k).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(`${k}${v}`).not.toContain(MARK);
    }
    const reader = new RustLLMCache({ name: unique("r"), postgres: pg });
    expect(await answers(reader)).toEqual(["answer one", "answer two", "answer three"]);
    expect(reader.stats().hits).toBe(3);
  });

  it("keys of prompts that differ only in a lone surrogate stay apart", async () => {
    const cache = new RustLLMCache({ name: unique("surrogates") });
    expect(llmCacheKey("a\ud800", "k")).not.toBe(llmCacheKey("a\udc00", "k"));
    expect(llmCacheKey("a\ud800", "k")).not.toBe(llmCacheKey("a\ufffd", "k"));
    // The length prefix keeps (prompt, llmKey) splits apart.
    expect(llmCacheKey("ab", "c")).not.toBe(llmCacheKey("a", "bc"));
    await cache.update("a\ud800", "k", [{ text: "high", message: new AIMessage("high") } as never]);
    await cache.update("a\udc00", "k", [{ text: "low" }]);
    expect((await cache.lookup("a\ud800", "k"))?.[0].text).toBe("high");
    expect((await cache.lookup("a\udc00", "k"))?.[0].text).toBe("low");
    expect(await cache.lookup("a\ufffd", "k")).toBeNull();
  });
});
