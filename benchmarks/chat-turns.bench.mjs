// What a chat turn costs as the thread grows: one thread, one invoke per turn (benchmarks/workloads/
// chat-turns.mjs: a human message of 300 B, the agent's tool call, a tool result of 800 B, the agent's
// answer of 600 B), 250 turns = 1,000 messages. Side by side in one process: the floor (the same graph
// without a checkpointer, the history passed in as input), LangGraph's MemorySaver, SqliteSaver (file) and
// PostgresSaver, each unpatched and after patchLangGraph(), and RustSqliteSaver (file) and RustPostgresSaver.
// Also a checkpointer that keeps LangGraph's objects by reference (lib/by-reference-saver.mjs): what any
// checkpointer costs at least. Prints ms per turn at the end of the thread (median of the last 20 turns over all rounds) and the ratio
// to the floor, and the same for the process's CPU time per turn (process.cpuUsage, steadier on a shared
// machine); draws turn latency along the thread (results/chat-turns-1.svg). Every run starts on a settled
// PostgreSQL server (CHECKPOINT first, lib/postgres.mjs settleServer), SQLite runs too.
//   node --expose-gc benchmarks/chat-turns.bench.mjs [--quick] [--turns N] [--rounds N]
import fs from "node:fs";
import path from "node:path";

import { MemorySaver } from "@langchain/langgraph";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { RustPostgresSaver, RustSqliteSaver, patchLangGraph, unpatchLangGraph } from "@fast-langgraph/accelerator";

import { ByReferenceSaver } from "./lib/by-reference-saver.mjs";
import { scratchDir } from "./lib/disk.mjs";
import { QUICK, numberArg, RESULTS_DIR, assertEqualOutputs, formatTable, interleavedRuns, median, recordResult } from "./lib/harness.mjs";
import { benchPostgresUrl, settleServer, withPg } from "./lib/postgres.mjs";
import { lineChart } from "./lib/svg-chart.mjs";
import { runChatTurns } from "./workloads/chat-turns.mjs";

const TURNS = numberArg("--turns", QUICK ? 30 : 250);
const ROUNDS = numberArg("--rounds", QUICK ? 1 : 3);
const LAST = Math.min(20, TURNS);
const dir = scratchDir("chat-turns");
const url = benchPostgresUrl();
let n = 0;

/** patchLangGraph() with its defaults (what a user calls), checked to have patched `part`; undone by close(). */
async function patched(part, open) {
  const report = await patchLangGraph();
  if (![...report.patched, ...report.alreadyPatched].some((p) => p.part === part))
    throw new Error(`patchLangGraph() did not patch ${part}: ${JSON.stringify(report.skipped)}`);
  const saver = await open();
  return {
    ...saver,
    close: async () => {
      await saver.close();
      unpatchLangGraph();
    },
  };
}

const memory = async () => ({ checkpointer: new MemorySaver(), close() {} });
const sqlite = async () => {
  const checkpointer = SqliteSaver.fromConnString(path.join(dir, `official-${++n}.sqlite`));
  return { checkpointer, close: () => checkpointer.db.close() };
};
const postgres = async () => {
  const schema = `flg_chat_${process.pid}_${++n}`;
  const checkpointer = PostgresSaver.fromConnString(url, { schema });
  await checkpointer.setup();
  return { checkpointer, close: () => checkpointer.end().then(() => dropSchema(schema)) };
};
const dropSchema = (schema) => withPg(url, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));

const savers = {
  floor: async () => ({ checkpointer: undefined, close() {} }),
  // What any checkpointer costs at least: LangGraph's own checkpointing, objects kept by reference.
  "by reference (LangGraph's own cost)": async () => ({ checkpointer: new ByReferenceSaver(), close() {} }),
  MemorySaver: memory,
  "MemorySaver, patched": () => patched("memorySaver", memory),
  "SqliteSaver (file)": sqlite,
  "SqliteSaver (file), patched": () => patched("sqliteSaver", sqlite),
  PostgresSaver: postgres,
  "PostgresSaver, patched": () => patched("postgresSaver", postgres),
  "RustSqliteSaver (file)": async () => {
    const checkpointer = new RustSqliteSaver(path.join(dir, `rust-${++n}.sqlite`));
    return { checkpointer, close: () => checkpointer.close() };
  },
  RustPostgresSaver: async () => {
    const schema = `flg_chat_${process.pid}_${++n}`;
    const checkpointer = new RustPostgresSaver(url, { schema });
    await checkpointer.setup();
    return { checkpointer, close: () => checkpointer.end().then(() => dropSchema(schema)) };
  },
};
const names = Object.keys(savers);

/** One thread of `turns` turns on a fresh saver: the thread's contents and each turn's ms. */
async function measure(name, turns) {
  await settleServer(url);
  const saver = await savers[name]();
  const perTurn = [];
  const cpuPerTurn = [];
  try {
    global.gc?.();
    let last = process.cpuUsage();
    const onTurn = (_, ms) => {
      perTurn.push(ms);
      const now = process.cpuUsage();
      cpuPerTurn.push((now.user - last.user + now.system - last.system) / 1000);
      last = now;
    };
    const output = await runChatTurns({ turns, checkpointer: saver.checkpointer, onTurn });
    return { output, perTurn, cpuPerTurn };
  } finally {
    await saver.close();
  }
}

// Outputs checked equal across savers before timing (and again on the timed runs).
const reference = (await measure("floor", 8)).output;
for (const name of names) assertEqualOutputs(`${name} at 8 turns`, (await measure(name, 8)).output, reference);

const runs = await interleavedRuns(names, ROUNDS, `chat turns ${TURNS}`, (name) => measure(name, TURNS));
for (const name of names) for (const r of runs[name]) assertEqualOutputs(`${name} at ${TURNS} turns`, r.output, runs.floor[0].output);

/** Per turn index, the median over rounds. */
const perTurnMedian = (name) => runs[name][0].perTurn.map((_, i) => median(runs[name].map((r) => r.perTurn[i])));
const endOfThread = (name) => median(runs[name].flatMap((r) => r.perTurn.slice(-LAST)));
const floorMs = endOfThread("floor");
// CPU time of this process per turn (all its threads: JavaScript, GC, SQLite's writer, tokio; not the PostgreSQL server's).
const cpuAtEnd = (name) => median(runs[name].flatMap((r) => r.cpuPerTurn.slice(-LAST)));
const floorCpu = cpuAtEnd("floor");
const figures = {};
const table = [];
for (const name of names) {
  const ms = endOfThread(name);
  const cpu = cpuAtEnd(name);
  figures[name] = {
    msPerTurnAtEnd: ms,
    xFloor: ms / floorMs,
    cpuMsPerTurnAtEnd: cpu,
    cpuXFloor: cpu / floorCpu,
    perTurnMs: perTurnMedian(name),
  };
  table.push({
    saver: name,
    [`ms/turn at ${TURNS * 4} messages`]: ms.toFixed(2),
    "x floor": (ms / floorMs).toFixed(1),
    "CPU ms/turn": cpu.toFixed(2),
    "CPU x floor": (cpu / floorCpu).toFixed(1),
    "first 20 turns ms/turn": median(runs[name].flatMap((r) => r.perTurn.slice(0, LAST))).toFixed(2),
  });
}
console.log(formatTable(table));
for (const [ours, theirs] of [
  ["MemorySaver, patched", "MemorySaver"],
  ["SqliteSaver (file), patched", "SqliteSaver (file)"],
  ["RustSqliteSaver (file)", "SqliteSaver (file)"],
  ["PostgresSaver, patched", "PostgresSaver"],
  ["RustPostgresSaver", "PostgresSaver"],
])
  console.log(
    `${ours}: ${(figures[theirs].msPerTurnAtEnd / figures[ours].msPerTurnAtEnd).toFixed(2)}x faster than ${theirs} at the end of the thread`,
  );

// Turn latency along the thread, as means over windows of a few turns (the raw series is in the JSON).
const window = Math.max(1, Math.round(TURNS / 50));
const chart = {
  title: `Turn latency along one ${TURNS}-turn chat thread (${TURNS * 4} messages at the end)`,
  xLabel: "turn",
  yLabel: "ms per turn (log scale)",
  logY: true,
  series: names.map((name) => {
    const series = figures[name].perTurnMs;
    const points = [];
    for (let i = 0; i < series.length; i += window) {
      const chunk = series.slice(i, i + window);
      points.push([i + chunk.length, chunk.reduce((a, b) => a + b, 0) / chunk.length]);
    }
    return { name, points };
  }),
};
fs.mkdirSync(RESULTS_DIR, { recursive: true });
const svg = path.join(RESULTS_DIR, "chat-turns-1.svg");
fs.writeFileSync(svg, lineChart({ ...chart, width: 860, height: 480 }));
console.log(`chart: ${path.relative(process.cwd(), svg)}`);

recordResult("chat-turns", {
  method:
    `one thread of ${TURNS} turns, one invoke per turn (human 300 B, the agent's tool call, a tool result of 800 B, an answer of 600 B: ` +
    "4 messages and 3 supersteps per turn; a scripted BaseChatModel and ToolNode, no latency; prose from benchmarks/lib/text.mjs); " +
    "the floor is the same graph without a checkpointer with the whole history passed in; each saver fresh per run (SQLite files on local disk, " +
    "PostgreSQL 15 on loopback TCP, a schema per run); patched = after patchLangGraph() with its defaults, unpatched after the run; outputs checked " +
    `equal across savers at 8 turns and on every timed run; ${ROUNDS} interleaved rounds; ms per turn at the end = median of the last ${LAST} turns ` +
    "of every round; CPU ms per turn = process.cpuUsage() (user + system, all threads of this process, not the PostgreSQL server) over the same turns.",
  figures,
  summary: [
    ["MemorySaver", "MemorySaver, patched"],
    ["SqliteSaver (file)", "SqliteSaver (file), patched"],
    ["SqliteSaver (file)", "RustSqliteSaver (file)"],
    ["PostgresSaver", "PostgresSaver, patched"],
    ["PostgresSaver", "RustPostgresSaver"],
  ].map(([baseline, ours]) => ({
    case: `chat turns, ms/turn at ${TURNS * 4} messages`,
    component: "checkpointer",
    baseline,
    ours,
    baselineValue: figures[baseline].msPerTurnAtEnd,
    oursValue: figures[ours].msPerTurnAtEnd,
    unit: "ms",
  })),
  charts: [chart],
});
