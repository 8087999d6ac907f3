// What the profiler costs: react_agent_100x (LangGraph.js's bench workload) and a chat-turns loop, each
// on a MemorySaver, with no profiler and with a profiler attached the way users attach it: its callback
// handler in config.callbacks and its probe on the graph's checkpointer (per-channel size estimates on;
// OpenTelemetry through @opentelemetry/api, installed here, with no SDK registered: a no-op tracer).
// patchLangGraph({ profile: true }) attaches the same handler and probe from Pregel.prototype.stream.
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

const cases = profilerCases({ agent, turns: TURNS });

const figures = {};
const table = [];
const summary = [];
for (const [name, run] of Object.entries(cases)) {
  process.stdout.write(`  ${name}\n`);
  const check = createProfiler();
  const on = await run(check);
  const recorded = check.summary();
  if (recorded.totals.graphRuns === 0 || recorded.checkpoints.length === 0) throw new Error(`${name}: the profiler recorded nothing`);
  assertEqualOutputs(`${name} profiled`, on, await run(undefined));
  // Per run: the process's CPU time (process.cpuUsage: user + system, every thread) and wall time. On a
  // shared machine wall time also counts waiting for a core; CPU time does not, but still drifts with the
  // machine (caches, clock), so the overhead is taken per round, between runs adjacent in time.
  const labels = ["no profiler", "empty handler (floor)", "profiler on"];
  const arg = { "no profiler": undefined, "empty handler (floor)": "floor", "profiler on": null };
  const cpu = Object.fromEntries(labels.map((l) => [l, []]));
  const timed = Object.fromEntries(
    labels.map((label) => [
      label,
      {
        before: () => gc(),
        run: async () => {
          const t0 = process.cpuUsage();
          await run(arg[label] === null ? createProfiler() : arg[label]);
          const d = process.cpuUsage(t0);
          cpu[label].push((d.user + d.system) / 1000);
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
  const cpuOverhead = paired("profiler on");
  const floor = paired("empty handler (floor)");
  const aboveFloor = paired("profiler on", "empty handler (floor)");
  const overhead = results["profiler on"].median / results["no profiler"].median - 1;
  const floorOverhead = results["empty handler (floor)"].median / results["no profiler"].median - 1;
  // Noise: how far the per-round ratios spread (half their interquartile range). An effect smaller than
  // that is not resolved by this run: run again with more rounds or on a quieter machine.
  const resolved = Math.abs(cpuOverhead.median) > cpuOverhead.halfIqr;
  figures[name] = {
    ...results,
    cpuRuns: cpu,
    overhead,
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
    run: "floor, CPU per round (median, IQR)",
    "median ms": `${pct(floorOverhead)} wall`,
    "min ms": "",
    "CPU ms": `${pct(floor.median)} (${pct(floor.q1)}..${pct(floor.q3)})`,
    rounds: "",
  });
  table.push({
    workload: name,
    run: "profiler, CPU per round (median, IQR)",
    "median ms": `${pct(overhead)} wall`,
    "min ms": "",
    "CPU ms": `${pct(cpuOverhead.median)} (${pct(cpuOverhead.q1)}..${pct(cpuOverhead.q3)})${resolved ? "" : " < noise"}`,
    rounds: `load ${loadBefore.toFixed(1)}-${loadAfter.toFixed(1)}`,
  });
  table.push({
    workload: name,
    run: "profiler over floor, CPU per round",
    "median ms": "",
    "min ms": "",
    "CPU ms": `${pct(aboveFloor.median)} (${pct(aboveFloor.q1)}..${pct(aboveFloor.q3)})${Math.abs(aboveFloor.median) > aboveFloor.halfIqr ? "" : " < noise"}`,
    rounds: "",
  });
  summary.push({
    case: `${name}, MemorySaver`,
    component: "-",
    baseline: "no profiler",
    ours: "profiler on",
    baselineValue: results["no profiler"].median,
    oursValue: results["profiler on"].median,
    unit: "ms",
  });
}
console.log(formatTable(table));
recordResult("profiler-overhead", {
  method:
    `${agent} (createReactAgent, scripted model calling one tool ${QUICK ? 10 : 100} times, no model latency) streamed on a fresh MemorySaver thread, and ${TURNS} chat turns ` +
    "(benchmarks/workloads/chat-turns.mjs: per turn a 300 B human message, a tool call, an 800 B tool result and a 600 B answer; scripted model, no latency) " +
    "on one MemorySaver thread; no profiler vs createProfiler() attached " +
    "(handler in config.callbacks, probe on the checkpointer with channel size estimates, no-op OpenTelemetry tracer), and an empty BaseCallbackHandler " +
    "(what @langchain/core's callbacks cost with any handler: the floor for a callback-based profiler); outputs checked equal; " +
    `${ROUNDS} interleaved rounds after ${WARMUP} warm-ups, each run after a full GC; wall-time medians, and the overhead in CPU time (process.cpuUsage) ` +
    "as the median and quartiles of per-round ratios against the unprofiled run of the same round; `resolved` is false when the median is within half the " +
    "interquartile range (noise larger than the effect). A fresh profiler per round.",
  figures,
  summary,
});
