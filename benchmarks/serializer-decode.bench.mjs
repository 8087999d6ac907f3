// Decoding a thread's messages: JsonPlusSerializer.loadsTyped (what every saver calls on every getTuple) on
// 100 / 1,000 / 5,000 messages of the chat-turns workload (human 300 B, AI tool call, tool result 800 B, AI
// answer 600 B), upstream against the same call after patchLangGraph() when this build has the `serializer`
// part (issue 13), with JSON.parse of the same bytes as the floor. Decoded values are checked equal first:
// same classes, and identical bytes when serialized again.
//   node --expose-gc benchmarks/serializer-decode.bench.mjs [--quick]
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import { patchLangGraph, unpatchLangGraph } from "@fast-langgraph/accelerator";

import { QUICK, assertEqualOutputs, formatTable, interleavedRounds, recordResult } from "./lib/harness.mjs";
import { prose } from "./lib/text.mjs";
import { ANSWER_BYTES, HUMAN_BYTES, TOOL_RESULT_BYTES } from "./workloads/chat-turns.mjs";

const SIZES = QUICK ? [100, 1000] : [100, 1000, 5000];
const ROUNDS = QUICK ? 3 : 9;

/** `n` messages as a chat-turns thread holds them (4 per turn). */
function thread(n) {
  return Array.from({ length: n }, (_, i) => {
    const turn = i >> 2;
    switch (i % 4) {
      case 0:
        return new HumanMessage({ content: prose(1e6 + turn, HUMAN_BYTES), id: `human-${turn}` });
      case 1:
        return new AIMessage({
          content: "",
          id: `call-${turn}`,
          tool_calls: [{ id: `tool-call-${turn}`, name: "search_docs", args: { query: prose(4e6 + turn, 60), turn } }],
          usage_metadata: { input_tokens: 40 * turn + 12, output_tokens: 18, total_tokens: 40 * turn + 30 },
        });
      case 2:
        return new ToolMessage({
          content: prose(2e6 + turn, TOOL_RESULT_BYTES),
          tool_call_id: `tool-call-${turn}`,
          name: "search_docs",
          id: `tool-${turn}`,
        });
      default:
        return new AIMessage({
          content: prose(3e6 + turn, ANSWER_BYTES),
          id: `answer-${turn}`,
          response_metadata: { finish_reason: "stop" },
        });
    }
  });
}

/** What must be equal: each value's class and the bytes upstream writes for it again. */
async function fingerprint(value) {
  const [, bytes] = await new JsonPlusSerializer().dumpsTyped(value);
  return { classes: value.map((m) => m.constructor.name), bytes: Buffer.from(bytes).toString("base64") };
}

// Does this build have a `serializer` patch part? (issue 13: built on another branch)
const report = await patchLangGraph();
const hasSerializerPart = [...report.patched, ...report.alreadyPatched].some((p) => p.part === "serializer");
unpatchLangGraph();
const variants = hasSerializerPart ? ["upstream", "patched (serializer part)"] : ["upstream"];
if (!hasSerializerPart) console.log("  this build has no `serializer` patch part: measuring upstream and JSON.parse only");

const serde = new JsonPlusSerializer();
const figures = {};
const table = [];
const summary = [];
for (const n of SIZES) {
  const [type, bytes] = await serde.dumpsTyped(thread(n));
  const reference = await fingerprint(await serde.loadsTyped(type, bytes));
  if (hasSerializerPart) {
    await patchLangGraph();
    try {
      assertEqualOutputs(`decode of ${n} messages`, await fingerprint(await new JsonPlusSerializer().loadsTyped(type, bytes)), reference);
    } finally {
      unpatchLangGraph();
    }
  }
  const cases = {
    "JSON.parse (floor)": () => JSON.parse(Buffer.from(bytes).toString("utf8")),
    upstream: () => new JsonPlusSerializer().loadsTyped(type, bytes),
  };
  if (hasSerializerPart)
    cases["patched (serializer part)"] = {
      before: () => patchLangGraph(),
      run: () => new JsonPlusSerializer().loadsTyped(type, bytes),
      after: () => unpatchLangGraph(),
    };
  const results = await interleavedRounds(cases, { rounds: ROUNDS, warmup: 2 });
  figures[n] = { bytes: bytes.length, ...results };
  for (const [name, r] of Object.entries(results))
    table.push({
      messages: n,
      "KB stored": (bytes.length / 1024).toFixed(0),
      decoder: name,
      "median ms": r.median.toFixed(2),
      "min ms": r.min.toFixed(2),
      "x JSON.parse": (r.median / results["JSON.parse (floor)"].median).toFixed(1),
    });
  for (const v of variants.slice(1))
    summary.push({
      case: `decode ${n} messages (loadsTyped)`,
      component: "serializer",
      baseline: "JsonPlusSerializer",
      ours: v,
      baselineValue: results.upstream.median,
      oursValue: results[v].median,
      unit: "ms",
    });
}
console.log(formatTable(table));
recordResult("serializer-decode", {
  method:
    `JsonPlusSerializer.loadsTyped of ${SIZES.join(" / ")} messages as the chat-turns workload stores them (dumpsTyped of the list), ` +
    "upstream vs the same call after patchLangGraph() when the build has the serializer part, JSON.parse of the same bytes as the floor; " +
    `decoded values checked equal (classes, and identical bytes when serialized again); median of ${ROUNDS} interleaved rounds after 2 warm-ups.`,
  figures,
  summary,
});
