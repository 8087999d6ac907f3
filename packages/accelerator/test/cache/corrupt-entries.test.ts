import Database from "better-sqlite3";

import { AIMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";

import { RustLLMCache, llmCacheKey, withLLMCache } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

// An entry the cache cannot decode (bit rot, a foreign writer, a torn edit, an earlier version's
// format) answers as a miss: the model is called as without a cache, the entry is removed and then
// replaced by the fresh answer, one warning names the cache and the problem (never the prompt), and
// stats().corrupt counts it. Before, such an entry made every call with that prompt throw, or hand
// out a plain object instead of a message.
const SECRET_PROMPT = "my account number is 12345";
const unique = (n: string) => `${n}-${process.pid}-${Date.now()}-${Math.random()}`;

const warnings: string[] = [];
let spy: jest.SpyInstance;
beforeAll(() => {
  spy = jest.spyOn(process, "emitWarning").mockImplementation((w: string | Error) => void warnings.push(String(w)));
});
afterAll(() => spy.mockRestore());

const BAD_ENTRIES: [string, string][] = [
  ["not JSON", "{not json"],
  ["an earlier version's format naming a prototype key as class", '[{"message":{"class":"constructor","fields":{}}}]'],
  ["a prototype key as class", '{"v":2,"g":["a",[["o",["text","x","message",["c","constructor",[]]]]]]}'],
  ["toString as class", '{"v":2,"g":["a",[["o",["text","x","message",["c","toString",[]]]]]]}'],
  ["a dangling reference", '{"v":2,"g":["a",[["r",7]]]}'],
  ["a generation without text", '{"v":2,"g":["a",[["o",["generationInfo",["o",[]]]]]]}'],
  ["a message without content", '{"v":2,"g":["a",[["o",["text","x","message",["c","AIMessage",["content",1]]]]]]}'],
  ["an unknown tag", '{"v":2,"g":["zz"]}'],
  ["not a list", '{"v":2,"g":"hello"}'],
];

describe("corrupt cache entries", () => {
  it.each(BAD_ENTRIES)("an entry that is %s is a miss, removed, counted and reported once naming the cache", async (_, bad) => {
    const name = unique("corrupt");
    const cache = new RustLLMCache({ name });
    const key = llmCacheKey(SECRET_PROMPT, "llm");
    for (let i = 0; i < 2; i++) {
      cache.store.setText(key, bad);
      await expect(cache.lookup(SECRET_PROMPT, "llm")).resolves.toBeNull();
      expect(cache.store.getText(key)).toBeNull();
    }
    expect(cache.stats().corrupt).toBe(2);
    const mine = warnings.filter((w) => w.includes(JSON.stringify(name)));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatch(/^RustLLMCache \(memory, name ".*"\): an entry could not be read, answering as a miss/);
    expect(mine[0]).not.toContain("12345");
  });

  it("a damaged row in the SQLite file: the model is called, its answer replaces the row, the warning names the file", async () => {
    const written = temporaryDatabase("corrupt-src");
    const writer = new RustLLMCache({ path: written });
    const first = new FakeListChatModel({ responses: ["stored answer"], cache: writer });
    await first.invoke(SECRET_PROMPT);
    await writer.flush();
    const file = temporaryDatabase("corrupt");
    const src = new Database(written, { readonly: true });
    src.exec(`VACUUM INTO '${file}'`);
    src.close();
    const db = new Database(file);
    expect(db.prepare("UPDATE flg_cache_entries SET value = CAST('{not json' AS BLOB)").run().changes).toBe(1);
    db.close();

    const cache = new RustLLMCache({ path: file });
    const model = new FakeListChatModel({ responses: ["fresh answer", "second answer"], cache });
    const answer = await model.invoke(SECRET_PROMPT);
    expect(answer).toBeInstanceOf(AIMessage);
    expect(answer.content).toBe("fresh answer");
    expect((await model.invoke(SECRET_PROMPT)).content).toBe("fresh answer");
    // `hits` counts entries found (the native tiers found the damaged one too), `corrupt` those not decoded.
    expect(cache.stats()).toMatchObject({ corrupt: 1, hits: 2 });
    const mine = warnings.filter((w) => w.includes(file));
    expect(mine).toEqual([
      `RustLLMCache (file ${file}): an entry could not be read, answering as a miss and removing it: the entry is not JSON`,
    ]);
    await cache.flush();
    const reread = new Database(file, { readonly: true });
    const values = reread.prepare("SELECT CAST(value AS TEXT) AS v FROM flg_cache_entries").all() as { v: string }[];
    reread.close();
    expect(values).toHaveLength(1);
    expect(values[0].v).toContain("fresh answer");
  });

  it("withLLMCache: a corrupt entry is a miss that calls the model, not an error", async () => {
    const name = unique("corrupt-with");
    const model = withLLMCache(new FakeListChatModel({ responses: ["fresh", "second"] }), { name });
    const cache = model.llmCache;
    const update = cache.update.bind(cache);
    const keys: [string, string][] = [];
    cache.update = async (p, k, v) => {
      keys.push([p, k]);
      return update(p, k, v);
    };
    await model.invoke(SECRET_PROMPT);
    cache.store.setText(llmCacheKey(...keys[0]), '{"v":2,"g":["a",[["o",["text","x","message",["c","constructor",[]]]]]]}');
    const answer = await model.invoke(SECRET_PROMPT);
    expect(answer).toBeInstanceOf(AIMessage);
    expect(answer.content).toBe("second");
    expect(cache.stats().corrupt).toBe(1);
  });
});
