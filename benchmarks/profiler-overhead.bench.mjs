// What the profiler costs: react_agent_100x (LangGraph.js's bench workload) and a chat-turns loop, each
// on a MemorySaver, with no profiler; with the profiler's hooks (profiler.attach(), what
// patchLangGraph({ profile: true }) uses: no LangChain callbacks); with its callback handler in
// config.callbacks; and with an empty callback handler (the floor of any callback-based profiler). Both
// profiler modes probe the graph's checkpointer (per-channel size estimates on; OpenTelemetry through
// @opentelemetry/api, installed here, with no SDK registered: a no-op tracer).
import os from "node:os";

import { createProfiler } from "@fast-langgraph/accelerator";

import { QUICK, assertEqualOutputs, formatTable, interleavedRounds, median, recordResult } from "./lib/harness.mjs";
import { profilerCases } from "./workloads/profiler-cases.mjs";

const TURNS = QUICK ? 20 : 100;
const agent = QUICK ? "react_agent_10x" : "react_agent_100x";
/** Timed rounds per workload after WARMUP; PROFILER_BENCH_ROUNDS overrides (use more when the machine is loaded). */
const ROUNDS = Number(process.env.PROFILER_BENCH_ROUNDS ?? (QUICK ? 5 : 15));
const WARMUP = 2;
const gc = globalThis.gc ?? (() => {});
if (!globalThis.gc) console.warn("  (run with node --expose-gc: each timed run then starts after a full collection)");

const pct = (x) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
/** Median and quartiles of `values`, and half the interquartile range (the noise of a per-round ratio). */
function spread(values) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q) => {
    const i = (s.length - 1) * q;
    return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
  };
  return { median: median(s), q1: at(0.25), q3: at(0.75), halfIqr: (at(0.75) - at(0.25)) / 2 };
}

/** PROFILER_BENCH_ONLY=<workload> (react_agent_100x or chat_turns_100) runs that workload alone. */
const ONLY = process.env.PROFILER_BENCH_ONLY;
const cases = Object.fromEntries(
  Object.entries(profilerCases({ agent, turns: TURNS })).filter(([name]) => ONLY === undefined || ONLY === "" || name === ONLY),
);
if (Object.keys(cases).length === 0) throw new Error(`PROFILER_BENCH_ONLY=${ONLY} names no workload`);

const figures = {};
const table = [];
const summary = [];
for (const [name, run] of Object.entries(cases)) {
  process.stdout.write(`  ${name}\n`);
  const check = createProfiler();
  const on = await run(check);
  const recorded = check.summary();
  if (recorded.totals.graphRuns === 0 || recorded.checkpoints.length === 0) throw new Error(`${name}: the profiler recorded nothing`);
  const plain = await run(undefined);
  assertEqualOutputs(`${name} profiled`, on, plain);
  // The hook mode records the same runs, nodes, model and tool calls and checkpoint ops as the handler.
  const hookCheck = await createProfiler().attach();
  const hooked = await run(undefined);
  hookCheck.detach();
  assertEqualOutputs(`${name} hooks`, hooked, plain);
  const counts = (s) =>
    JSON.stringify([s.totals.graphRuns, ...["nodes", "models", "tools", "checkpoints"].map((k) => s[k].reduce((a, x) => a + x.count, 0))]);
  if (counts(hookCheck.summary()) !== counts(recorded))
    throw new Error(
      `${name}: the hooks recorded ${counts(hookCheck.summary())}, the handler ${counts(recorded)} (runs, nodes, models, tools, checkpoint ops)`,
    );
  // Per run: the process's CPU time (process.cpuUsage: user + system, every thread) and wall time. On a
  // shared machine wall time also counts waiting for a core; CPU time does not, but still drifts with the
  // machine (caches, clock), so the overhead is taken per round, between runs adjacent in time.
  const labels = ["no profiler", "profiler hooks", "empty handler (floor)", "profiler handler"];
  const arg = { "no profiler": undefined, "empty handler (floor)": "floor", "profiler handler": null, "profiler hooks": "hooks" };
  const cpu = Object.fromEntries(labels.map((l) => [l, []]));
  // The hook mode: a fresh profiler attached before the run (installing the hooks, outside the timing)
  // and detached after it (removing them), so that the other runs have no hook installed at all.
  let attached;
  const timed = Object.fromEntries(
    labels.map((label) => [
      label,
      {
        before: async () => {
          if (arg[label] === "hooks") attached = await createProfiler().attach();
          gc();
        },
        run: async () => {
          const t0 = process.cpuUsage();
          await run(arg[label] === null ? createProfiler() : arg[label] === "hooks" ? undefined : arg[label]);
          const d = process.cpuUsage(t0);
          cpu[label].push((d.user + d.system) / 1000);
        },
        after: () => {
          attached?.detach();
          attached = undefined;
        },
      },
    ]),
  );
  const loadBefore = os.loadavg()[0];
  const results = await interleavedRounds(timed, { rounds: ROUNDS, warmup: WARMUP });
  const loadAfter = os.loadavg()[0];
  for (const k of labels) {
    cpu[k] = cpu[k].slice(WARMUP);
    results[k].cpuMedian = median(cpu[k]);
  }
  const paired = (label, base = "no profiler") => spread(cpu[label].map((v, i) => v / cpu[base][i] - 1));
  const cpuOverhead = paired("profiler handler");
  const hooks = paired("profiler hooks");
  const floor = paired("empty handler (floor)");
  const aboveFloor = paired("profiler handler", "empty handler (floor)");
  const overhead = results["profiler handler"].median / results["no profiler"].median - 1;
  const hooksOverhead = results["profiler hooks"].median / results["no profiler"].median - 1;
  const floorOverhead = results["empty handler (floor)"].median / results["no profiler"].median - 1;
  // Noise: how far the per-round ratios spread (half their interquartile range). An effect smaller than
  // that is not resolved by this run: run again with more rounds or on a quieter machine.
  const resolved = Math.abs(cpuOverhead.median) > cpuOverhead.halfIqr;
  const hooksResolved = Math.abs(hooks.median) > hooks.halfIqr;
  figures[name] = {
    ...results,
    cpuRuns: cpu,
    overhead,
    hooksOverhead,
    cpuHooksOverhead: hooks.median,
    cpuHooksQuartiles: [hooks.q1, hooks.q3],
    hooksResolved,
    floorOverhead,
    cpuOverhead: cpuOverhead.median,
    cpuOverheadQuartiles: [cpuOverhead.q1, cpuOverhead.q3],
    cpuFloorOverhead: floor.median,
    cpuFloorQuartiles: [floor.q1, floor.q3],
    cpuAboveFloor: aboveFloor.median,
    cpuAboveFloorQuartiles: [aboveFloor.q1, aboveFloor.q3],
    resolved,
    loadAverage: [loadBefore, loadAfter],
    recordedTasks: recorded.nodes.reduce((s, n) => s + n.count, 0),
    recordedModelCalls: recorded.models.reduce((s, m) => s + m.count, 0),
    recordedCheckpointOps: recorded.checkpoints.reduce((s, c) => s + c.count, 0),
  };
  for (const [k, v] of Object.entries(results))
    table.push({
      workload: name,
      run: k,
      "median ms": v.median.toFixed(1),
      "min ms": v.min.toFixed(1),
      "CPU ms": v.cpuMedian.toFixed(1),
      rounds: v.rounds,
    });
  table.push({
    workload: name,
    run: "hooks, CPU per round (median, IQR)",
    "median ms": `${pct(hooksOverhead)} wall`,
    "min ms": "",
    "CPU ms": `${pct(hooks.median)} (${pct(hooks.q1)}..${pct(hooks.q3)})${hooksResolved ? "" : " < noise"}`,
    rounds: "",
  });
  table.push({
    workload: name,
    run: "floor, CPU per round (median, IQR)",
    "median ms": `${pct(floorOverhead)} wall`,
    "min ms": "",
    "CPU ms": `${pct(floor.median)} (${pct(floor.q1)}..${pct(floor.q3)})`,
    rounds: "",
  });
  table.push({
    workload: name,
    run: "handler, CPU per round (median, IQR)",
    "median ms": `${pct(overhead)} wall`,
    "min ms": "",
    "CPU ms": `${pct(cpuOverhead.median)} (${pct(cpuOverhead.q1)}..${pct(cpuOverhead.q3)})${resolved ? "" : " < noise"}`,
    rounds: `load ${loadBefore.toFixed(1)}-${loadAfter.toFixed(1)}`,
  });
  table.push({
    workload: name,
    run: "handler over floor, CPU per round",
    "median ms": "",
    "min ms": "",
    "CPU ms": `${pct(aboveFloor.median)} (${pct(aboveFloor.q1)}..${pct(aboveFloor.q3)})${Math.abs(aboveFloor.median) > aboveFloor.halfIqr ? "" : " < noise"}`,
    rounds: "",
  });
  summary.push({
    case: `${name}, MemorySaver`,
    component: "-",
    baseline: "no profiler",
    ours: "profiler hooks",
    baselineValue: results["no profiler"].median,
    oursValue: results["profiler hooks"].median,
    unit: "ms",
  });
}
console.log(formatTable(table));
recordResult(ONLY ? `profiler-overhead-${ONLY}` : "profiler-overhead", {
  method:
    `${agent} (createReactAgent, scripted model calling one tool ${QUICK ? 10 : 100} times, no model latency) streamed on a fresh MemorySaver thread, and ${TURNS} chat turns ` +
    "(benchmarks/workloads/chat-turns.mjs: per turn a 300 B human message, a tool call, an 800 B tool result and a 600 B answer; scripted model, no latency) " +
    "on one MemorySaver thread; no profiler vs createProfiler() attached with attach() (hooks on Pregel, BaseChatModel and StructuredTool, no callbacks; " +
    "attached before and detached after each hooked run, outside its timing) and with its handler in config.callbacks " +
    "(both with the probe on the checkpointer with channel size estimates, no-op OpenTelemetry tracer), and an empty BaseCallbackHandler " +
    "(what @langchain/core's callbacks cost with any handler: the floor for a callback-based profiler); outputs checked equal; " +
    `${ROUNDS} interleaved rounds after ${WARMUP} warm-ups, each run after a full GC; wall-time medians, and the overhead in CPU time (process.cpuUsage) ` +
    "as the median and quartiles of per-round ratios against the unprofiled run of the same round; `resolved` is false when the median is within half the " +
    "interquartile range (noise larger than the effect). A fresh profiler per round.",
  figures,
  summary,
});
