import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";

import { InMemoryCache } from "@langchain/core/caches";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import type { ChatGeneration } from "@langchain/core/outputs";

import { RustLLMCache, patchLangGraph, unpatchLangGraph, withLLMCache } from "../../src";
import { OddModel } from "./fixtures/odd-model";

// A hit must be what LangChain's own cache hands out: with `cache: new InMemoryCache()` unpatched, a
// hit is the very generation the miss produced (after LangChain gave it the run's id and merged
// generationInfo and llmOutput into response_metadata), with usage zeroed. Every cache here is held
// to that hit field for field (node's isDeepStrictEqual: prototypes, -0, NaN, Dates, own __proto__ keys).
const prompt = () => [new HumanMessage("what is odd?")];
const RUNS = ["0f2c6a52-7d0e-4a4e-9a43-000000000001", "0f2c6a52-7d0e-4a4e-9a43-000000000002", "0f2c6a52-7d0e-4a4e-9a43-000000000003"];

/** A miss, an invoke hit and a generate hit, with a callback handler (so runs have ids) recording tokens. */
async function sequence(model: BaseChatModel & { calls: number }) {
  const tokens: string[] = [];
  const callbacks = [{ handleLLMNewToken: (t: string) => void tokens.push(t) }];
  const miss = (await model.invoke(prompt(), { callbacks, runId: RUNS[0] })) as AIMessage;
  const hit = (await model.invoke(prompt(), { callbacks, runId: RUNS[1] })) as AIMessage;
  const generated = await model.generate([prompt()], { callbacks, runId: RUNS[2] } as never);
  return { miss, hit, generation: generated.generations[0][0] as ChatGeneration, tokens, calls: model.calls };
}

const withCache = <M extends BaseChatModel>(model: M, cache: BaseChatModel["cache"]) => {
  model.cache = cache;
  return model;
};

const expectSame = (actual: unknown, expected: unknown) => {
  expect(actual).toStrictEqual(expected);
  expect(isDeepStrictEqual(actual, expected)).toBe(true);
};

let reference: Awaited<ReturnType<typeof sequence>>;
const dirs: string[] = [];

beforeAll(async () => {
  reference = await sequence(withCache(new OddModel(), new InMemoryCache()));
  expect(reference.calls).toBe(1);
  expect(reference.hit).toMatchObject({
    name: "assistant-7",
    id: `run-${RUNS[0]}`,
    response_metadata: { served_by: "odd-1", date: new Date(0) },
  });
  expect(reference.generation.generationInfo).toMatchObject({ tokenUsage: {} });
});

afterEach(() => unpatchLangGraph());
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("a hit equals LangChain's own cache hit", () => {
  it("the patched InMemoryCache (cache: new InMemoryCache() after patchLangGraph) hands out LangChain's hit exactly", async () => {
    await patchLangGraph({ memorySaver: false, sqliteSaver: false, postgresSaver: false, stateMerger: false });
    const patched = await sequence(withCache(new OddModel(), new InMemoryCache()));
    expect(patched.calls).toBe(1);
    expectSame(patched.hit, reference.hit);
    expectSame(patched.generation, reference.generation);
    expect(patched.tokens).toEqual(reference.tokens);
  });

  it("the patched InMemoryCache keeps values it cannot rebuild exactly (a Map, an application's class) in the instance's map", async () => {
    class Receipt {
      constructor(readonly id: number) {}
    }
    const odd = () => {
      const model = new OddModel();
      const generate = model._generate.bind(model);
      model._generate = async (...args) => {
        const result = await generate(...args);
        result.generations[0].generationInfo = { map: new Map([["k", 1]]), receipt: new Receipt(7) };
        return result;
      };
      return model;
    };
    const unpatched = await sequence(withCache(odd(), new InMemoryCache()));
    await patchLangGraph({ memorySaver: false, sqliteSaver: false, postgresSaver: false, stateMerger: false });
    const patched = await sequence(withCache(odd(), new InMemoryCache()));
    expect(patched.calls).toBe(1);
    expectSame(patched.generation, unpatched.generation);
    expect(patched.generation.generationInfo?.receipt).toBeInstanceOf(Receipt);
  });

  it("RustLLMCache, in memory and with a file, hands out LangChain's hit", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flg-hit-"));
    dirs.push(dir);
    for (const cache of [new RustLLMCache(), new RustLLMCache({ path: path.join(dir, "cache.db") })]) {
      const rust = await sequence(withCache(new OddModel(), cache));
      expect(rust.calls).toBe(1);
      expectSame(rust.hit, reference.hit);
      expectSame(rust.generation, reference.generation);
    }
  });

  it("withLLMCache: the miss is the plain model's answer, and a hit is LangChain's hit (no cached flag, no tokenUsage in response_metadata)", async () => {
    const plain = await sequence(new OddModel());
    const cached = await sequence(withLLMCache(new OddModel()));
    expect(cached.calls).toBe(1);
    expectSame(cached.miss, plain.miss);
    expectSame(cached.hit, reference.hit);
    expect(cached.hit.response_metadata).not.toHaveProperty("cached");
    expect(cached.hit.response_metadata).not.toHaveProperty("tokenUsage");
    expectSame(cached.generation, reference.generation);
    expect(cached.tokens).toEqual(reference.tokens);
  });

  it("withLLMCache with a file tier: a hit is LangChain's hit", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flg-hit-"));
    dirs.push(dir);
    const cached = await sequence(withLLMCache(new OddModel(), { path: path.join(dir, "cache.db") }));
    expect(cached.calls).toBe(1);
    expectSame(cached.hit, reference.hit);
    expect(cached.hit).toBeInstanceOf(AIMessage);
  });
});
