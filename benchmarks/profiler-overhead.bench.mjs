// What the profiler costs: react_agent_100x (LangGraph.js's bench workload) and a chat-turns loop, each
// on a MemorySaver, with no profiler and with a profiler attached the way users attach it: its callback
// handler in config.callbacks and its probe on the graph's checkpointer (per-channel size estimates on;
// OpenTelemetry through @opentelemetry/api, installed here, with no SDK registered: a no-op tracer).
// patchLangGraph({ profile: true }) attaches the same handler and probe from Pregel.prototype.stream.
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { MemorySaver } from "@langchain/langgraph";
import { createProfiler } from "@fast-langgraph/accelerator";

import { QUICK, assertEqualOutputs, formatTable, interleavedRounds, median, recordResult } from "./lib/harness.mjs";
import { runChatTurns } from "./workloads/chat-turns.mjs";
import { runWorkload, workloads } from "./workloads/langgraph-bench.mjs";

const TURNS = QUICK ? 20 : 100;
const agent = QUICK ? "react_agent_10x" : "react_agent_100x";
const ROUNDS = QUICK ? 5 : 11;

/** A handler that does nothing: what @langchain/core's callback machinery costs once any handler is attached (the floor). */
class EmptyHandler extends BaseCallbackHandler {
  name = "empty";
}
const handlersOf = (profiler) => (profiler === "floor" ? [new EmptyHandler()] : profiler ? [profiler.handler] : undefined);
const probe = (profiler, graph) => (profiler && profiler !== "floor" ? profiler.probe(graph) : graph);

/** Each workload, run with the given profiler attached, an empty handler ("floor"), or nothing. */
const cases = {
  [agent]: (profiler) =>
    runWorkload(probe(profiler, workloads[agent].build(new MemorySaver())), workloads[agent].input(), { callbacks: handlersOf(profiler) }),
  [`chat_turns_${TURNS}`]: (profiler) =>
    runChatTurns({ turns: TURNS, checkpointer: new MemorySaver(), callbacks: handlersOf(profiler), onGraph: (g) => probe(profiler, g) }),
};

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
  // CPU time of the process too: on a shared machine wall time also counts waiting for a core.
  const cpu = { "no profiler": [], "empty handler (floor)": [], "profiler on": [] };
  const withCpu = (label, fn) => async () => {
    const t0 = process.cpuUsage();
    await fn();
    const d = process.cpuUsage(t0);
    cpu[label].push((d.user + d.system) / 1000);
  };
  const results = await interleavedRounds(
    {
      "no profiler": withCpu("no profiler", () => run(undefined)),
      "empty handler (floor)": withCpu("empty handler (floor)", () => run("floor")),
      "profiler on": withCpu("profiler on", () => run(createProfiler())),
    },
    { rounds: ROUNDS, warmup: 2 },
  );
  for (const k of Object.keys(cpu)) results[k].cpuMedian = median(cpu[k].slice(2)); // the first two are the warm-ups;
  const overhead = results["profiler on"].median / results["no profiler"].median - 1;
  const cpuOverhead = results["profiler on"].cpuMedian / results["no profiler"].cpuMedian - 1;
  const floorOverhead = results["empty handler (floor)"].median / results["no profiler"].median - 1;
  figures[name] = {
    ...results,
    overhead,
    cpuOverhead,
    floorOverhead,
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
    run: "profiler overhead (median)",
    "median ms": `${(overhead * 100).toFixed(1)}%`,
    "min ms": "",
    "CPU ms": `${(cpuOverhead * 100).toFixed(1)}%`,
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
    "median of interleaved rounds after two warm-ups (wall time, and the process's CPU time from process.cpuUsage). A fresh profiler per round.",
  figures,
  summary,
});
