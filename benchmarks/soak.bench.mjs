// A service's day, compressed: each saver serves `invokes` chat turns spread over `threads` new threads,
// `concurrency` requests at a time, in its own Node process, against the LangGraph.js saver it replaces
// (MemorySaver / patched MemorySaver, SqliteSaver / RustSqliteSaver, PostgresSaver / RustPostgresSaver).
// Prints RSS, heap, external memory, open file descriptors and server connections at intervals, the
// event loop's delay (p99, max) and the time of each run; checks every pair's threads read back equal.
// Targets (issue 12): RSS flat after warm-up for the savers whose data lives outside the process (growth
// under 10% over the second half), event-loop p99 within 1.5x of the unpatched run's, time never worse.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

import { QUICK, formatTable, recordResult } from "./lib/harness.mjs";
import { benchPostgresUrl } from "./lib/postgres.mjs";
import { prose } from "./workloads/messages-loop.mjs";

const self = fileURLToPath(import.meta.url);
/** `--only MemorySaver` runs only the pairs whose names contain that text; `--invokes N --threads N` resize the run. */
const argValue = (flag) => {
  const at = process.argv.indexOf(flag);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const ONLY = argValue("--only");
const INVOKES = Number(argValue("--invokes") ?? (QUICK ? 1_000 : 20_000));
const THREADS = Number(argValue("--threads") ?? (QUICK ? 100 : 2_000));
const CONCURRENCY = 16;
const SAMPLES = 10;

const PAIRS = [
  ["MemorySaver", "MemorySaver, patched"],
  ["SqliteSaver", "RustSqliteSaver"],
  ["PostgresSaver", "RustPostgresSaver"],
].filter((pair) => !ONLY || pair.some((name) => name.includes(ONLY)));

async function makeSaver(name, dir, url) {
  const accelerator = await import("@fast-langgraph/accelerator");
  if (name === "MemorySaver, patched") await accelerator.patchLangGraph();
  const { MemorySaver } = await import("@langchain/langgraph");
  const schema = `soak_${process.pid}`;
  switch (name) {
    case "MemorySaver":
    case "MemorySaver, patched":
      return { saver: new MemorySaver(), close: async () => {} };
    case "SqliteSaver": {
      const { SqliteSaver } = await import("@langchain/langgraph-checkpoint-sqlite");
      const saver = SqliteSaver.fromConnString(path.join(dir, "soak.db"));
      return { saver, close: async () => saver.db.close() };
    }
    case "RustSqliteSaver": {
      const saver = new accelerator.RustSqliteSaver(path.join(dir, "soak.db"));
      return { saver, close: () => saver.close() };
    }
    case "PostgresSaver": {
      const { PostgresSaver } = await import("@langchain/langgraph-checkpoint-postgres");
      const saver = PostgresSaver.fromConnString(url, { schema });
      await saver.setup();
      return { saver, close: () => saver.end(), schema };
    }
    case "RustPostgresSaver": {
      const saver = new accelerator.RustPostgresSaver(url, { schema });
      await saver.setup();
      return { saver, close: () => saver.end(), schema };
    }
  }
  throw new Error(`unknown saver ${name}`);
}

/** One run, in this (child) process: prints one JSON line with its samples, timings and a digest of the threads. */
async function child(name, dir, url) {
  const { AIMessage, HumanMessage } = await import("@langchain/core/messages");
  const { MessagesAnnotation, START, StateGraph } = await import("@langchain/langgraph");
  const pg = url ? (await import("pg")).default : undefined;
  const { saver, close, schema } = await makeSaver(name, dir, url);
  const monitor = pg && new pg.Client({ connectionString: url, application_name: "soak-monitor" });
  await monitor?.connect();
  // The node answers from the thread's own state, so every run writes the same threads whatever the
  // interleaving of requests.
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => {
      await new Promise((resolve) => setImmediate(resolve)); // the model call's I/O
      const n = state.messages.length;
      return { messages: [new AIMessage({ content: prose(n * 31 + 7, 600), id: `${state.messages[0].id}-a${n}` })] };
    })
    .addEdge(START, "agent")
    .compile({ checkpointer: saver });
  const turns = INVOKES / THREADS;
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const samples = [];
  const sample = async (done) => {
    const m = process.memoryUsage();
    let connections;
    if (monitor) {
      const { rows } = await monitor.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
      );
      connections = rows[0].n;
    }
    samples.push({ done, rss: m.rss, heap: m.heapUsed, external: m.external, fds: fs.readdirSync("/proc/self/fd").length, connections });
  };
  await sample(0);
  delay.enable();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let next = 0;
  let done = 0;
  const every = INVOKES / SAMPLES;
  const worker = async () => {
    while (next < THREADS) {
      const t = next++;
      const config = { configurable: { thread_id: `thread-${t}` } };
      for (let k = 0; k < turns; k++) {
        await graph.invoke({ messages: [new HumanMessage({ content: prose(t * 101 + k, 200), id: `t${t}-h${k}` })] }, config);
        done += 1;
        if (done % every === 0) await sample(done);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  delay.disable();
  const hash = crypto.createHash("sha256");
  for (let t = 0; t < THREADS; t += Math.max(1, Math.floor(THREADS / 50))) {
    const state = await graph.getState({ configurable: { thread_id: `thread-${t}` } });
    hash.update(JSON.stringify(state.values.messages.map((m) => [m.getType(), m.id, m.content])));
  }
  await close();
  if (monitor && schema) await monitor.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await monitor?.end();
  console.log(
    JSON.stringify({
      name,
      ms,
      cpuMs,
      load: os.loadavg()[0],
      samples,
      loopP99: delay.percentile(99) / 1e6,
      loopMax: delay.max / 1e6,
      digest: hash.digest("hex"),
    }),
  );
}

function run(name, url) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flg-soak-"));
  try {
    const out = execFileSync(
      process.execPath,
      [
        ...(process.env.SOAK_NODE_FLAGS ?? "").split(" ").filter(Boolean),
        "--expose-gc",
        self,
        ...(QUICK ? ["--quick"] : []),
        ...["--invokes", String(INVOKES), "--threads", String(THREADS)],
        ...["--child", name, dir, url ?? ""],
      ],
      {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    // The last JSON line: flags such as --trace-gc print to stdout too.
    return JSON.parse(
      out
        .trim()
        .split("\n")
        .findLast((line) => line.startsWith("{")),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (bytes) => (bytes / 2 ** 20).toFixed(0);

function secondHalfGrowth(samples) {
  const mid = samples[Math.floor(samples.length / 2)].rss;
  return (samples.at(-1).rss - mid) / mid;
}

async function main() {
  const childAt = process.argv.indexOf("--child");
  if (childAt >= 0) {
    const [name, dir, url] = process.argv.slice(childAt + 1);
    return child(name, dir, url || undefined);
  }
  const url = PAIRS.some((pair) => pair.some((name) => name.includes("Postgres"))) ? benchPostgresUrl() : undefined;
  console.log(`soak: ${INVOKES} invokes over ${THREADS} threads, ${CONCURRENCY} at a time, each saver in its own process`);
  const results = {};
  for (const pair of PAIRS) {
    for (const name of pair) {
      const r = run(name, name.includes("Postgres") ? url : undefined);
      results[name] = r;
      console.log(
        `\n${name}: ${(r.ms / 1000).toFixed(1)} s (CPU ${(r.cpuMs / 1000).toFixed(1)} s, load ${r.load.toFixed(1)}), event loop p99 ${r.loopP99.toFixed(1)} ms, max ${r.loopMax.toFixed(1)} ms`,
      );
      console.log(
        formatTable(
          r.samples.map((s) => ({
            invokes: s.done,
            "rss MiB": mb(s.rss),
            "heap MiB": mb(s.heap),
            "external MiB": mb(s.external),
            fds: s.fds,
            connections: s.connections ?? "-",
          })),
        ),
      );
    }
    const [base, ours] = pair.map((n) => results[n]);
    if (base.digest !== ours.digest) throw new Error(`${pair.join(" vs ")}: the threads read back differently, refusing to compare`);
  }
  const rows = PAIRS.map(([baseName, oursName]) => {
    const [base, ours] = [results[baseName], results[oursName]];
    return {
      pair: `${baseName} -> ${oursName}`,
      "time (s)": `${(base.ms / 1000).toFixed(1)} -> ${(ours.ms / 1000).toFixed(1)}`,
      speedup: `${(base.ms / ours.ms).toFixed(2)}x`,
      "CPU (s)": `${(base.cpuMs / 1000).toFixed(1)} -> ${(ours.cpuMs / 1000).toFixed(1)}`,
      "loop p99 (ms)": `${base.loopP99.toFixed(1)} -> ${ours.loopP99.toFixed(1)}`,
      "loop max (ms)": `${base.loopMax.toFixed(0)} -> ${ours.loopMax.toFixed(0)}`,
      "final rss (MiB)": `${mb(base.samples.at(-1).rss)} -> ${mb(ours.samples.at(-1).rss)}`,
      "rss growth, 2nd half": `${(100 * secondHalfGrowth(base.samples)).toFixed(1)}% -> ${(100 * secondHalfGrowth(ours.samples)).toFixed(1)}%`,
      "max connections": `${Math.max(...base.samples.map((s) => s.connections ?? 0))} -> ${Math.max(...ours.samples.map((s) => s.connections ?? 0))}`,
    };
  });
  console.log(`\n${formatTable(rows)}`);
  recordResult(ONLY ? `soak-${ONLY.replace(/\W+/g, "-")}` : "soak", {
    method: `${INVOKES} invokes over ${THREADS} new threads (${INVOKES / THREADS} turns each: a ~200 B human message, a ~600 B answer), ${CONCURRENCY} concurrent requests, one process per saver; samples every ${INVOKES / SAMPLES} invokes`,
    figures: results,
    summary: PAIRS.map(([baseName, oursName]) => ({
      case: `${INVOKES} invokes / ${THREADS} threads`,
      component: baseName,
      baseline: baseName,
      ours: oursName,
      baselineValue: results[baseName].ms,
      oursValue: results[oursName].ms,
      unit: "ms",
    })),
  });
}

await main();
