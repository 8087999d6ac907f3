import { InMemoryCache } from "@langchain/core/caches";
import { type BaseMessage, HumanMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { Annotation, START, StateGraph } from "@langchain/langgraph";

import { RustLLMCache, RustRateLimiter, withLLMCache, withResilience } from "../../src";
import { createProfiler } from "../../src/profiler";
import { PROFILER_MODES, type ProfilerMode, recording } from "../support/profiler-modes";
import { ScheduledChatModel as ProfiledModel } from "../support/profiler-models";
import { ScheduledChatModel, httpError } from "../support/scheduled-model";

const Log = Annotation.Root({
  ran: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** A one-node graph whose node sends `prompts` to `model`, one after another. */
function asking(model: { invoke(input: unknown): Promise<unknown> }, prompts: string[]) {
  return new StateGraph(Log)
    .addNode("ask", async () => {
      for (const p of prompts) await model.invoke([new HumanMessage(p)]);
      return { ran: ["ask"] };
    })
    .addEdge(START, "ask")
    .compile();
}

async function profileOf(graph: ReturnType<typeof asking>, mode: ProfilerMode) {
  const profiler = createProfiler({ otel: false });
  await profiler.ready;
  await recording(mode, profiler, (wrap) => graph.invoke({ ran: [] }, wrap({})));
  return profiler;
}

const caches: Array<[string, () => InMemoryCache | RustLLMCache]> = [
  ["InMemoryCache (LangChain's own)", () => new InMemoryCache()],
  ["RustLLMCache as the model's cache", () => new RustLLMCache()],
];

/** A model whose own call asks another model first (a call nested in a call). */
class AskingFirst extends ProfiledModel {
  constructor(private readonly first: { invoke(input: unknown): Promise<unknown> }) {
    super(0);
  }
  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    await this.first.invoke([new HumanMessage(`first ${String(messages[0].content)}`)]);
    return super._generate(messages);
  }
}

describe.each(PROFILER_MODES)("profiler, %s", (mode) => {
  describe("cache misses told apart from uncached calls", () => {
    test.each(caches)("%s: the model's `cache` option gives hits and misses", async (_name, cache) => {
      const model = new ProfiledModel(0);
      model.cache = cache();
      const profiler = await profileOf(asking(model, ["a", "b", "a", "a", "c"]), mode);
      const m = profiler.summary().models.find((x) => x.name === "ScheduledChatModel");
      // The model really ran for the three distinct prompts only: each of those calls is a miss.
      expect(model.calls).toBe(3);
      expect(m).toMatchObject({ count: 5, cacheHits: 2, cacheMisses: 3 });
      expect(profiler.store.data.modelCalls.map((c) => c.cache)).toEqual(["miss", "miss", "hit", "hit", "miss"]);
    });

    test("a model without a cache: neither hits nor misses", async () => {
      const model = new ProfiledModel(0);
      const profiler = await profileOf(asking(model, ["a", "a"]), mode);
      const m = profiler.summary().models[0];
      expect(m).toMatchObject({ count: 2, cacheHits: 0, cacheMisses: 0, repeatedPrompts: 1 });
      expect(profiler.store.data.modelCalls.every((c) => c.cache === undefined)).toBe(true);
    });

    test("withLLMCache: the first call of a prompt misses, a repeat hits", async () => {
      const model = withLLMCache(new ProfiledModel(0));
      const profiler = await profileOf(asking(model, ["x", "y", "x"]), mode);
      expect(model.calls).toBe(2);
      expect(profiler.store.data.modelCalls.map((c) => c.cache)).toEqual(["miss", "miss", "hit"]);
      const text = profiler.report();
      expect(text).toContain("misses");
      expect(profiler.toJSON().summary.models[0]).toMatchObject({ cacheHits: 1, cacheMisses: 2 });
    });

    test("withLLMCache on model.stream(): a miss, then a hit replayed from the cache", async () => {
      const model = withLLMCache(new ProfiledModel(0));
      const streamed: string[] = [];
      const graph = new StateGraph(Log)
        .addNode("ask", async () => {
          for (let i = 0; i < 2; i++) {
            let text = "";
            for await (const chunk of await model.stream([new HumanMessage("one two")])) text += chunk.content;
            streamed.push(text);
          }
          return { ran: ["ask"] };
        })
        .addEdge(START, "ask")
        .compile();
      const profiler = await profileOf(graph, mode);
      expect(streamed).toEqual(["reply: one two", "reply: one two"]);
      expect(model.calls).toBe(1);
      expect(profiler.store.data.modelCalls.map((c) => `${c.cache}:${c.tokens}`)).toEqual(["miss:3", "hit:3"]);
    });

    test.each(caches)("%s and withLLMCache: each prompt of one generate() batch gets its own outcome and tokens", async (_name, cache) => {
      const langchain = new ProfiledModel(0);
      langchain.cache = cache();
      const ours = withLLMCache(new ProfiledModel(0));
      const graph = new StateGraph(Log)
        .addNode("ask", async () => {
          await langchain.invoke([new HumanMessage("a")]);
          // (LangChain's cached generate() misplaces a hit that follows a miss in its result: hits first.)
          await langchain.generate([[new HumanMessage("a")], [new HumanMessage("bb")]]);
          await ours.invoke([new HumanMessage("a")]);
          await ours.generate([[new HumanMessage("bb")], [new HumanMessage("a")]]);
          return { ran: ["ask"] };
        })
        .addEdge(START, "ask")
        .compile();
      const profiler = await profileOf(graph, mode);
      // Only "bb" of the batch reached the models (a miss); hits spend no tokens (LangChain's usage of a hit).
      expect([langchain.calls, ours.calls]).toEqual([2, 2]);
      const calls = profiler.store.data.modelCalls.map((c) => `${c.cache}:${c.inputTokens}/${c.outputTokens}`);
      expect(calls).toEqual(["miss:3/2", "hit:0/0", "miss:3/2", "miss:3/2", "miss:3/2", "hit:0/0"]);
    });

    test("nested and parallel calls: each note reaches its own call", async () => {
      const inner = withLLMCache(new ProfiledModel(0));
      await inner.invoke([new HumanMessage("first warm")]);
      const outer = new AskingFirst(inner);
      const graph = new StateGraph(Log)
        .addNode("ask", async () => {
          // Two calls of one model at once, a hit and a miss; then an uncached model whose call asks `inner` (a hit).
          await Promise.all([inner.invoke([new HumanMessage("first warm")]), inner.invoke([new HumanMessage("cold")])]);
          await outer.invoke([new HumanMessage("warm")]);
          return { ran: ["ask"] };
        })
        .addEdge(START, "ask")
        .compile();
      const profiler = await profileOf(graph, mode);
      const byPrompt = (c: { inputTokens?: number; cache?: string; start: number }) => c.cache ?? "none";
      const calls = profiler.store.data.modelCalls;
      expect(calls.map((c) => c.name)).toEqual(["ScheduledChatModel", "ScheduledChatModel", "AskingFirst", "ScheduledChatModel"]);
      expect(calls.map(byPrompt)).toEqual(["hit", "miss", "none", "hit"]);
      // The nested call lies inside its caller's.
      expect(calls[3].start).toBeGreaterThanOrEqual(calls[2].start);
      expect(calls[3].end).toBeLessThanOrEqual(calls[2].end as number);
    });
  });

  describe("the resilience layer's rate-limit waits and retries", () => {
    test("waits for the rate limiter are recorded per call, agree with the limiter's own stats, and drive the advice", async () => {
      // 2 requests per second, one at a time: of 4 back-to-back calls, the 2nd, 3rd and 4th wait.
      const limiter = new RustRateLimiter({ requestsPerSecond: 2, maxBurst: 1, windowMarginMs: 0 });
      const model = withResilience(new ScheduledChatModel(), { rateLimiter: limiter, retry: false });
      const profiler = await profileOf(asking(model, ["1", "2", "3", "4"]), mode);
      const calls = profiler.store.data.modelCalls;
      const stats = limiter.stats();
      expect(calls).toHaveLength(4);
      expect(stats.requests).toBe(4);
      const waited = calls.filter((c) => (c.rateLimitWaitMs ?? 0) > 0);
      expect(waited).toHaveLength(stats.delayed);
      expect(stats.delayed).toBeGreaterThanOrEqual(2);
      // Each recorded wait lies inside its call, and the longest is the limiter's own maximum.
      for (const c of calls) expect(c.rateLimitWaitMs ?? 0).toBeLessThanOrEqual((c.end ?? 0) - c.start + 1);
      expect(Math.max(...calls.map((c) => c.rateLimitWaitMs ?? 0))).toBeCloseTo(stats.maxWaitMs, 0);
      const m = profiler.summary().models[0];
      expect(m.rateLimitWaits).toBe(stats.delayed);
      expect(m.rateLimitWaitMs).toBeCloseTo(
        calls.reduce((s, c) => s + (c.rateLimitWaitMs ?? 0), 0),
        6,
      );
      const advice = profiler.advice().find((a) => a.rule === "rate-limits");
      expect(advice?.message).toContain("waiting for the rate limiter");
      expect(advice?.evidence).toContain(`by ${stats.delayed} of 4 calls`);
      expect(profiler.report()).toContain("rl wait");
      expect(profiler.html()).toContain("rate-limit wait ms");
      expect(profiler.toJSON().raw.modelCalls[3].rateLimitWaitMs).toBe(calls[3].rateLimitWaitMs);
    });

    test("the prompts of one generate() batch wait each for their own turn", async () => {
      const limiter = new RustRateLimiter({ requestsPerSecond: 4, maxBurst: 1, windowMarginMs: 0 });
      const model = withResilience(new ScheduledChatModel(), { rateLimiter: limiter, retry: false });
      const graph = new StateGraph(Log)
        .addNode("ask", async () => {
          await model.generate([[new HumanMessage("1")], [new HumanMessage("2")], [new HumanMessage("3")]]);
          return { ran: ["ask"] };
        })
        .addEdge(START, "ask")
        .compile();
      const profiler = await profileOf(graph, mode);
      const calls = profiler.store.data.modelCalls;
      const stats = limiter.stats();
      expect([calls.length, stats.requests, stats.delayed]).toEqual([3, 3, 2]);
      // The three go at once: one passes, the other two wait different times, each noted on its own prompt.
      const waits = calls.map((c) => c.rateLimitWaitMs ?? 0).sort((a, b) => a - b);
      expect(waits[0]).toBe(0);
      expect(waits[1]).toBeGreaterThan(0);
      expect(waits[2]).toBeGreaterThan(waits[1]);
      expect(waits[2]).toBeCloseTo(stats.maxWaitMs, 0);
      expect(calls.map((c) => c.rateLimitWaits ?? 0).sort()).toEqual([0, 1, 1]);
    });

    test("retries inside one model call (a 429, then an answer) are counted with their backoff", async () => {
      const model = withResilience(new ScheduledChatModel([{ error: httpError(429) }, { reply: "fine" }]), {
        retry: { initialDelayMs: 20, random: () => 1 },
      });
      const profiler = await profileOf(asking(model, ["q"]), mode);
      const [call] = profiler.store.data.modelCalls;
      expect(model.calls).toHaveLength(2);
      expect(call.status).toBe("ok");
      expect(call.retries).toBe(model.resilienceStats().retries);
      expect(call.retries).toBe(1);
      // The backoff recorded is the one the pipeline slept: the two attempts reached the model at least that far apart.
      expect(call.retryWaitMs).toBe(20);
      expect(model.calls[1] - model.calls[0]).toBeGreaterThanOrEqual((call.retryWaitMs ?? 0) - 1);
      expect(profiler.summary().models[0]).toMatchObject({ retries: 1 });
    });
  });
});
