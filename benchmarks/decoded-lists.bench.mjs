// What decoded lists save per chat turn: the chat-turns workload (benchmarks/workloads/chat-turns.mjs) on
// RustSqliteSaver (file and :memory:) with decoded lists on (the default bound, 64 MiB) and off (`decodedListBytes: 0`:
// every getTuple decodes the whole history), in interleaved rounds; CPU time of the process per turn
// (process.cpuUsage, all threads) and wall time, medians of the last 20 turns of every round. Then cold
// reads: getTuple of the finished thread by a saver that never read it (a miss), on and off, CPU time,
// median of 15 each, interleaved; and the bytes the decoded lists count for the thread.
//   node --expose-gc benchmarks/decoded-lists.bench.mjs [--quick] [--turns N] [--rounds N]
import path from "node:path";

import { RustSqliteSaver } from "@fast-langgraph/accelerator";

import { scratchDir } from "./lib/disk.mjs";
import { QUICK, numberArg, assertEqualOutputs, formatTable, interleavedRuns, median, recordResult } from "./lib/harness.mjs";
import { runChatTurns } from "./workloads/chat-turns.mjs";

const TURNS = numberArg("--turns", QUICK ? 30 : 250);
const ROUNDS = numberArg("--rounds", QUICK ? 1 : 3);
const LAST = Math.min(20, TURNS);
const ON = undefined; // the default bound
const dir = scratchDir("decoded-lists");
let n = 0;

const variants = {
  "file, decoded lists": () => new RustSqliteSaver(path.join(dir, `${++n}.sqlite`), { decodedListBytes: ON }),
  "file, off": () => new RustSqliteSaver(path.join(dir, `${++n}.sqlite`), { decodedListBytes: 0 }),
  ":memory:, decoded lists": () => new RustSqliteSaver(":memory:", { decodedListBytes: ON }),
  ":memory:, off": () => new RustSqliteSaver(":memory:", { decodedListBytes: 0 }),
};
const names = Object.keys(variants);

async function measure(name, turns) {
  const saver = variants[name]();
  const wall = [];
  const cpu = [];
  try {
    global.gc?.();
    let last = process.cpuUsage();
    const output = await runChatTurns({
      turns,
      checkpointer: saver,
      onTurn: (_, ms) => {
        wall.push(ms);
        const now = process.cpuUsage();
        cpu.push((now.user - last.user + now.system - last.system) / 1000);
        last = now;
      },
    });
    return { output, wall, cpu, stats: saver.cacheStats().decodedLists };
  } finally {
    saver.close();
  }
}

const reference = (await measure(names[1], 8)).output;
for (const name of names) assertEqualOutputs(`${name} at 8 turns`, (await measure(name, 8)).output, reference);
const runs = await interleavedRuns(names, ROUNDS, `decoded lists ${TURNS}`, (name) => measure(name, TURNS));
for (const name of names) for (const r of runs[name]) assertEqualOutputs(`${name} at ${TURNS} turns`, r.output, runs[names[1]][0].output);

const figures = {};
const rows = names.map((name) => {
  const cpu = median(runs[name].flatMap((r) => r.cpu.slice(-LAST)));
  const wall = median(runs[name].flatMap((r) => r.wall.slice(-LAST)));
  figures[name] = { cpuMsPerTurnAtEnd: cpu, wallMsPerTurnAtEnd: wall, decodedLists: runs[name][0].stats };
  return {
    variant: name,
    [`CPU ms/turn at ${TURNS * 4} messages`]: cpu.toFixed(2),
    "wall ms/turn": wall.toFixed(2),
    "decoded-list hits / misses": `${runs[name][0].stats.hits} / ${runs[name][0].stats.misses}`,
  };
});
console.log(formatTable(rows));
for (const where of ["file", ":memory:"]) {
  const on = figures[`${where}, decoded lists`].cpuMsPerTurnAtEnd;
  const off = figures[`${where}, off`].cpuMsPerTurnAtEnd;
  console.log(`${where}: decoded lists save ${(off - on).toFixed(2)} ms of CPU per turn (${(off / on).toFixed(2)}x)`);
}
// Cold reads: a saver that never read the thread (every read a miss), on and off.
const coldFile = path.join(dir, "cold.sqlite");
{
  const saver = new RustSqliteSaver(coldFile);
  await runChatTurns({ turns: TURNS, checkpointer: saver });
  saver.close();
}
const cold = { on: [], off: [] };
let counted;
for (let i = 0; i < 15; i++) {
  for (const mode of ["on", "off"]) {
    const saver = new RustSqliteSaver(coldFile, mode === "on" ? {} : { decodedListBytes: 0 });
    global.gc?.();
    const c0 = process.cpuUsage();
    const tuple = await saver.getTuple({ configurable: { thread_id: "chat" } });
    const c = process.cpuUsage(c0);
    if (tuple.checkpoint.channel_values.messages.length !== TURNS * 4) throw new Error("cold read: wrong thread");
    cold[mode].push((c.user + c.system) / 1000);
    if (mode === "on") counted = saver.cacheStats().decodedLists;
    saver.close();
  }
}
const coldOn = median(cold.on);
const coldOff = median(cold.off);
figures.coldRead = { cpuMsOn: coldOn, cpuMsOff: coldOff, countedBytes: counted.bytes, misses: counted.misses };
console.log(
  `cold getTuple of ${TURNS * 4} messages (a miss): CPU ${coldOn.toFixed(2)} ms on, ${coldOff.toFixed(2)} ms off (${(coldOn / coldOff).toFixed(2)}x); the entry counts ${(counted.bytes / 2 ** 20).toFixed(2)} MiB`,
);
recordResult("decoded-lists", {
  method: `chat-turns workload, ${TURNS} turns, RustSqliteSaver with decoded lists on and off (decodedListBytes: 0); ${ROUNDS} interleaved rounds; CPU = process.cpuUsage() user + system per turn, all threads; medians of the last ${LAST} turns of every round; outputs checked equal`,
  figures,
  summary: ["file", ":memory:"].map((where) => ({
    case: `chat turn CPU at ${TURNS * 4} messages, RustSqliteSaver ${where}`,
    component: "RustSqliteSaver.getTuple",
    baseline: "decodedListBytes: 0",
    ours: "decoded lists",
    baselineValue: figures[`${where}, off`].cpuMsPerTurnAtEnd,
    oursValue: figures[`${where}, decoded lists`].cpuMsPerTurnAtEnd,
    unit: "ms",
  })),
});
