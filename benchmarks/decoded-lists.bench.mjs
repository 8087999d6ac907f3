// What the read caches save per chat turn: the chat-turns workload (benchmarks/workloads/chat-turns.mjs)
// on RustSqliteSaver (file and :memory:) with its two read caches on and off: decoded lists
// (`decodedListBytes`, JavaScript: a grown list's unchanged elements are not parsed again) and assembled
// values (`assembledValueBytes`, native: a grown list's chain is joined onto the value read last, not read
// whole). Every variant runs its own thread in lockstep with the others (turn i of each before any runs
// turn i + 1, in alternating order), so all of them see the same machine at the same time: on a shared VM
// whose speed drifts between minutes this pairs the comparison. CPU time of the process per turn
// (process.cpuUsage, all threads) and wall time, median of the last 50 turns; for `:memory:` (calls run
// inline) also the native getTuple call's own time. Then cold reads: getTuple of
// the finished thread by a saver that never read it (a miss), decoded lists on and off, CPU time,
// median of 15 each, interleaved; and the bytes the decoded lists count for the thread.
//   node --expose-gc benchmarks/decoded-lists.bench.mjs [--quick] [--turns N]
import path from "node:path";

import { RustSqliteSaver } from "@fast-langgraph/accelerator";

import { scratchDir } from "./lib/disk.mjs";
import { QUICK, numberArg, assertEqualOutputs, formatTable, median, recordResult } from "./lib/harness.mjs";
import { chatGraph, contents, humanMessage, runChatTurns } from "./workloads/chat-turns.mjs";

const TURNS = numberArg("--turns", QUICK ? 30 : 250);
const LAST = Math.min(50, TURNS);
const OFF = { decodedListBytes: 0, assembledValueBytes: 0 };
const dir = scratchDir("decoded-lists");
let n = 0;

const caches = {
  "both off": OFF,
  "decoded lists": { decodedListBytes: 64 * 2 ** 20, assembledValueBytes: 0 },
  "assembled values (the defaults)": {},
  both: { decodedListBytes: 64 * 2 ** 20 },
};
const variants = {};
for (const where of ["file", ":memory:"]) {
  for (const [name, options] of Object.entries(caches)) {
    variants[`${where}, ${name}`] = () => new RustSqliteSaver(where === "file" ? path.join(dir, `${++n}.sqlite`) : ":memory:", options);
  }
}
const names = Object.keys(variants);

const runs = names.map((name) => {
  const saver = variants[name]();
  const run = { name, saver, graph: chatGraph(saver), wall: [], cpu: [], messages: [], nativeRead: [] };
  // A `:memory:` store runs its calls inline: time the native read itself (the file's run on its writer thread).
  if (name.startsWith(":memory:")) {
    const store = saver.nativeStore;
    const read = store.getTupleSync.bind(store);
    store.getTupleSync = (...args) => {
      const t0 = process.hrtime.bigint();
      const row = read(...args);
      run.nativeRead.push(Number(process.hrtime.bigint() - t0) / 1e6);
      return row;
    };
  }
  return run;
});
const config = { configurable: { thread_id: "chat" } };
for (let i = 0; i < TURNS; i++) {
  for (const run of i % 2 ? runs : [...runs].reverse()) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const result = await run.graph.invoke({ messages: [humanMessage(i)] }, config);
    run.wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    run.cpu.push((c.user + c.system) / 1000);
    run.messages = result.messages;
  }
  if (i === 7 || i === TURNS - 1) {
    for (const run of runs) assertEqualOutputs(`${run.name} at ${i + 1} turns`, contents(run.messages), contents(runs[0].messages));
  }
}

const figures = {};
const rows = runs.map((run) => {
  const cpu = median(run.cpu.slice(-LAST));
  const wall = median(run.wall.slice(-LAST));
  const stats = run.saver.cacheStats();
  const nativeRead = run.nativeRead.length > 0 ? median(run.nativeRead.slice(-LAST)) : undefined;
  figures[run.name] = {
    cpuMsPerTurnAtEnd: cpu,
    wallMsPerTurnAtEnd: wall,
    nativeGetTupleMsAtEnd: nativeRead,
    decodedLists: stats.decodedLists,
    assembledValues: stats.assembledValues,
  };
  run.saver.close();
  return {
    variant: run.name,
    [`CPU ms/turn at ${TURNS * 4} messages`]: cpu.toFixed(2),
    "wall ms/turn": wall.toFixed(2),
    "native getTuple ms": nativeRead === undefined ? "-" : nativeRead.toFixed(2),
    "decoded-list hits / misses": `${stats.decodedLists.hits} / ${stats.decodedLists.misses}`,
    "assembled hits / misses": `${stats.assembledValues.hits} / ${stats.assembledValues.misses}`,
  };
});
console.log(formatTable(rows));
for (const where of ["file", ":memory:"]) {
  const off = figures[`${where}, both off`].cpuMsPerTurnAtEnd;
  for (const name of Object.keys(caches).slice(1)) {
    const on = figures[`${where}, ${name}`].cpuMsPerTurnAtEnd;
    console.log(`${where}, ${name}: ${(off - on).toFixed(2)} ms of CPU per turn less than both off (${(off / on).toFixed(2)}x)`);
  }
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
    const saver = new RustSqliteSaver(coldFile, mode === "on" ? { decodedListBytes: 64 * 2 ** 20 } : {});
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
  method: `chat-turns workload, ${TURNS} turns, RustSqliteSaver with decoded lists and assembled values on and off, one thread per variant run in lockstep; CPU = process.cpuUsage() user + system per turn, all threads; medians of the last ${LAST} turns; outputs checked equal`,
  figures,
  summary: ["file", ":memory:"].map((where) => ({
    case: `chat turn CPU at ${TURNS * 4} messages, RustSqliteSaver ${where}`,
    component: "RustSqliteSaver.getTuple",
    baseline: "decodedListBytes: 0, assembledValueBytes: 0",
    ours: "the defaults (assembled values)",
    baselineValue: figures[`${where}, both off`].cpuMsPerTurnAtEnd,
    oursValue: figures[`${where}, assembled values (the defaults)`].cpuMsPerTurnAtEnd,
    unit: "ms",
  })),
});
