// Runs every example the way a user would (small sizes, offline model) and checks what it prints.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fast-langgraph-examples-smoke-"));
const env = { ...process.env, FAST_LANGGRAPH_EXAMPLES_DIR: dir, TURNS: "20", STEPS: "60", EVERY: "20" };
delete env.OPENAI_API_KEY;

const checks = [
  [
    "quickstart",
    ["quickstart.mjs"],
    [
      /patchLangGraph\(\) accelerated: MemorySaver, SqliteSaver/,
      /RustSqliteSaver: saved -?\d+% of the time/,
      /Reopened .* the thread continued to 84 messages/,
    ],
  ],
  ["react-agent, first process", ["react-agent.mjs", "--reset"], [/New thread\./, /tool: Lisbon: 18°C/]],
  [
    "react-agent, second process continues",
    ["react-agent.mjs"],
    [/Continuing the thread from an earlier run \(4 messages stored\)/, /18°C is 64.4°F/, /holds 8 messages/],
  ],
  ["human-in-the-loop, first process stops", ["human-in-the-loop.mjs"], [/stopped for a human: Refund 120 EUR to Ada\?/]],
  ["human-in-the-loop, second process resumes", ["human-in-the-loop.mjs", "approve"], [/a human answered: approve/, /paid 120 EUR/]],
  ["long-thread", ["long-thread.mjs"], [/^\s+60\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+$/m]],
  ["cached-llm, first process", ["cached-llm.mjs", "--reset"], [/cache: 2 hits, 2 misses, 2 entries/]],
  [
    "cached-llm, second process served from the file",
    ["cached-llm.mjs"],
    [/cache: 4 hits, 0 misses/, /Served entirely from the cache file/],
  ],
  [
    "postgres-agent",
    ["postgres-agent.mjs"],
    [
      /RustPostgresSaver \(compact layout\)\s+[\d.]+ s\s+[\d.]+ MB\s+80 messages/,
      /PostgresSaver after patchLangGraph\(\): [\d.]+x faster/,
      /PostgresSaver read the RustPostgresSaver thread and continued it to 84 messages/,
    ],
  ],
  [
    "profile-agent",
    ["profile-agent.mjs"],
    [
      /=== SqliteSaver ===[\s\S]*agent\s+40\s+40\s+0\s+0/,
      /SqliteSaver\.put\s+\d+/,
      /Advice\n- \[warn\] Checkpointing takes/,
      /HTML report: .*profile-agent-before\.html/,
      /patchLangGraph\(\{ profile: true \}\) patched: .*SqliteSaver.*Pregel/,
      /=== SqliteSaver after patchLangGraph\(\) ===[\s\S]*tools\s+20\s+20/,
      /Run time: [\d.]+x (faster|slower) after patchLangGraph\(\)/,
    ],
  ],
  [
    "worker-cache",
    ["worker-cache.mjs"],
    [
      /worker 1: "answer computed by worker 1" \(model called\)/,
      /worker 2: "answer computed by worker 1" \(from the shared cache\)/,
      /worker 3: "answer computed by worker 3" \(model called\)/,
    ],
  ],
  [
    "resilient-agent",
    ["resilient-agent.mjs"],
    [
      /All 6 agents answered/,
      /Provider: [1-9]\d* answered 429, [1-9]\d* answered 503/,
      /withResilience: 12 model calls, \d+ attempts, [1-9]\d* retries/,
    ],
  ],
];
for (const extra of fs.readdirSync(path.dirname(new URL(import.meta.url).pathname)).filter((f) => f.endsWith(".smoke.mjs"))) {
  checks.push(...(await import(`./${extra}`)).default);
}

// SMOKE_NODE: the command that runs the examples instead of this Node (e.g. qemu-user with an arm64 Node:
// "qemu-aarch64-static -L /usr/aarch64-linux-gnu /path/to/arm64/node"); SMOKE_ONLY: a "|"-separated subset of the names.
const [command, ...prefix] = (process.env.SMOKE_NODE ?? process.execPath).split(" ").filter(Boolean);
const only = process.env.SMOKE_ONLY?.split("|").map((n) => n.trim());

let passed = 0;
let failed = 0;
for (const [name, args, expectations] of checks) {
  if (only && !only.includes(name)) continue;
  const run = spawnSync(command, [...prefix, ...args], { env, encoding: "utf8", cwd: path.dirname(new URL(import.meta.url).pathname) });
  const missing = expectations.filter((re) => !re.test(run.stdout));
  if (run.status === 0 && missing.length === 0) {
    passed += 1;
    console.log(`ok   ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL ${name} (exit ${run.status}; missing ${missing.join(", ")})\n${run.stdout}\n${run.stderr}`);
  }
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
