// The cached LLM wrapper: repeated questions (and repeated streams) are answered from a Rust cache
// kept in a file, so a second run of this program is served from disk.   node cached-llm.mjs [--reset]
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { FakeStreamingChatModel } from "@langchain/core/utils/testing";
import { withLLMCache } from "@fast-langgraph/accelerator";

import { usingRealModel } from "./lib/model.mjs";
import { dataFile, removeDatabase } from "./lib/paths.mjs";

const file = dataFile("llm-cache.db");
if (process.argv.includes("--reset")) removeDatabase(file);

async function baseModel() {
  if (usingRealModel()) {
    const { ChatOpenAI } = await import("@langchain/openai");
    return new ChatOpenAI({ model: process.env.OPENAI_MODEL ?? "gpt-4o-mini", temperature: 0 });
  }
  // Offline: a streaming fake that takes 40 ms per token, like a slow provider.
  return new FakeStreamingChatModel({ sleep: 40, responses: [new AIMessage("Refunds are processed within five business days.")] });
}

const model = withLLMCache(await baseModel(), { path: file, maxEntries: 10_000, ttl: 24 * 3600_000 });
const question = [new HumanMessage("How long do refunds take?")];

for (const round of [1, 2]) {
  const t0 = performance.now();
  const answer = await model.invoke(question);
  const t1 = performance.now();
  let streamed = "";
  for await (const chunk of await model.stream(question)) streamed += chunk.content;
  const t2 = performance.now();
  console.log(
    `round ${round}: invoke ${(t1 - t0).toFixed(1)} ms, stream ${(t2 - t1).toFixed(1)} ms -> "${String(answer.content).slice(0, 60)}" / "${streamed.slice(0, 60)}"`,
  );
}
const stats = model.llmCache.stats();
await model.llmCache.flush();
console.log(`cache: ${stats.hits} hits, ${stats.misses} misses, ${stats.entries} entries, ${stats.bytes} bytes in ${stats.path}`);
console.log(
  stats.hits >= 2 && stats.misses === 0
    ? "Served entirely from the cache file written by an earlier run."
    : "Run again: the next run is served from the cache file.",
);
