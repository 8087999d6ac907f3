// One long thread (1,000+ steps), run on LangGraph's SqliteSaver and on RustSqliteSaver side by side,
// printing time per step and bytes on disk as the thread grows.   STEPS=2000 node long-thread.mjs
import fs from "node:fs";

import { AIMessage } from "@langchain/core/messages";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { RustSqliteSaver } from "@fast-langgraph/accelerator";

import { dataFile, removeDatabase } from "./lib/paths.mjs";

const STEPS = Number(process.env.STEPS ?? 1000);
const EVERY = Number(process.env.EVERY ?? Math.max(1, Math.round(STEPS / 10)));
const reply = (i) => `step ${i}: the assistant reads the previous result and writes the next part of the plan. `.repeat(12);

function bytesOnDisk(file) {
  return ["", "-wal"].reduce((n, s) => n + (fs.existsSync(file + s) ? fs.statSync(file + s).size : 0), 0);
}

function loop(checkpointer) {
  return new StateGraph(MessagesAnnotation)
    .addNode("assistant", (s) => ({ messages: [new AIMessage(reply(s.messages.length))] }))
    .addEdge(START, "assistant")
    .compile({ checkpointer });
}

const savers = [
  {
    name: "SqliteSaver",
    file: dataFile("long-thread-official.db"),
    open: (f) => SqliteSaver.fromConnString(f),
    close: (s) => s.db.close(),
  },
  { name: "RustSqliteSaver", file: dataFile("long-thread-rust.db"), open: (f) => new RustSqliteSaver(f), close: (s) => s.close() },
];
for (const s of savers) {
  removeDatabase(s.file);
  s.saver = s.open(s.file);
  s.graph = loop(s.saver);
  s.ms = 0;
}

console.log(`${"steps".padStart(6)}  ${savers.map((s) => `${s.name} ms/step`.padStart(24) + `${s.name} MB`.padStart(20)).join("")}`);
const config = { configurable: { thread_id: "long" } };
for (let done = 0; done < STEPS; ) {
  const chunk = Math.min(EVERY, STEPS - done);
  const row = [];
  for (const s of savers) {
    const t0 = performance.now();
    for (let i = 0; i < chunk; i++) await s.graph.invoke({ messages: [] }, config);
    const ms = performance.now() - t0;
    row.push(`${(ms / chunk).toFixed(2).padStart(24)}${(bytesOnDisk(s.file) / 1e6).toFixed(1).padStart(20)}`);
  }
  done += chunk;
  console.log(`${String(done).padStart(6)}  ${row.join("")}`);
}
for (const s of savers) s.close(s.saver);
