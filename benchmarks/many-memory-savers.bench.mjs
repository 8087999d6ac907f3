// Many live MemorySavers, each with one short thread (one per session, tenant or test, as apps and test
// suites make them): N savers kept alive, each serving T turns of a one-node chat graph (a ~300 B human
// message, a ~300 B answer, realistic prose; 3 puts a turn). Side by side in one process, interleaved
// rounds: MemorySaver unpatched, after patchLangGraph() (a saver stays on MemorySaver's own code until it
// has taken 16 puts and stored 256 KiB), and patched with FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER=0 (a Rust store from the first call).
// Prints CPU time per saver (process.cpuUsage; wall time too) and the memory each live saver holds (RSS
// and heap + external growth after a full GC), medians over the rounds; outputs checked equal first.
//   node --expose-gc benchmarks/many-memory-savers.bench.mjs [--quick] [--savers N] [--rounds N] [--turns 1,3,...]
import v8 from "node:v8";
import vm from "node:vm";

import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { MemorySaver, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { patchLangGraph, unpatchLangGraph } from "@fast-langgraph/accelerator";

import { QUICK, assertEqualOutputs, formatTable, interleavedRuns, median, numberArg, recordResult } from "./lib/harness.mjs";
import { prose } from "./lib/text.mjs";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");

const SAVERS = numberArg("--savers", QUICK ? 20 : 200);
const ROUNDS = numberArg("--rounds", QUICK ? 1 : 3);
const TURNS_ARG = process.argv.indexOf("--turns");
const TURNS = TURNS_ARG > 0 ? process.argv[TURNS_ARG + 1].split(",").map(Number) : QUICK ? [1, 10] : [1, 3, 10, 30];

const graph = new StateGraph(MessagesAnnotation)
  .addNode("agent", (state) => ({ messages: [new AIMessage({ content: prose(5e6 + state.messages.length, 300) })] }))
  .addEdge(START, "agent");

const modes = {
  MemorySaver: async () => {},
  patched: async () => {
    delete process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER;
    await patchLangGraph();
  },
  "patched, store at once": async () => {
    process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER = "0";
    await patchLangGraph();
  },
};

async function serve(turns) {
  const savers = [];
  let last;
  for (let i = 0; i < SAVERS; i++) {
    const saver = new MemorySaver();
    const app = graph.compile({ checkpointer: saver });
    for (let turn = 0; turn < turns; turn++) {
      last = await app.invoke(
        { messages: [new HumanMessage({ content: prose(1e6 + turn, 300), id: `h${turn}` })] },
        { configurable: { thread_id: "s" } },
      );
    }
    savers.push(saver);
  }
  return { savers, contents: last.messages.map((m) => [m.getType(), m.content]) };
}

/** Bytes of the serialized checkpoints and metadata a MemorySaver holds (what the move threshold counts), and its largest checkpoint. */
function storedBytes(saver) {
  let total = 0;
  let largest = 0;
  for (const namespaces of Object.values(saver.storage))
    for (const checkpoints of Object.values(namespaces))
      for (const [checkpoint, metadata] of Object.values(checkpoints)) {
        total += checkpoint.length + metadata.length;
        largest = Math.max(largest, checkpoint.length);
      }
  return { storedKB: total / 1024, largestCheckpointKB: largest / 1024 };
}

async function measure(mode, turns) {
  await modes[mode]();
  try {
    gc();
    const before = process.memoryUsage();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { savers, contents } = await serve(turns);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
    const after = process.memoryUsage();
    const result = {
      cpuMsPerSaver: (cpu.user + cpu.system) / 1000 / SAVERS,
      wallMsPerSaver: wall / SAVERS,
      rssKBPerSaver: (after.rss - before.rss) / 1024 / SAVERS,
      heapKBPerSaver: (after.heapUsed + after.external - before.heapUsed - before.external) / 1024 / SAVERS,
      contents,
      // What an unpatched saver stored (its plain fields; a moved saver's are views, and reading them moves it back).
      ...(mode === "MemorySaver" ? storedBytes(savers[0]) : {}),
    };
    savers.length = 0;
    return result;
  } finally {
    unpatchLangGraph();
    delete process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER;
  }
}

const rows = [];
const figures = {};
for (const turns of TURNS) {
  const names = Object.keys(modes);
  const check = {};
  for (const name of names) check[name] = (await measure(name, 1)).contents;
  for (const name of names.slice(1)) assertEqualOutputs(`${name}, 1 turn`, check.MemorySaver, check[name]);
  const runs = await interleavedRuns(names, ROUNDS, `${SAVERS} savers x ${turns} turns`, (name) => measure(name, turns));
  for (const name of names.slice(1)) assertEqualOutputs(`${name}, ${turns} turns`, runs.MemorySaver[0].contents, runs[name][0].contents);
  figures[turns] = runs;
  for (const name of names) {
    const m = (key) => median(runs[name].map((r) => r[key]));
    rows.push({
      turns,
      saver: name,
      "CPU ms/saver": m("cpuMsPerSaver").toFixed(2),
      "wall ms/saver": m("wallMsPerSaver").toFixed(2),
      "RSS KB/saver": m("rssKBPerSaver").toFixed(0),
      "heap+external KB/saver": m("heapKBPerSaver").toFixed(0),
      "stored KB (largest checkpoint)":
        name === "MemorySaver" ? `${m("storedKB").toFixed(0)} (${m("largestCheckpointKB").toFixed(1)})` : "",
    });
  }
}
console.log(formatTable(rows));
const file = recordResult("many-memory-savers", {
  method: `${SAVERS} live MemorySavers x T turns of a one-node chat graph (realistic prose, 3 puts a turn), unpatched / patched / patched with a store from the first call; medians of ${ROUNDS} interleaved rounds; outputs checked equal first`,
  figures,
  summary: rows,
});
console.log(`wrote ${file}`);
