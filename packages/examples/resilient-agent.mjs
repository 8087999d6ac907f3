// A ReAct agent on a provider that rate-limits (5 requests in any second, then 429 with Retry-After) and
// has a brown-out (503s for 400 ms): withResilience rides both out and prints what it did.
//   node resilient-agent.mjs
import { AIMessage } from "@langchain/core/messages";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { tool } from "@langchain/core/tools";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { CircuitBreaker, RustRateLimiter, withResilience } from "@fast-langgraph/accelerator";
import { z } from "zod";

/** The provider's side: its own limit, and a brown-out window. Errors are shaped like the OpenAI SDK's. */
class FakeProvider {
  constructor({ perSecond, brownOutAfter, brownOutMs }) {
    Object.assign(this, { perSecond, brownOutAfter, brownOutMs, served: [], seen: 0, rateLimited: 0, unavailable: 0 });
    this.brownOutFrom = undefined;
  }
  async complete() {
    const now = Date.now();
    this.seen++;
    if (this.seen === this.brownOutAfter) this.brownOutFrom = now;
    if (this.brownOutFrom !== undefined && now - this.brownOutFrom < this.brownOutMs) {
      this.unavailable++;
      throw Object.assign(new Error("503 Service Unavailable"), { status: 503, headers: new Headers() });
    }
    const recent = this.served.filter((t) => now - t < 1000);
    if (recent.length >= this.perSecond) {
      this.rateLimited++;
      const retryAfterMs = 1000 - (now - recent[0]);
      throw Object.assign(new Error("429 Too Many Requests"), {
        status: 429,
        headers: new Headers({ "retry-after-ms": String(retryAfterMs) }),
      });
    }
    this.served.push(now);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A chat model on the fake provider: asks for the weather tool, then answers from its result. */
class ProviderChatModel extends BaseChatModel {
  constructor(provider) {
    super({});
    this.provider = provider;
  }
  _llmType() {
    return "fake-provider";
  }
  bindTools() {
    return this.withConfig({});
  }
  async _generate(messages) {
    await this.provider.complete();
    const last = messages.at(-1);
    const message =
      last._getType() === "tool"
        ? new AIMessage(`It is ${last.content}.`)
        : new AIMessage({
            content: "",
            tool_calls: [
              {
                id: `call_${Math.random().toString(36).slice(2)}`,
                name: "weather",
                args: { city: String(last.content).split(" ").at(-1) },
              },
            ],
          });
    return { generations: [{ text: String(message.content), message }] };
  }
}

const weather = tool(async ({ city }) => `18°C in ${city}`, {
  name: "weather",
  description: "Current weather for a city",
  schema: z.object({ city: z.string() }),
});

const provider = new FakeProvider({ perSecond: 5, brownOutAfter: 4, brownOutMs: 400 });
const model = withResilience(new ProviderChatModel(provider), {
  // Our side of the limit is more generous than the provider's, so some 429s still come back.
  rateLimiter: new RustRateLimiter({ requestsPerSecond: 8 }),
  circuitBreaker: new CircuitBreaker({ failureThreshold: 10, failureWindowMs: 10_000, recoveryTimeoutMs: 1000 }),
  retry: { maxAttempts: 8, initialDelayMs: 100 },
  maxConcurrency: 4,
});
const agent = createReactAgent({ llm: model, tools: [weather] });

const cities = ["Lisbon", "Porto", "Madrid", "Paris", "Berlin", "Rome"];
const t0 = Date.now();
const answers = await Promise.all(cities.map((c) => agent.invoke({ messages: [{ role: "user", content: `weather in ${c}` }] })));
for (const a of answers) console.log(`  ${a.messages.at(-1).content}`);
const s = model.resilienceStats();
console.log(`All ${answers.length} agents answered in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
console.log(`Provider: ${provider.rateLimited} answered 429, ${provider.unavailable} answered 503.`);
console.log(
  `withResilience: ${s.calls} model calls, ${s.attempts} attempts, ${s.retries} retries ` +
    `(rate_limit ${s.failures.rate_limit}, overloaded ${s.failures.overloaded}), breaker ${s.circuitBreaker.state}, ` +
    `limiter wait p50 ${s.rateLimiter.waitP50Ms.toFixed(0)} ms / p99 ${s.rateLimiter.waitP99Ms.toFixed(0)} ms, ` +
    `peak concurrency ${s.concurrency.peakInFlight}.`,
);
