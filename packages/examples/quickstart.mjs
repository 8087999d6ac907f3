// Quick start: one support-agent thread, run turn by turn on LangGraph's SqliteSaver, on the same
// SqliteSaver after one call to patchLangGraph(), and on RustSqliteSaver (all file-backed); then the
// RustSqliteSaver thread is continued after "restarting" from its file.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { RustSqliteSaver, patchLangGraph, unpatchLangGraph } from "@fast-langgraph/accelerator";

import { supportAgent, userTurn } from "./lib/support-agent.mjs";

const TURNS = Number(process.env.TURNS ?? 150);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fast-langgraph-quickstart-"));
const config = { configurable: { thread_id: "customer-42" } };

function bytesOnDisk(file) {
  return ["", "-wal", "-shm"].reduce((n, s) => n + (fs.existsSync(file + s) ? fs.statSync(file + s).size : 0), 0);
}

async function run(label, checkpointer, file, close) {
  const graph = supportAgent(checkpointer);
  const started = performance.now();
  let state;
  for (let i = 0; i < TURNS; i++) state = await graph.invoke({ messages: [userTurn(i)] }, config);
  const ms = performance.now() - started;
  close();
  return { label, ms, messages: state.messages.length, bytes: bytesOnDisk(file) };
}

const officialFile = path.join(dir, "sqlite-saver.db");
const patchedFile = path.join(dir, "sqlite-saver-patched.db");
const rustFile = path.join(dir, "rust-sqlite-saver.db");

console.log(`Running ${TURNS} customer turns on one thread with each saver...`);
const official = SqliteSaver.fromConnString(officialFile);
const before = await run("SqliteSaver (@langchain/langgraph-checkpoint-sqlite)", official, officialFile, () => official.db.close());

const report = await patchLangGraph();
const patchedSaver = SqliteSaver.fromConnString(patchedFile);
const patched = await run("SqliteSaver after patchLangGraph() (same file format)", patchedSaver, patchedFile, () => {
  unpatchLangGraph();
  patchedSaver.db.close();
});

const rust = new RustSqliteSaver(rustFile);
const after = await run("RustSqliteSaver (@fast-langgraph/accelerator)", rust, rustFile, () => rust.close());

const mb = (b) => `${(b / 1e6).toFixed(2)} MB`;
console.log(`patchLangGraph() accelerated: ${[...new Set(report.patched.map((p) => p.target))].join(", ")}`);
for (const r of [before, patched, after]) {
  console.log(`  ${r.label.padEnd(56)} ${(r.ms / 1000).toFixed(2)} s  ${mb(r.bytes).padStart(9)} on disk  ${r.messages} messages`);
}
console.log(`patchLangGraph(): ${(before.ms / patched.ms).toFixed(1)}x faster, same files (the official saver reads them).`);
console.log(
  `RustSqliteSaver: saved ${((1 - after.ms / before.ms) * 100).toFixed(0)}% of the time (${(before.ms / after.ms).toFixed(1)}x faster) and ${mb(before.bytes - after.bytes)} of disk (${(before.bytes / after.bytes).toFixed(0)}x smaller).`,
);

const reopened = new RustSqliteSaver(rustFile);
const resumed = await supportAgent(reopened).invoke({ messages: [userTurn(TURNS)] }, config);
let checkpoints = 0;
for await (const _ of reopened.list(config)) checkpoints += 1;
reopened.close();
console.log(
  `Reopened ${path.basename(rustFile)}: the thread continued to ${resumed.messages.length} messages across ${checkpoints} checkpoints.`,
);
if (!process.env.KEEP) fs.rmSync(dir, { recursive: true, force: true });
else console.log(dir);
