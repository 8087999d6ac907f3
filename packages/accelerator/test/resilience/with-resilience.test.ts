import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { z } from "zod";

import { CircuitBreaker, CircuitOpenError, RustLLMCache, RustRateLimiter, withLLMCache, withResilience } from "../../src";
import { httpError, ScheduledChatModel } from "../support/scheduled-model";

const noJitter = { initialDelayMs: 10, random: () => 0 };
const text = (m: { content: unknown }) => String(m.content);

describe("withResilience on invoke", () => {
  it("retries a 429 after its Retry-After, then answers", async () => {
    const model = withResilience(new ScheduledChatModel([{ error: httpError(429, { "retry-after": "0.2" }) }, { reply: "hello" }]), {
      retry: noJitter,
    });
    expect(text(await model.invoke("hi"))).toBe("hello");
    expect(model.calls).toHaveLength(2);
    expect(model.calls[1] - model.calls[0]).toBeGreaterThanOrEqual(199);
    expect(model.resilienceStats()).toMatchObject({ calls: 1, attempts: 2, successes: 1, retries: 1, failures: { rate_limit: 1 } });
  });

  it("does not retry a 400", async () => {
    const model = withResilience(new ScheduledChatModel([{ error: httpError(400) }]), { retry: noJitter });
    await expect(model.invoke("hi")).rejects.toMatchObject({ status: 400 });
    expect(model.calls).toHaveLength(1);
    expect(model.resilienceStats()).toMatchObject({ retries: 0, failures: { client: 1 } });
  });

  it("retries a 500 and a timed-out attempt, up to maxAttempts", async () => {
    const model = withResilience(new ScheduledChatModel([{ error: httpError(500) }, { hang: true }, { reply: "third time" }]), {
      retry: noJitter,
      attemptTimeoutMs: 50,
    });
    expect(text(await model.invoke("hi"))).toBe("third time");
    expect(model.resilienceStats().failures).toMatchObject({ server: 1, timeout: 1 });
    const capped = withResilience(new ScheduledChatModel(Array.from({ length: 5 }, () => ({ error: httpError(502) }))), {
      retry: { ...noJitter, maxAttempts: 3 },
    });
    await expect(capped.invoke("hi")).rejects.toMatchObject({ status: 502 });
    expect(capped.calls).toHaveLength(3);
  });

  it("gives up when Retry-After would go past maxElapsedMs", async () => {
    const model = withResilience(new ScheduledChatModel([{ error: httpError(429, { "retry-after": "30" }) }]), {
      retry: { ...noJitter, maxElapsedMs: 1000 },
    });
    await expect(model.invoke("hi")).rejects.toMatchObject({ status: 429 });
    expect(model.calls).toHaveLength(1);
  });

  it("calls back once per run however many attempts it took", async () => {
    const events: string[] = [];
    const handler = BaseCallbackHandler.fromMethods({
      handleChatModelStart: () => void events.push("start"),
      handleLLMEnd: () => void events.push("end"),
      handleLLMError: () => void events.push("error"),
    });
    const model = withResilience(new ScheduledChatModel([{ error: httpError(503) }, { reply: "fine" }]), { retry: noJitter });
    await model.invoke("hi", { callbacks: [handler] });
    expect(events).toEqual(["start", "end"]);
  });

  it("keeps batch, bindTools and withStructuredOutput working, under one concurrency limit", async () => {
    const inner = new ScheduledChatModel([], 20);
    const model = withResilience(inner, { maxConcurrency: 2 });
    const out = await model.batch(["a", "b", "c", "d", "e"]);
    expect(out.map(text).sort()).toEqual(["ok 1", "ok 2", "ok 3", "ok 4", "ok 5"]);
    expect(inner.peakInFlight).toBe(2);
    expect(model.resilienceStats().concurrency).toMatchObject({ peakInFlight: 2, acquired: 5 });

    const listModel = withResilience(new FakeListChatModel({ responses: ['{"city":"Paris"}', "bound answer"] }), {
      rateLimiter: { requestsPerSecond: 100 },
    });
    const structured = listModel.withStructuredOutput(z.object({ city: z.string() }));
    expect(await structured.invoke("capital of France?")).toEqual({ city: "Paris" });
    const echo = tool(async () => "x", { name: "echo", description: "echo", schema: z.object({}) });
    const bound = listModel.bindTools([echo]);
    expect(text(await bound.invoke("hi"))).toBe("bound answer");
    expect(listModel.resilienceStats().rateLimiter?.requests).toBe(2);
  });

  it("stops waiting for the rate limiter when the caller aborts", async () => {
    const model = withResilience(new ScheduledChatModel(), { rateLimiter: { requestsPerMinute: 1 } });
    await model.invoke("first");
    const controller = new AbortController();
    const waiting = model.invoke("second", { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(waiting).rejects.toThrow(/abort/i);
    expect(model.calls).toHaveLength(1);
    expect(model.resilienceStats().rateLimiter).toMatchObject({ requests: 2, delayed: 1 });
  });

  it("fails fast with the breaker open and spends no rate budget on refused calls", async () => {
    const limiter = new RustRateLimiter({ requestsPerSecond: 1000 });
    const model = withResilience(new ScheduledChatModel(Array.from({ length: 3 }, () => ({ error: httpError(500) }))), {
      rateLimiter: limiter,
      circuitBreaker: new CircuitBreaker({ failureThreshold: 3, recoveryTimeoutMs: 60_000 }),
      retry: false,
    });
    for (let i = 0; i < 3; i++) await expect(model.invoke("hi")).rejects.toMatchObject({ status: 500 });
    await expect(model.invoke("hi")).rejects.toThrow(CircuitOpenError);
    expect(model.calls).toHaveLength(3);
    expect(limiter.stats().requests).toBe(3);
    expect(model.resilienceStats()).toMatchObject({ breakerRejections: 1, circuitBreaker: { state: "open" } });
  });
});

describe("withResilience on stream", () => {
  async function collect(stream: AsyncIterable<{ content: unknown }>) {
    const out: string[] = [];
    for await (const c of stream) out.push(String(c.content));
    return out;
  }

  it("retries a stream that failed before its first chunk", async () => {
    const model = withResilience(new ScheduledChatModel([{ error: httpError(429) }, { reply: "one two three" }]), { retry: noJitter });
    expect(await collect(await model.stream("hi"))).toEqual(["one", " two", " three"]);
    expect(model.calls).toHaveLength(2);
  });

  it("never replays chunks: a failure after the first chunk is thrown, not retried", async () => {
    const model = withResilience(new ScheduledChatModel([{ failAfterChunks: 2, error: httpError(500), reply: "one two three" }]), {
      retry: noJitter,
    });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const c of await model.stream("hi")) seen.push(String(c.content));
      })(),
    ).rejects.toMatchObject({ status: 500 });
    expect(seen).toEqual(["one", " two"]);
    expect(model.calls).toHaveLength(1);
    expect(model.resilienceStats()).toMatchObject({ midStreamFailures: 1, retries: 0, failures: { server: 1 } });
  });

  it("gives the concurrency permit back when the consumer stops early, counting a success", async () => {
    const model = withResilience(new ScheduledChatModel([{ reply: "a b c d" }, { reply: "e f" }]), {
      maxConcurrency: 1,
      circuitBreaker: { failureThreshold: 1 },
    });
    for await (const chunk of await model.stream("hi")) {
      expect(String(chunk.content)).toBe("a");
      break;
    }
    expect(await collect(await model.stream("again"))).toEqual(["e", " f"]);
    expect(model.resilienceStats()).toMatchObject({
      successes: 2,
      concurrency: { inFlight: 0, acquired: 2 },
      circuitBreaker: { state: "closed", successes: 2 },
    });
  });

  it("counts tokens from usage_metadata and settles the limiter", async () => {
    const limiter = new RustRateLimiter({ requestsPerSecond: 100, tokensPerMinute: 1_000_000 });
    const model = withResilience(new ScheduledChatModel([{ reply: "x", tokens: 42 }]), { rateLimiter: limiter });
    await model.invoke("a question of some length");
    expect(limiter.stats()).toMatchObject({ tokensReserved: 7, tokensSpent: 42 });
    expect(model.resilienceStats().tokensSpent).toBe(42);
  });
});

describe("withResilience with withLLMCache", () => {
  for (const order of ["cache(resilience(model))", "resilience(cache(model))"] as const) {
    it(`${order}: a hit spends no rate budget and does not touch the breaker`, async () => {
      const limiter = new RustRateLimiter({ requestsPerSecond: 100 });
      const breaker = new CircuitBreaker({ failureThreshold: 5 });
      const base = new ScheduledChatModel([{ reply: "cached answer" }]);
      const options = { rateLimiter: limiter, circuitBreaker: breaker };
      const model =
        order === "cache(resilience(model))"
          ? withLLMCache(withResilience(base, options), { cache: new RustLLMCache() })
          : withResilience(withLLMCache(base, { cache: new RustLLMCache() }), options);
      expect(text(await model.invoke("same question"))).toBe("cached answer");
      expect(text(await model.invoke("same question"))).toBe("cached answer");
      expect(base.calls).toHaveLength(1);
      expect(limiter.stats().requests).toBe(1);
      expect(breaker.stats().admitted).toBe(1);
      expect(model.llmCache.stats()).toMatchObject({ hits: 1, misses: 1 });
    });
  }
});

describe("withResilience in LangGraph", () => {
  it("works as a graph node", async () => {
    const model = withResilience(new ScheduledChatModel([{ error: httpError(529) }, { reply: "from the node" }]), { retry: noJitter });
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("model", async (s) => ({ messages: [await model.invoke(s.messages)] }))
      .addEdge(START, "model")
      .compile();
    const out = await graph.invoke({ messages: [new HumanMessage("hi")] });
    expect(text(out.messages[1])).toBe("from the node");
    expect(model.resilienceStats().failures.overloaded).toBe(1);
  });

  it("rides a ReAct agent through a burst of 429s and a brown-out", async () => {
    const lookup = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
      name: "weather",
      description: "weather by city",
      schema: z.object({ city: z.string() }),
    });
    const model = withResilience(
      new ScheduledChatModel([
        { error: httpError(429, { "retry-after-ms": "30" }) },
        { error: httpError(429, { "retry-after-ms": "30" }) },
        { reply: "", toolCalls: [{ id: "c1", name: "weather", args: { city: "Paris" }, type: "tool_call" }] },
        { error: httpError(503) },
        { error: httpError(500) },
        { reply: "It is sunny in Paris." },
      ]),
      { retry: noJitter, circuitBreaker: { failureThreshold: 5 }, rateLimiter: { requestsPerSecond: 50 } },
    );
    const agent = createReactAgent({ llm: model, tools: [lookup] });
    const out = await agent.invoke({ messages: [new HumanMessage("weather in Paris?")] });
    const last = out.messages[out.messages.length - 1];
    expect(last).toBeInstanceOf(AIMessage);
    expect(text(last)).toBe("It is sunny in Paris.");
    expect(out.messages.map((m: { getType(): string }) => m.getType())).toEqual(["human", "ai", "tool", "ai"]);
    expect(model.resilienceStats()).toMatchObject({
      calls: 2,
      attempts: 6,
      retries: 4,
      failures: { rate_limit: 2, overloaded: 1, server: 1 },
      circuitBreaker: { state: "closed" },
    });
  });
});
