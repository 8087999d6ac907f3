// Checkpointing cost of a real graph: the 3-node messages loop on no checkpointer, MemorySaver,
// SqliteSaver (file) and RustSqliteSaver (file), side by side, at several thread lengths.
import path from "node:path";

import { MemorySaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { RustSqliteSaver } from "@fast-langgraph/accelerator";

import { QUICK, assertEqualOutputs, formatTable, interleavedRuns, median, recordResult, timerGaps } from "./lib/harness.mjs";
import { scratchDir, sqliteBytes } from "./lib/disk.mjs";
import { runMessagesLoop } from "./workloads/messages-loop.mjs";

const LENGTHS = QUICK ? [100] : [200, 1000];
const ROUNDS = QUICK ? 1 : 3;
const dir = scratchDir("saver");
let fileNo = 0;

const savers = {
  none: () => ({ checkpointer: undefined, close() {} }),
  MemorySaver: () => ({ checkpointer: new MemorySaver(), close() {} }),
  SqliteSaver: () => {
    const file = path.join(dir, `official-${++fileNo}.sqlite`);
    const checkpointer = SqliteSaver.fromConnString(file);
    return { checkpointer, file, close: () => checkpointer.db.close() };
  },
  RustSqliteSaver: () => {
    const file = path.join(dir, `rust-${++fileNo}.sqlite`);
    const checkpointer = new RustSqliteSaver(file);
    return { checkpointer, file, close: () => checkpointer.close() };
  },
};

/** Means over consecutive windows of `size` steps: [[window end step, mean ms], ...]. */
function windowMeans(values, size) {
  const out = [];
  for (let i = 0; i < values.length; i += size) {
    const chunk = values.slice(i, i + size);
    out.push([Math.min(i + size, values.length), chunk.reduce((a, b) => a + b, 0) / chunk.length]);
  }
  return out;
}

/** One run: total time, time per step along the thread, and bytes on disk. */
async function measure(name, steps) {
  const saver = savers[name]();
  const stamps = [];
  const diskSeries = [];
  const stride = Math.max(1, Math.floor(steps / 40));
  const onStep = (i) => {
    stamps.push(process.hrtime.bigint());
    if (saver.file && i % stride === 0) diskSeries.push([i, sqliteBytes(saver.file)]);
  };
  const t0 = process.hrtime.bigint();
  const output = await runMessagesLoop({ steps, checkpointer: saver.checkpointer, onStep });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  saver.close();
  const perStep = stamps.map((s, i) => Number(s - (i ? stamps[i - 1] : t0)) / 1e6);
  return { output, ms, perStep, diskSeries, bytes: saver.file ? sqliteBytes(saver.file) : undefined };
}

/**
 * Event-loop responsiveness: nodes await one macrotask each (as network I/O would) while a 1 ms
 * interval timer records the gaps between its ticks; a saver that blocks the thread shows as long gaps.
 */
async function measureTimerGaps(name, steps) {
  const saver = savers[name]();
  const recorder = timerGaps();
  await runMessagesLoop({ steps, checkpointer: saver.checkpointer, awaitIo: true });
  const gaps = recorder.stop();
  saver.close();
  return gaps;
}

const figures = {};
const table = [];
const summary = [];
const charts = [];
for (const steps of LENGTHS) {
  const names = Object.keys(savers);
  const warm = await measure("none", 20);
  const outputs = {};
  for (const name of names) outputs[name] = (await measure(name, 30)).output;
  for (const name of names) assertEqualOutputs(`${name} at 30 steps`, outputs[name], outputs.none);
  void warm;

  const runs = await interleavedRuns(names, ROUNDS, `messages loop ${steps} steps`, (name) => measure(name, steps));
  for (const name of names) assertEqualOutputs(`${name} at ${steps} steps`, runs[name][0].output, runs.none[0].output);

  const gaps = {};
  for (const name of names) {
    process.stdout.write(`  timer gaps ${steps} steps, ${name}\r`);
    gaps[name] = await measureTimerGaps(name, steps);
  }
  process.stdout.write("\n");

  const msPerStep = (name) => median(runs[name].map((x) => x.ms)) / steps;
  figures[steps] = {};
  for (const name of names) {
    const seriesStride = Math.max(1, Math.floor(steps / 50));
    const perStepMedian = runs[name][0].perStep.map((_, i) => median(runs[name].map((x) => x.perStep[i] ?? 0)));
    figures[steps][name] = {
      msPerStep: msPerStep(name),
      vsNoCheckpointer: msPerStep(name) / msPerStep("none"),
      bytesOnDisk: runs[name][0].bytes ?? null,
      timerGapP99Ms: gaps[name].p99,
      timerGapMaxMs: gaps[name].max,
      perStepSeries: windowMeans(perStepMedian, seriesStride),
      diskSeries: runs[name][0].diskSeries,
    };
    table.push({
      steps,
      saver: name,
      "ms/step": msPerStep(name).toFixed(3),
      "x none": (msPerStep(name) / msPerStep("none")).toFixed(2),
      "x SqliteSaver": (msPerStep(name) / msPerStep("SqliteSaver")).toFixed(2),
      "MB on disk": runs[name][0].bytes === undefined ? "-" : (runs[name][0].bytes / 1e6).toFixed(2),
      "timer gap p99/max ms": `${gaps[name].p99.toFixed(1)}/${gaps[name].max.toFixed(1)}`,
    });
  }
}

const longest = LENGTHS[LENGTHS.length - 1];
for (const steps of LENGTHS) {
  for (const [metric, unit] of [
    ["msPerStep", "ms/step"],
    ["bytesOnDisk", "bytes"],
  ]) {
    summary.push({
      case: `messages loop, ${steps} steps: ${unit === "bytes" ? "bytes on disk" : "ms/step"}`,
      component: "checkpointer",
      baseline: "SqliteSaver",
      ours: "RustSqliteSaver",
      baselineValue: figures[steps].SqliteSaver[metric],
      oursValue: figures[steps].RustSqliteSaver[metric],
      unit,
    });
  }
}
charts.push({
  title: `Time per step along a ${longest}-step thread (3-node messages loop)`,
  xLabel: "step (thread length)",
  yLabel: "ms per step",
  series: Object.entries(figures[longest]).map(([name, f]) => ({ name, points: f.perStepSeries })),
});
charts.push({
  title: `Bytes on disk along a ${longest}-step thread`,
  xLabel: "step (thread length)",
  yLabel: "bytes (database + WAL)",
  logY: true,
  series: ["SqliteSaver", "RustSqliteSaver"].map((name) => ({ name, points: figures[longest][name].diskSeries })),
});

console.log(formatTable(table));
recordResult("saver-messages-loop", {
  method:
    "3-node MessagesAnnotation loop, each node appends one ~1 KB prose AIMessage; one thread of N steps per run; " +
    `median of ${ROUNDS} interleaved rounds after a warm-up and an output-equality check; bytes = .sqlite + -wal + -shm; ` +
    "timer gaps: a separate run whose nodes each await one macrotask, with a 1 ms setInterval recording the gaps between ticks.",
  figures,
  summary,
  charts,
});
