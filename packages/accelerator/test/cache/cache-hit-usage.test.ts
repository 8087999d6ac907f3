import { InMemoryCache } from "@langchain/core/caches";
import { AIMessage, type AIMessageChunk, HumanMessage } from "@langchain/core/messages";

import { RustLLMCache, patchLangGraph, unpatchLangGraph, withLLMCache } from "../../src";
import { UsageReportingChatModel } from "../support/usage-model";

// A hit spends no tokens: hits report usage as LangChain's own cache reports its hits (BaseChatModel
// _generateCached: usage_metadata all zero, generationInfo.tokenUsage {}), so a service that sums
// usage_metadata counts only the calls that reached the provider.
const ZERO = { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
const prompt = [new HumanMessage("how many tokens?")];

/** The usage a service would add up over `messages`. */
const spent = (messages: { usage_metadata?: { total_tokens: number } }[]) =>
  messages.reduce((sum, m) => sum + (m.usage_metadata?.total_tokens ?? 0), 0);

describe("usage on cache hits", () => {
  afterEach(() => unpatchLangGraph());

  it("withLLMCache: a hit reports zero usage, the same answer and response metadata; the miss its real usage", async () => {
    const model = withLLMCache(new UsageReportingChatModel());
    const first = (await model.invoke(prompt)) as AIMessage;
    expect(first.usage_metadata).toEqual({ input_tokens: 16, output_tokens: 5, total_tokens: 21, input_token_details: { cache_read: 2 } });
    const hits = [(await model.invoke(prompt)) as AIMessage, (await model.invoke(prompt)) as AIMessage];
    expect(model.calls).toBe(1);
    for (const hit of hits) {
      expect(hit.content).toBe("answer 1");
      expect(hit.usage_metadata).toEqual(ZERO);
      expect(hit.response_metadata).toMatchObject({ model_name: "usage-fake-1" });
    }
    expect(spent([first, ...hits])).toBe(21);
    const result = await model.generate([prompt]);
    expect(result.generations[0][0].generationInfo).toEqual({ finish_reason: "stop", tokenUsage: {} });
  });

  it("withLLMCache: a replayed stream reports zero usage on the chunk that carried it", async () => {
    const model = withLLMCache(new UsageReportingChatModel());
    const collect = async () => {
      const chunks: AIMessageChunk[] = [];
      for await (const chunk of await model.stream(prompt)) chunks.push(chunk);
      return chunks;
    };
    const fresh = await collect();
    const replay = await collect();
    expect(model.calls).toBe(1);
    expect(replay.map((c) => c.content)).toEqual(fresh.map((c) => c.content));
    expect(spent(fresh)).toBe(21);
    expect(replay.map((c) => c.usage_metadata)).toEqual([undefined, ZERO]);
    expect(replay.reduce((a, b) => a.concat(b)).usage_metadata).toMatchObject(ZERO);
  });

  it("RustLLMCache as a model's cache and the patched InMemoryCache follow LangChain's path: zero on hits", async () => {
    const direct = new UsageReportingChatModel();
    direct.cache = new RustLLMCache();
    await direct.invoke(prompt);
    expect(((await direct.invoke(prompt)) as AIMessage).usage_metadata).toEqual(ZERO);
    expect(direct.calls).toBe(1);

    await patchLangGraph({ memorySaver: false, sqliteSaver: false, postgresSaver: false, stateMerger: false });
    const patched = new UsageReportingChatModel();
    patched.cache = new InMemoryCache();
    expect(((await patched.invoke(prompt)) as AIMessage).usage_metadata?.total_tokens).toBe(21);
    expect(((await patched.invoke(prompt)) as AIMessage).usage_metadata).toEqual(ZERO);
    expect(patched.calls).toBe(1);
  });

  it("RustLLMCache.lookup itself hands out what was stored: the zeroing is the model's, on the way out", async () => {
    const cache = new RustLLMCache();
    const usage = { input_tokens: 1, output_tokens: 1, total_tokens: 2 };
    await cache.update("p", "k", [{ text: "t", message: new AIMessage({ content: "t", usage_metadata: usage }) } as never]);
    expect(((await cache.lookup("p", "k"))![0] as unknown as { message: AIMessage }).message.usage_metadata).toEqual(usage);
  });
});
