// The fixed cost of each saver call on a short thread: the soak's chat graph (benchmarks/soak.bench.mjs)
// runs `--turns` turns (default 3) on one thread of an unpatched MemorySaver whose calls are recorded as
// LangGraph makes them (getTuple, put, putWrites with their configs, checkpoints, metadata, versions);
// the calls are then replayed on `--threads` new threads (default 500) of a fresh MemorySaver, unpatched
// and patched in interleaved rounds in this process (patchLangGraph / unpatchLangGraph between them).
// Prints the median over rounds (after a warm-up) of the CPU time per call of each kind, and of the CPU time
// of a round. Checks first that both savers read every replayed thread back equal.
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { MemorySaver, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { patchLangGraph, unpatchLangGraph } from "@fast-langgraph/accelerator";

import { QUICK, formatTable, median, numberArg, recordResult } from "./lib/harness.mjs";
import { prose } from "./workloads/messages-loop.mjs";

const TURNS = numberArg("--turns", 3);
const THREADS = numberArg("--threads", QUICK ? 100 : 500);
const ROUNDS = numberArg("--rounds", QUICK ? 3 : 7);
const KINDS = ["getTuple", "put", "putWrites"];
/** `--only patched` (or `MemorySaver`) replays on that saver alone, for profiling; prints its figures. */
const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;

/** The calls one thread of `TURNS` turns makes, recorded on an unpatched MemorySaver. */
async function recordCalls() {
  const calls = [];
  class Recording extends MemorySaver {}
  for (const kind of KINDS) {
    Recording.prototype[kind] = function (...args) {
      calls.push([kind, args]);
      return MemorySaver.prototype[kind].apply(this, args);
    };
  }
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => {
      const n = state.messages.length;
      return { messages: [new AIMessage({ content: prose(n * 31 + 7, 600), id: `${state.messages[0].id}-a${n}` })] };
    })
    .addEdge(START, "agent")
    .compile({ checkpointer: new Recording() });
  const config = { configurable: { thread_id: "recorded" } };
  for (let k = 0; k < TURNS; k++) {
    await graph.invoke({ messages: [new HumanMessage({ content: prose(101 + k, 200), id: `t-h${k}` })] }, config);
  }
  return calls;
}

const onThread = (config, threadId) => ({ ...config, configurable: { ...config.configurable, thread_id: threadId } });

/** Replays the recorded calls on `THREADS` new threads; returns per-kind totals (ms, count) and CPU ms. */
async function replay(saver, calls, prefix) {
  const totals = Object.fromEntries(KINDS.map((k) => [k, { ms: 0, count: 0 }]));
  const cpu0 = process.cpuUsage();
  for (let t = 0; t < THREADS; t++) {
    const threadId = `${prefix}-${t}`;
    for (const [kind, [config, ...rest]] of calls) {
      const args = [onThread(config, threadId), ...rest];
      // CPU time, not wall time: the machine is shared, and a descheduled call is not a slower one.
      const c0 = process.cpuUsage();
      await saver[kind](...args);
      const c = process.cpuUsage(c0);
      totals[kind].ms += (c.user + c.system) / 1000;
      totals[kind].count += 1;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return { totals, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function readBack(saver, prefix) {
  const out = [];
  for (let t = 0; t < THREADS; t += Math.max(1, Math.floor(THREADS / 20))) {
    const tuple = await saver.getTuple({ configurable: { thread_id: `${prefix}-${t}` } });
    // Channels by name: the patched store returns channel_values in name order, MemorySaver in put order.
    const values = Object.fromEntries(Object.entries(tuple.checkpoint.channel_values).sort(([a], [b]) => (a < b ? -1 : 1)));
    out.push(JSON.stringify([{ ...tuple.checkpoint, channel_values: values }, tuple.metadata, tuple.pendingWrites]));
  }
  return out.join("\n");
}

async function round(name, calls, r) {
  if (name === "patched") await patchLangGraph();
  try {
    const saver = new MemorySaver();
    global.gc?.();
    const result = await replay(saver, calls, `r${r}`);
    result.digest = await readBack(saver, `r${r}`);
    return result;
  } finally {
    if (name === "patched") await unpatchLangGraph();
  }
}

async function main() {
  const calls = await recordCalls();
  const counts = Object.fromEntries(KINDS.map((k) => [k, calls.filter(([c]) => c === k).length]));
  console.log(
    `saver calls: ${TURNS} turns per thread (${KINDS.map((k) => `${counts[k]} ${k}`).join(", ")}), ${THREADS} threads per round, ${ROUNDS} rounds after a warm-up`,
  );
  if (ONLY) {
    for (let r = 0; r <= ROUNDS; r++) {
      const { totals, cpuMs } = await round(ONLY, calls, r);
      const perCall = KINDS.map((k) => `${k} ${((1000 * totals[k].ms) / totals[k].count).toFixed(1)} µs`).join(", ");
      console.log(`${ONLY} round ${r}: ${perCall}, CPU ${((1000 * cpuMs) / THREADS).toFixed(1)} µs per thread`);
    }
    return;
  }
  const names = ["MemorySaver", "patched"];
  const runs = { MemorySaver: [], patched: [] };
  for (let r = -1; r < ROUNDS; r++) {
    const warm = {};
    for (const name of r % 2 ? names : [...names].reverse()) {
      const result = await round(name, calls, r + 1);
      if (r >= 0) runs[name].push(result);
      else warm[name] = result;
    }
    if (r === -1 && warm.MemorySaver.digest !== warm.patched.digest) {
      throw new Error("the two savers read the threads back differently, refusing to compare");
    }
  }
  const perCall = (name, kind) => median(runs[name].map((x) => (1000 * x.totals[kind].ms) / x.totals[kind].count));
  const perThread = (name) => median(runs[name].map((x) => (1000 * x.cpuMs) / THREADS));
  const rows = [
    ...KINDS.map((kind) => ({
      call: `${kind} (µs per call)`,
      MemorySaver: perCall("MemorySaver", kind).toFixed(1),
      patched: perCall("patched", kind).toFixed(1),
      ratio: `${(perCall("MemorySaver", kind) / perCall("patched", kind)).toFixed(2)}x`,
    })),
    {
      call: "CPU per thread (µs)",
      MemorySaver: perThread("MemorySaver").toFixed(1),
      patched: perThread("patched").toFixed(1),
      ratio: `${(perThread("MemorySaver") / perThread("patched")).toFixed(2)}x`,
    },
  ];
  console.log(formatTable(rows));
  recordResult("saver-calls", {
    method: `the saver calls of a ${TURNS}-turn chat thread (soak graph), recorded on MemorySaver, replayed on ${THREADS} new threads per round; median of ${ROUNDS} rounds after a warm-up`,
    figures: { rows, runs: Object.fromEntries(names.map((n) => [n, runs[n].map(({ totals, cpuMs }) => ({ totals, cpuMs }))])) },
    summary: KINDS.map((kind) => ({
      case: `${kind}, ${TURNS}-turn thread`,
      component: "MemorySaver",
      baseline: "MemorySaver",
      ours: "patched MemorySaver",
      baselineValue: perCall("MemorySaver", kind),
      oursValue: perCall("patched", kind),
      unit: "µs",
    })),
  });
}

await main();
