// LLM cache: lookup latency by prompt size and memory for 100,000 entries, @langchain/core's
// InMemoryCache against RustLLMCache, side by side.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

import { InMemoryCache } from "@langchain/core/caches";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { RustLLMCache, patchLangGraph, unpatchLangGraph } from "@fast-langgraph/accelerator";

import { QUICK, assertEqualOutputs, formatTable, interleavedRounds, recordResult } from "./lib/harness.mjs";
import { prose } from "./lib/text.mjs";

const LLM_KEY = "_model:base_chat_model,_type:openai,model_name:gpt-4o-mini,temperature:0";

function prompt(i, bytes) {
  const head = `Human: question ${i}: `;
  return head + prose(i, bytes - head.length);
}

function generation(i) {
  const answer = `answer ${i}: ${prose(1e6 + i, 200)}`;
  return [
    {
      text: answer,
      message: new AIMessage({
        content: answer,
        usage_metadata: { input_tokens: 120, output_tokens: 60, total_tokens: 180 },
      }),
    },
  ];
}

const shape = (gens) => gens.map((g) => [g.text, g.message?.content, g.message?.constructor.name]);

if (process.argv.includes("--memory-child")) {
  // One variant per process, so that each starts from the same baseline.
  const variant = process.argv[process.argv.indexOf("--memory-child") + 1];
  const entries = Number(process.argv[process.argv.indexOf("--entries") + 1]);
  const usage = () => {
    global.gc();
    global.gc();
    const m = process.memoryUsage();
    return { heap: m.heapUsed + m.external + m.arrayBuffers, rss: m.rss };
  };
  const cache = variant === "rust" ? new RustLLMCache({ maxEntries: entries, maxBytes: 512 * 2 ** 20 }) : new InMemoryCache();
  const before = usage();
  for (let i = 0; i < entries; i++) await cache.update(prompt(i, 500), LLM_KEY, generation(i));
  const after = usage();
  const hit = await cache.lookup(prompt(entries - 1, 500), LLM_KEY);
  console.log(
    JSON.stringify({
      heap: after.heap - before.heap,
      rss: after.rss - before.rss,
      bytes: cache.stats?.().bytes ?? null,
      found: Boolean(hit),
    }),
  );
  process.exit(0);
}

const SIZES = [100, 2048, 20480];
const KEYS = QUICK ? 200 : 1000;
const LOOKUPS = QUICK ? 2000 : 20000;
const latency = {};
const table = [];
const summary = [];
for (const size of SIZES) {
  const core = new InMemoryCache(new Map());
  const rust = new RustLLMCache({ maxEntries: KEYS * 2 });
  const prompts = Array.from({ length: KEYS }, (_, i) => prompt(i, size));
  for (const [i, p] of prompts.entries()) {
    await core.update(p, LLM_KEY, generation(i));
    await rust.update(p, LLM_KEY, generation(i));
  }
  for (let i = 0; i < 20; i++) {
    assertEqualOutputs(`lookup at ${size} B`, shape(await rust.lookup(prompts[i], LLM_KEY)), shape(await core.lookup(prompts[i], LLM_KEY)));
  }
  const lookups = (cache) => async () => {
    for (let i = 0; i < LOOKUPS; i++) await cache.lookup(prompts[i % KEYS], LLM_KEY);
  };
  const r = await interleavedRounds({ InMemoryCache: lookups(core), RustLLMCache: lookups(rust) }, { rounds: QUICK ? 3 : 7, warmup: 1 });
  const us = (name) => (r[name].median * 1000) / LOOKUPS;
  latency[size] = { InMemoryCache: us("InMemoryCache"), RustLLMCache: us("RustLLMCache") };
  table.push({
    prompt: `${size} B`,
    "InMemoryCache µs/lookup": us("InMemoryCache").toFixed(2),
    "RustLLMCache µs/lookup": us("RustLLMCache").toFixed(2),
    speedup: `${(us("InMemoryCache") / us("RustLLMCache")).toFixed(1)}x`,
  });
  summary.push({
    case: `lookup (hit) at a ${size} B prompt`,
    component: "LLM cache",
    baseline: "InMemoryCache",
    ours: "RustLLMCache",
    baselineValue: us("InMemoryCache"),
    oursValue: us("RustLLMCache"),
    unit: "µs",
  });
}
console.log(formatTable(table));

// What a user of `cache: true` sees: a model call that hits LangChain's InMemoryCache, unpatched and after
// patchLangGraph() (which backs it with a RustLLMCache; entries cached while patched go on unpatch, so the
// patched case fills its cache again before each timed round).
const CALLS = QUICK ? 500 : 2000;
const callPrompts = Array.from({ length: 200 }, (_, i) => [new HumanMessage(prompt(i, 300))]);
const modelWithCache = () => new FakeListChatModel({ responses: [`answer: ${prose(7, 200)}`], cache: new InMemoryCache(new Map()) });
const callsOf = (model) => async () => {
  for (let i = 0; i < CALLS; i++) await model.invoke(callPrompts[i % callPrompts.length]);
};
const unpatchedModel = modelWithCache();
await callsOf(unpatchedModel)();
let patchedModel;
const patchedCase = {
  before: async () => {
    await patchLangGraph({ caches: true });
    patchedModel = modelWithCache();
    await callsOf(patchedModel)();
  },
  run: () => callsOf(patchedModel)(),
  after: () => unpatchLangGraph(),
};
await patchedCase.before();
for (const p of callPrompts.slice(0, 20)) {
  const [a, b] = [await patchedModel.invoke(p), await unpatchedModel.invoke(p)];
  assertEqualOutputs("model call that hits", [a.content, a.constructor.name], [b.content, b.constructor.name]);
}
await patchedCase.after();
const calls = await interleavedRounds({ unpatched: callsOf(unpatchedModel), patched: patchedCase }, { rounds: QUICK ? 3 : 7, warmup: 1 });
const callUs = (name) => (calls[name].median * 1000) / CALLS;
latency.modelCallHit = { unpatched: callUs("unpatched"), patched: callUs("patched") };
console.log(
  `model.invoke that hits InMemoryCache (300 B prompt): unpatched ${callUs("unpatched").toFixed(2)} µs, patched ${callUs("patched").toFixed(2)} µs (${(callUs("unpatched") / callUs("patched")).toFixed(2)}x)`,
);
summary.push({
  case: "model.invoke that hits InMemoryCache (cache: true), 300 B prompt",
  component: "LLM cache",
  baseline: "InMemoryCache",
  ours: "InMemoryCache, patched",
  baselineValue: callUs("unpatched"),
  oursValue: callUs("patched"),
  unit: "µs",
});

const ENTRIES = QUICK ? 10_000 : 100_000;
const child = (variant) =>
  JSON.parse(
    execFileSync(
      process.execPath,
      ["--expose-gc", fileURLToPath(import.meta.url), "--memory-child", variant, "--entries", String(ENTRIES)],
      { encoding: "utf8" },
    ).trim(),
  );
const memory = { InMemoryCache: child("core"), RustLLMCache: child("rust") };
console.log(
  `${ENTRIES} entries (500 B prompt + ~200 B answer): InMemoryCache heap +${(memory.InMemoryCache.heap / 1e6).toFixed(1)} MB, RSS +${(memory.InMemoryCache.rss / 1e6).toFixed(1)} MB; ` +
    `RustLLMCache heap +${(memory.RustLLMCache.heap / 1e6).toFixed(1)} MB, RSS +${(memory.RustLLMCache.rss / 1e6).toFixed(1)} MB (cache accounts ${(memory.RustLLMCache.bytes / 1e6).toFixed(1)} MB, bound 512 MiB)`,
);
// Held memory: JS heap growth, plus for RustLLMCache the bytes its Rust store holds (keys, values and
// 64 bytes of bookkeeping per entry). RSS growth is in the figures too; it also counts the V8 pages
// the insert loop's garbage left mapped, in both processes.
const held = { InMemoryCache: memory.InMemoryCache.heap, RustLLMCache: Math.max(0, memory.RustLLMCache.heap) + memory.RustLLMCache.bytes };
memory.held = held;
summary.push({
  case: `memory held by ${ENTRIES} entries (heap + native store)`,
  component: "LLM cache",
  baseline: "InMemoryCache",
  ours: "RustLLMCache",
  baselineValue: held.InMemoryCache,
  oursValue: held.RustLLMCache,
  unit: "bytes",
});
recordResult("llm-cache", {
  method:
    `lookups that hit, ${KEYS} distinct prompts per size, ${LOOKUPS} lookups per round, median of interleaved rounds after a warm-up; ` +
    "outputs checked equal first; RustLLMCache decodes fresh objects on every hit (InMemoryCache returns the stored ones, which LangChain then mutates). " +
    `Memory: ${ENTRIES} updates in a fresh process per cache, growth of heap+external+arrayBuffers and of RSS after forced GC.`,
  figures: { latencyMicroseconds: latency, memory, entries: ENTRIES },
  summary,
  charts: [
    {
      title: "LLM cache lookup latency by prompt size",
      xLabel: "prompt size (bytes)",
      yLabel: "µs per lookup (hit)",
      logX: true,
      logY: true,
      series: ["InMemoryCache", "RustLLMCache"].map((name) => ({ name, points: SIZES.map((s) => [s, latency[s][name]]) })),
    },
  ],
});
