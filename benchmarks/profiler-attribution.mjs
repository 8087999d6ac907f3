// Where the profiler's cost goes, from V8's sampling profiler rather than timers: each workload of
// profiler-overhead.bench.mjs runs ROUNDS times with the profiler attached and ROUNDS times without,
// each set under node:inspector's CPU profiler, and this prints the share of samples whose running
// function is the profiler's own code, and that of @langchain/core's callback machinery with and without
// it. Shares of one process's samples are far less sensitive to other load on the machine than times.
//   node --expose-gc benchmarks/profiler-attribution.mjs [--quick]    (PROFILER_ATTRIBUTION_ROUNDS=4)
import { Session } from "node:inspector/promises";

import { createProfiler } from "@fast-langgraph/accelerator";

import { QUICK, formatTable } from "./lib/harness.mjs";
import { profilerCases } from "./workloads/profiler-cases.mjs";

const ROUNDS = Number(process.env.PROFILER_ATTRIBUTION_ROUNDS ?? (QUICK ? 2 : 4));
const cases = profilerCases({ agent: QUICK ? "react_agent_10x" : "react_agent_100x", turns: QUICK ? 20 : 100 });
const GROUPS = {
  profiler: /accelerator\/dist\/(cjs|esm)\/(profiler\/|model-notes)/,
  "callback machinery": /@langchain\/core\/dist\/(callbacks|tracers|singletons)\/|\/langsmith\//,
  "garbage collector": /^\(garbage collector\)$/,
};

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 200 });

/** Sample shares per group over ROUNDS runs of `run(profilerFor())`, and the functions of the profiler's own code. */
async function sampled(run, profilerFor) {
  await run(profilerFor()); // warm-up, outside the profile
  globalThis.gc?.();
  await session.post("Profiler.start");
  for (let i = 0; i < ROUNDS; i++) await run(profilerFor());
  const { profile } = await session.post("Profiler.stop");
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const shares = Object.fromEntries(Object.keys(GROUPS).map((g) => [g, 0]));
  const own = new Map();
  for (const id of profile.samples) {
    const { url, functionName, lineNumber } = byId.get(id).callFrame;
    for (const [g, re] of Object.entries(GROUPS)) {
      if (!re.test(g === "garbage collector" ? functionName : url)) continue;
      shares[g]++;
      if (g === "profiler") {
        const key = `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}:${lineNumber + 1}`;
        own.set(key, (own.get(key) ?? 0) + 1);
      }
    }
  }
  const total = profile.samples.length;
  for (const g of Object.keys(shares)) shares[g] /= total;
  return { shares, total, own: [...own].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, n / total]) };
}

const pct = (x) => `${(x * 100).toFixed(2)}%`;
const rows = [];
for (const [name, run] of Object.entries(cases)) {
  const off = await sampled(run, () => undefined);
  const on = await sampled(run, () => createProfiler());
  rows.push({
    workload: name,
    "profiler's code": pct(on.shares.profiler),
    "callbacks, profiler on": pct(on.shares["callback machinery"]),
    "callbacks, off": pct(off.shares["callback machinery"]),
    "GC on / off": `${pct(on.shares["garbage collector"])} / ${pct(off.shares["garbage collector"])}`,
    samples: `${on.total} / ${off.total}`,
  });
  console.log(`  ${name}: the profiler's own functions, share of all samples`);
  for (const [k, s] of on.own.slice(0, 8)) console.log(`    ${pct(s).padStart(7)}  ${k}`);
}
console.log(formatTable(rows));
session.disconnect();
