// The live messages merge, side by side: LangGraph's BinaryOperatorAggregate.update (one reducer call
// per write), the batched update patchLangGraph installs (one call per superstep), and the Rust reducer
// reached from live message objects (serialize, merge in Rust, deserialize: what using Rust in the live
// loop would cost). Decides where Rust is used.
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { messagesStateReducer } from "@langchain/langgraph";
import { BinaryOperatorAggregate } from "@langchain/langgraph/channels";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import { native } from "@fast-langgraph/accelerator";
import { batchedMessagesUpdate } from "../packages/accelerator/dist/cjs/patch/binary-operator-aggregate.js";

import { QUICK, assertEqualOutputs, formatTable, interleavedRounds, recordResult } from "./lib/harness.mjs";
import { prose } from "./lib/text.mjs";

const serde = new JsonPlusSerializer();
const SIZES = QUICK ? [100, 1000] : [10, 100, 1000, 10000];
const WRITES = QUICK ? [4] : [1, 4, 16];
const batched = batchedMessagesUpdate(BinaryOperatorAggregate.prototype.update, new Set([messagesStateReducer]));

const history = (n) =>
  Array.from({ length: n }, (_, i) =>
    i % 2 ? new AIMessage({ content: prose(i, 200), id: `m${i}` }) : new HumanMessage({ content: prose(i, 120), id: `m${i}` }),
  );
const writesOf = (k, n) => Array.from({ length: k }, (_, j) => [new AIMessage({ content: prose(n * 100 + j, 60), id: `w${n}-${j}` })]);

function channelWith(messages) {
  const channel = new BinaryOperatorAggregate(messagesStateReducer, () => []);
  channel.update([messages]);
  return channel;
}

async function viaRust(messages, writes) {
  const base = Buffer.from((await serde.dumpsTyped(messages))[1]);
  const updates = await Promise.all(writes.map(async (w) => Buffer.from((await serde.dumpsTyped(w))[1])));
  return serde.loadsTyped("json", native.mergeSerializedMessages(base, updates));
}

const ids = (ms) => ms.map((m) => m.id);
const rows = [];
const figures = {};
for (const n of SIZES) {
  for (const k of WRITES) {
    const messages = history(n);
    const writes = writesOf(k, n);
    const langgraph = channelWith(messages);
    langgraph.update(writes);
    const mine = channelWith(messages);
    batched.call(mine, writes);
    assertEqualOutputs(`batched ${n}/${k}`, ids(mine.get()), ids(langgraph.get()));
    assertEqualOutputs(`rust ${n}/${k}`, ids(await viaRust(messages, writes)), ids(langgraph.get()));
    const reps = Math.max(1, Math.round(20000 / (n + 50)));
    const r = await interleavedRounds(
      {
        "LangGraph update": async () => {
          for (let i = 0; i < reps; i++) channelWith(messages).update(writes);
        },
        "batched update": async () => {
          for (let i = 0; i < reps; i++) batched.call(channelWith(messages), writes);
        },
        "Rust via serialization": async () => {
          for (let i = 0; i < Math.max(1, reps / 10); i++) await viaRust(messages, writes);
        },
      },
      { rounds: QUICK ? 3 : 5, warmup: 1 },
    );
    const per = {
      langgraph: (r["LangGraph update"].median * 1000) / reps,
      batched: (r["batched update"].median * 1000) / reps,
      rust: (r["Rust via serialization"].median * 1000) / Math.max(1, reps / 10),
    };
    figures[`${n}x${k}`] = per;
    rows.push({
      messages: n,
      writes: k,
      "LangGraph µs": per.langgraph.toFixed(1),
      "batched µs": per.batched.toFixed(1),
      "Rust (serialized) µs": per.rust.toFixed(1),
      "batched speedup": `${(per.langgraph / per.batched).toFixed(2)}x`,
    });
  }
}
console.log(formatTable(rows));
recordResult("messages-merge", {
  method:
    "One superstep's update of a messages channel holding N messages with K writes of one new message each: LangGraph's " +
    "BinaryOperatorAggregate.update vs the batched update vs serializing, merging in Rust and deserializing; ids checked equal first; " +
    "median of interleaved rounds; µs per update (each includes building the channel from the history).",
  figures,
  summary: Object.entries(figures).map(([key, f]) => ({
    case: `messages merge ${key.replace("x", " messages, ")} writes`,
    component: "messages channel update",
    baseline: "LangGraph update",
    ours: "batched update",
    baselineValue: f.langgraph,
    oursValue: f.batched,
    unit: "µs",
  })),
});
