import { InMemoryCache } from "@langchain/core/caches";
import { HumanMessage } from "@langchain/core/messages";
import { Annotation, START, StateGraph } from "@langchain/langgraph";

import { RustLLMCache, RustRateLimiter, withLLMCache, withResilience } from "../../src";
import { createProfiler } from "../../src/profiler";
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

async function profileOf(graph: ReturnType<typeof asking>) {
  const profiler = createProfiler({ otel: false });
  await profiler.ready;
  await graph.invoke({ ran: [] }, profiler.withCallbacks({}));
  return profiler;
}

describe("profiler: cache misses told apart from uncached calls", () => {
  test.each([
    ["InMemoryCache (LangChain's own)", () => new InMemoryCache()],
    ["RustLLMCache as the model's cache", () => new RustLLMCache()],
  ])("%s: the model's `cache` option gives hits and misses", async (_name, cache) => {
    const model = new ProfiledModel(0);
    model.cache = cache();
    const profiler = await profileOf(asking(model, ["a", "b", "a", "a", "c"]));
    const m = profiler.summary().models.find((x) => x.name === "ScheduledChatModel");
    // The model really ran for the three distinct prompts only: each of those calls is a miss.
    expect(model.calls).toBe(3);
    expect(m).toMatchObject({ count: 5, cacheHits: 2, cacheMisses: 3 });
    expect(profiler.store.data.modelCalls.map((c) => c.cache)).toEqual(["miss", "miss", "hit", "hit", "miss"]);
  });

  test("a model without a cache: neither hits nor misses", async () => {
    const model = new ProfiledModel(0);
    const profiler = await profileOf(asking(model, ["a", "a"]));
    const m = profiler.summary().models[0];
    expect(m).toMatchObject({ count: 2, cacheHits: 0, cacheMisses: 0, repeatedPrompts: 1 });
    expect(profiler.store.data.modelCalls.every((c) => c.cache === undefined)).toBe(true);
  });

  test("withLLMCache: the first call of a prompt misses, a repeat hits", async () => {
    const model = withLLMCache(new ProfiledModel(0));
    const profiler = await profileOf(asking(model, ["x", "y", "x"]));
    expect(model.calls).toBe(2);
    expect(profiler.store.data.modelCalls.map((c) => c.cache)).toEqual(["miss", "miss", "hit"]);
    const text = profiler.report();
    expect(text).toContain("misses");
    expect(profiler.toJSON().summary.models[0]).toMatchObject({ cacheHits: 1, cacheMisses: 2 });
  });
});

describe("profiler: the resilience layer's rate-limit waits and retries", () => {
  test("waits for the rate limiter are recorded per call, agree with the limiter's own stats, and drive the advice", async () => {
    // 2 requests per second, one at a time: of 4 back-to-back calls, the 2nd, 3rd and 4th wait.
    const limiter = new RustRateLimiter({ requestsPerSecond: 2, maxBurst: 1, windowMarginMs: 0 });
    const model = withResilience(new ScheduledChatModel(), { rateLimiter: limiter, retry: false });
    const profiler = await profileOf(asking(model, ["1", "2", "3", "4"]));
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

  test("retries inside one model call (a 429, then an answer) are counted with their backoff", async () => {
    const model = withResilience(new ScheduledChatModel([{ error: httpError(429) }, { reply: "fine" }]), {
      retry: { initialDelayMs: 20, random: () => 1 },
    });
    const profiler = await profileOf(asking(model, ["q"]));
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
