// Runs every benchmarks/*.bench.mjs in its own Node process (forwarding --quick), then writes
// results/latest.json (every figure, method, machine, Node version, commit), draws each benchmark's
// charts as SVG, and prints one table of medians and ratios against the components replaced.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { QUICK, RESULTS_DIR, formatTable, machineInfo } from "./lib/harness.mjs";
import { lineChart } from "./lib/svg-chart.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const flags = process.argv.slice(2).filter((a) => a.startsWith("--"));
const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const benches = fs
  .readdirSync(here)
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const started = new Date();
const failures = [];
for (const [i, file] of benches.entries()) {
  console.log(`\n[${i + 1}/${benches.length}] ${file}${QUICK ? " (quick)" : ""}`);
  const t0 = Date.now();
  const run = spawnSync(process.execPath, ["--expose-gc", path.join(here, file), ...flags], { stdio: "inherit" });
  const ok = run.status === 0;
  console.log(`[${i + 1}/${benches.length}] ${file}: ${ok ? "ok" : "FAILED"} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (!ok) failures.push(file);
}

// Every benchmark's latest result (each records its own date, machine and commit). A full run reports
// what it ran; a subset refreshes those figures and keeps the others, taken from the previous
// latest.json (the per-benchmark files are not committed, so a fresh checkout has only that).
const latestFile = path.join(RESULTS_DIR, "latest.json");
const fileResults = fs
  .readdirSync(RESULTS_DIR)
  .filter((f) => f.endsWith(".json") && f !== "latest.json")
  .map((f) => JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, f), "utf8")));
const previous = only.length > 0 && fs.existsSync(latestFile) ? JSON.parse(fs.readFileSync(latestFile, "utf8")).benchmarks : [];
const newest = new Map();
for (const r of [...previous, ...fileResults]) {
  if (only.length === 0 && new Date(r.date) < started) continue;
  const known = newest.get(r.name);
  if (!known || new Date(r.date) > new Date(known.date)) newest.set(r.name, r);
}
const results = [...newest.values()].sort((a, b) => a.name.localeCompare(b.name));

const rows = results.flatMap((r) =>
  (r.summary ?? []).map((s) => ({
    benchmark: r.name,
    case: s.case,
    "LangGraph.js component": s.baseline,
    ours: s.ours,
    baseline: fmt(s.baselineValue, s.unit),
    "ours ": fmt(s.oursValue, s.unit),
    ratio: s.oursValue ? `${(s.baselineValue / s.oursValue).toFixed(2)}x` : "-",
  })),
);

const charts = [];
for (const r of results) {
  (r.charts ?? []).forEach((chart, i) => {
    const file = `${r.name}-${i + 1}.svg`;
    fs.writeFileSync(path.join(RESULTS_DIR, file), lineChart(chart));
    charts.push({ benchmark: r.name, title: chart.title, file });
  });
}

fs.writeFileSync(
  latestFile,
  JSON.stringify({ date: started.toISOString(), quick: QUICK, machine: machineInfo(), benchmarks: results, table: rows, charts }, null, 2) +
    "\n",
);

if (rows.length) console.log(`\n${formatTable(rows)}\n(ratio = LangGraph.js component / ours: above 1x means ours is faster or smaller)`);
console.log(
  `\nResults: ${path.relative(process.cwd(), path.join(RESULTS_DIR, "latest.json"))}; charts: ${charts.map((c) => c.file).join(", ") || "none"}`,
);
if (failures.length) {
  console.error(`Failed: ${failures.join(", ")}`);
  process.exit(1);
}

function fmt(value, unit) {
  if (value === null || value === undefined) return "-";
  if (unit === "bytes") return value >= 1e6 ? `${(value / 1e6).toFixed(2)} MB` : `${(value / 1e3).toFixed(1)} KB`;
  return `${Number(value.toPrecision(4))} ${unit}`;
}
