import fs from "node:fs";

import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { FakeListChatModel, FakeStreamingChatModel } from "@langchain/core/utils/testing";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { z } from "zod";

import { RustLLMCache, withLLMCache } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

function chatGraph(model: FakeListChatModel) {
  return new StateGraph(MessagesAnnotation)
    .addNode("model", async (s) => ({ messages: [await model.invoke(s.messages)] }))
    .addEdge(START, "model")
    .compile();
}

describe("RustLLMCache as @langchain/core's cache", () => {
  it("serves the second identical call inside a real graph, as an equal message", async () => {
    const cache = new RustLLMCache();
    const model = new FakeListChatModel({ responses: ["first answer", "second answer"], cache });
    const graph = chatGraph(model);
    const input = { messages: [new HumanMessage("what is the capital of France?")] };
    const first = await graph.invoke(input);
    const second = await graph.invoke(input);
    expect(second.messages[1].content).toBe("first answer");
    expect(second.messages[1]).toBeInstanceOf(AIMessage);
    expect(second.messages[1].content).toEqual(first.messages[1].content);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1 });
    const third = await graph.invoke({ messages: [new HumanMessage("and of Spain?")] });
    expect(third.messages[1].content).toBe("second answer");
  });

  it("hands out fresh objects on every hit", async () => {
    const cache = new RustLLMCache();
    await cache.update("p", "k", [
      {
        text: "t",
        message: new AIMessage({ content: "t", usage_metadata: { input_tokens: 3, output_tokens: 4, total_tokens: 7 } }),
      } as never,
    ]);
    const a = (await cache.lookup("p", "k"))!;
    const b = (await cache.lookup("p", "k"))!;
    expect(a[0]).not.toBe(b[0]);
    (a[0] as unknown as { message: AIMessage }).message.usage_metadata = undefined;
    expect((b[0] as unknown as { message: AIMessage }).message.usage_metadata).toEqual({
      input_tokens: 3,
      output_tokens: 4,
      total_tokens: 7,
    });
  });

  it("is exact: pairs that concatenate alike never share an entry", async () => {
    const cache = new RustLLMCache();
    await cache.update("ab", "c", [{ text: "one" }]);
    expect(await cache.lookup("a", "bc")).toBeNull();
    expect((await cache.lookup("ab", "c"))?.[0].text).toBe("one");
  });

  it("expires entries after their TTL, per cache and per entry", async () => {
    const cache = new RustLLMCache({ ttl: 250 });
    await cache.update("p", "k", [{ text: "short" }]);
    await cache.update("q", "k", [{ text: "long" }], 10_000);
    expect(await cache.lookup("p", "k")).not.toBeNull();
    await new Promise((r) => setTimeout(r, 400));
    expect(await cache.lookup("p", "k")).toBeNull();
    expect(await cache.lookup("q", "k")).not.toBeNull();
    expect(cache.stats().expirations).toBe(1);
  });

  it("evicts the least recently used entry first", async () => {
    const cache = new RustLLMCache({ maxEntries: 2 });
    await cache.update("a", "k", [{ text: "a" }]);
    await cache.update("b", "k", [{ text: "b" }]);
    await cache.lookup("a", "k");
    await cache.update("c", "k", [{ text: "c" }]);
    expect(await cache.lookup("b", "k")).toBeNull();
    expect(await cache.lookup("a", "k")).not.toBeNull();
    expect(cache.stats()).toMatchObject({ entries: 2, evictions: 1 });
  });

  it("never holds more than maxBytes; a value that cannot fit is not cached and the call still succeeds", async () => {
    const cache = new RustLLMCache({ maxBytes: 4096 });
    for (let i = 0; i < 50; i++) {
      await cache.update(`prompt ${i}`, "k", [{ text: "x".repeat(200) }]);
      expect(cache.stats().bytes).toBeLessThanOrEqual(4096);
    }
    await cache.update("prompt 49", "k", [{ text: "x".repeat(10_000) }]);
    expect(await cache.lookup("prompt 49", "k")).toBeNull();
    expect(cache.stats()).toMatchObject({ tooLarge: 1 });
    expect(cache.stats().bytes).toBeLessThanOrEqual(4096);
  });

  it("rejects bounds of zero or less, naming them", () => {
    expect(() => new RustLLMCache({ maxEntries: 0 })).toThrow(/maxEntries must be a positive number/);
    expect(() => new RustLLMCache({ maxBytes: -1 })).toThrow(/maxBytes must be a positive number/);
    expect(() => new RustLLMCache({ ttl: 0 })).toThrow(/ttl must be a positive number/);
  });

  it("refuses a file that is another SQLite database, and survives a corrupt one", () => {
    const foreign = temporaryDatabase("foreign");
    new RustLLMCache({ path: temporaryDatabase("make") }).flush();
    const Database = require("better-sqlite3");
    const db = new Database(foreign);
    db.exec("CREATE TABLE invoices (id INTEGER)");
    db.close();
    expect(() => new RustLLMCache({ path: foreign })).toThrow(/is a SQLite database but not a fast-langgraph cache .*invoices/);

    const corrupt = temporaryDatabase("corrupt");
    fs.writeFileSync(corrupt, Buffer.alloc(8192, "garbage "));
    const cache = new RustLLMCache({ path: corrupt });
    expect(cache.stats().diskError).toMatch(/cache file .*corrupt.* is unusable/);
    return cache.update("p", "k", [{ text: "still works in memory" }]).then(async () => {
      expect((await cache.lookup("p", "k"))?.[0].text).toBe("still works in memory");
      expect(fs.readFileSync(corrupt).equals(Buffer.alloc(8192, "garbage "))).toBe(true);
    });
  });
});

describe("withLLMCache", () => {
  it("caches invoke, keyed by every message field and call parameter, and misses when a tool changes", async () => {
    const model = withLLMCache(new FakeListChatModel({ responses: ["r1", "r2", "r3", "r4", "r5"] }));
    const messages = [new HumanMessage("hi")];
    const stats = () => model.llmCache.stats();
    expect((await model.invoke(messages)).content).toBe("r1");
    expect((await model.invoke(messages)).content).toBe("r1");
    expect(stats()).toMatchObject({ hits: 1, misses: 1 });
    await model.invoke(messages, { stop: ["STOP"] });
    expect(stats()).toMatchObject({ hits: 1, misses: 2 });
    const search = tool(async () => "x", { name: "search", description: "search", schema: z.object({ q: z.string() }) });
    const other = tool(async () => "y", { name: "lookup", description: "lookup", schema: z.object({ q: z.string() }) });
    const withSearch = (await model.bindTools([search]).invoke(messages)).content;
    expect((await model.bindTools([search]).invoke(messages)).content).toBe(withSearch);
    expect(stats()).toMatchObject({ hits: 2, misses: 3 });
    await model.bindTools([other]).invoke(messages);
    await model.invoke([new HumanMessage({ content: "hi", name: "bob" })]);
    expect(stats()).toMatchObject({ hits: 2, misses: 5 });
  });

  it("replays a cached stream chunk by chunk", async () => {
    const base = new FakeStreamingChatModel({ sleep: 0, responses: [new AIMessage("streamed answer")] });
    let calls = 0;
    const original = base._streamResponseChunks.bind(base);
    base._streamResponseChunks = async function* (...args) {
      calls += 1;
      yield* original(...args);
    };
    const model = withLLMCache(base);
    const collect = async () => {
      const chunks: string[] = [];
      for await (const chunk of await model.stream([new HumanMessage("stream please")])) chunks.push(String(chunk.content));
      return chunks;
    };
    const first = await collect();
    const second = await collect();
    expect(first.length).toBeGreaterThan(1);
    expect(second).toEqual(first);
    expect(calls).toBe(1);
  });
});
