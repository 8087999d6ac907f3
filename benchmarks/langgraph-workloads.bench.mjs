// patchLangGraph() on LangGraph.js's own benchmark workloads and on the 3-node messages loop:
// no checkpointer, MemorySaver unpatched, MemorySaver patched, side by side; plus the memory a
// MemorySaver holds after a 1,000-step thread, patched vs unpatched.
import { MemorySaver } from "@langchain/langgraph";
import { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { native, patchLangGraph, unpatchLangGraph } from "@fast-langgraph/accelerator";

import { QUICK, assertEqualOutputs, formatTable, interleavedRounds, recordResult } from "./lib/harness.mjs";
import { runMessagesLoop } from "./workloads/messages-loop.mjs";
import { runWorkload, workloads } from "./workloads/langgraph-bench.mjs";

/** Stores nothing: what LangGraph itself spends per step once any checkpointer is attached (the floor). */
class NoopSaver extends BaseCheckpointSaver {
  async getTuple() {
    return undefined;
  }
  async *list() {}
  async put(config, checkpoint) {
    return { configurable: { ...config.configurable, checkpoint_id: checkpoint.id } };
  }
  async putWrites() {}
  async deleteThread() {}
}

const LOOP_STEPS = QUICK ? 200 : 1000;
const cases = {
  ...(QUICK ? { sequential_10: workloads.sequential_10, react_agent_10x: workloads.react_agent_10x } : workloads),
  [`messages_loop_${LOOP_STEPS}`]: { loop: true },
};
const ROUNDS = QUICK ? 2 : 5;

async function once(workload, checkpointer) {
  if (workload.loop) return (await runMessagesLoop({ steps: LOOP_STEPS, checkpointer })).length;
  return runWorkload(workload.build(checkpointer), workload.input());
}

/** Runs `fn` with LangGraph patched, restoring the originals afterwards. */
async function patched(fn) {
  await patchLangGraph();
  try {
    return await fn();
  } finally {
    unpatchLangGraph();
  }
}

const figures = {};
const table = [];
const summary = [];
for (const [name, workload] of Object.entries(cases)) {
  process.stdout.write(`  ${name}\n`);
  const outputs = {
    none: await once(workload, undefined),
    unpatched: await once(workload, new MemorySaver()),
    patched: await patched(() => once(workload, new MemorySaver())),
  };
  assertEqualOutputs(`${name} patched`, outputs.patched, outputs.none);
  assertEqualOutputs(`${name} unpatched`, outputs.unpatched, outputs.none);
  const results = await interleavedRounds(
    {
      none: () => once(workload, undefined),
      "no-op saver (floor)": () => once(workload, new NoopSaver()),
      "MemorySaver unpatched": () => once(workload, new MemorySaver()),
      "MemorySaver patched": {
        before: () => patchLangGraph(),
        run: () => once(workload, new MemorySaver()),
        after: () => unpatchLangGraph(),
      },
    },
    { rounds: name.endsWith("1000") && !QUICK ? 3 : ROUNDS, warmup: 1 },
  );
  const none = results.none.median;
  figures[name] = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { ...v, vsNoCheckpointer: v.median / none }]));
  for (const [k, v] of Object.entries(results)) {
    table.push({
      workload: name,
      run: k,
      "median ms": v.median.toFixed(1),
      "min ms": v.min.toFixed(1),
      "x none": (v.median / none).toFixed(2),
    });
  }
  summary.push({
    case: `${name} with MemorySaver`,
    component: "MemorySaver",
    baseline: "MemorySaver",
    ours: "patchLangGraph()",
    baselineValue: results["MemorySaver unpatched"].median,
    oursValue: results["MemorySaver patched"].median,
    unit: "ms",
  });
}

/** Memory a MemorySaver holds after one long thread: JS heap + external + array buffers, and SQLite's own. */
async function heldMemory(usePatch) {
  const measure = () => {
    global.gc?.();
    global.gc?.();
    const m = process.memoryUsage();
    return { js: m.heapUsed + m.external + m.arrayBuffers, sqlite: native.sqliteMemoryUsed() };
  };
  const before = measure();
  const saver = new MemorySaver();
  if (usePatch) await patchLangGraph();
  await runMessagesLoop({ steps: LOOP_STEPS, checkpointer: saver });
  const after = measure();
  const held = { js: after.js - before.js, sqlite: after.sqlite - before.sqlite };
  // Keep the saver alive until measured.
  if (!saver) throw new Error("unreachable");
  if (usePatch) unpatchLangGraph();
  return { ...held, total: held.js + held.sqlite };
}
const memory = { unpatched: await heldMemory(false), patched: await heldMemory(true) };
figures.memoryHeldAfterThread = { steps: LOOP_STEPS, ...memory, ratio: memory.patched.total / memory.unpatched.total };

console.log(formatTable(table));
console.log(
  `MemorySaver memory held after a ${LOOP_STEPS}-step thread: unpatched ${(memory.unpatched.total / 1e6).toFixed(1)} MB, ` +
    `patched ${(memory.patched.total / 1e6).toFixed(1)} MB (JS ${(memory.patched.js / 1e6).toFixed(1)} + SQLite ${(memory.patched.sqlite / 1e6).toFixed(1)}), ` +
    `ratio ${figures.memoryHeldAfterThread.ratio.toFixed(2)}`,
);
summary.push({
  case: `memory a MemorySaver holds after a ${LOOP_STEPS}-step thread`,
  component: "MemorySaver",
  baseline: "MemorySaver",
  ours: "patchLangGraph()",
  baselineValue: memory.unpatched.total,
  oursValue: memory.patched.total,
  unit: "bytes",
});
recordResult("langgraph-workloads", {
  method:
    "LangGraph.js bench workloads re-created (sequential_N: N no-op nodes on MessagesAnnotation; react_agent_Nx: createReactAgent, " +
    "a scripted tool-calling model calling one tool N times with ~3.6 KB arguments) and the 3-node messages loop; each run streams one fresh thread; " +
    "median of interleaved rounds after a warm-up and an output-count check; patched = patchLangGraph() around the run. Memory: " +
    "process.memoryUsage heapUsed+external+arrayBuffers after two forced GCs, plus sqlite3_memory_used, delta over one thread with the saver alive.",
  figures,
  summary,
});
