// Shared measurement helpers: every benchmark compares a LangGraph.js component with ours in one run,
// checks their outputs equal first, warms up, interleaves rounds, and reports median and min.
import { execSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const QUICK = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";

/** The number after `--name` on the command line, else `fallback`. */
export function numberArg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
/** Full runs write results/; quick runs write results/quick/ so they never overwrite published figures. */
export const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "results", ...(QUICK ? ["quick"] : []));

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarize(samples) {
  return { median: median(samples), min: Math.min(...samples), rounds: samples.length };
}

/**
 * Runs `cases` `warmup` times each, then `rounds` times each, interleaved so that drift on the machine
 * hits every case alike. A case is `async () => void`, or `{ before, run, after }` where only `run` is
 * timed. Returns name -> { median, min, rounds } in ms.
 */
export async function interleavedRounds(cases, { rounds, warmup = 1 }) {
  const names = Object.keys(cases);
  const timed = async (n) => {
    const c = typeof cases[n] === "function" ? { run: cases[n] } : cases[n];
    await c.before?.();
    const t0 = process.hrtime.bigint();
    let ms;
    try {
      await c.run();
    } finally {
      ms = Number(process.hrtime.bigint() - t0) / 1e6;
      await c.after?.();
    }
    return ms;
  };
  for (let i = 0; i < warmup; i++) for (const n of names) await timed(n);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const n of r % 2 ? [...names].reverse() : names) samples[n].push(await timed(n));
  }
  return Object.fromEntries(names.map((n) => [n, summarize(samples[n])]));
}

/**
 * `rounds` results of `measure(name)` for every name, in interleaved rounds (every other one reversed) so
 * that drift on the machine hits every case alike; `label` says what is running. Returns name -> [result].
 */
export async function interleavedRuns(names, rounds, label, measure) {
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 ? [...names].reverse() : names) {
      process.stdout.write(`  ${label}, ${name}, round ${r + 1}/${rounds}\r`);
      runs[name].push(await measure(name));
    }
  }
  process.stdout.write("\n");
  return runs;
}

export function machineInfo() {
  let commit = "unknown";
  try {
    commit = execSync("git rev-parse --short HEAD", { stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {}
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    commit,
  };
}

/**
 * Writes results/<name>.json with the figures, the method and the machine.
 * `summary`: rows for the report table, each { case, component, baseline, ours, baselineValue, oursValue, unit }
 * where ratio = baselineValue / oursValue (higher is better for us when the unit is a cost).
 * `charts`: [{ title, xLabel, yLabel, series: [{ name, points: [[x, y]] }], logX?, logY? }], drawn as SVG by run-all.
 */
export function recordResult(name, { method, figures, summary = [], charts = [] }) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  const body = { name, date: new Date().toISOString(), quick: QUICK, machine: machineInfo(), method, figures, summary, charts };
  fs.writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

export function formatTable(rows) {
  const cols = Object.keys(rows[0] ?? {});
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(width[i])).join("  ");
  return [line(cols), line(width.map((w) => "-".repeat(w))), ...rows.map((r) => line(cols.map((c) => r[c])))].join("\n");
}

export function assertEqualOutputs(label, a, b) {
  const ja = JSON.stringify(a);
  const jb = JSON.stringify(b);
  if (ja !== jb) throw new Error(`${label}: outputs differ, refusing to time unequal work`);
}

/**
 * Records the gaps between ticks of a 1 ms interval timer until `stop()` is called: a long gap is
 * time the event loop could not serve a timer. Returns { stop(): { p99, max, count } } in ms.
 */
export function timerGaps() {
  const gaps = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      gaps.sort((a, b) => a - b);
      return { p99: gaps[Math.floor(gaps.length * 0.99)] ?? 0, max: gaps.at(-1) ?? 0, count: gaps.length };
    },
  };
}
