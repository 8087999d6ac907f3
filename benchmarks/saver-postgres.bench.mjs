// Checkpointing on PostgreSQL: the 3-node messages loop on the official PostgresSaver, on the same
// PostgresSaver after patchLangGraph(), and on RustPostgresSaver (official layout, the default, and compact
// layout), same server, side by side: ms per step, rows and bytes stored.
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { RustPostgresSaver, patchLangGraph, unpatchLangGraph } from "@fast-langgraph/accelerator";

import { QUICK, assertEqualOutputs, formatTable, interleavedRuns, median, recordResult } from "./lib/harness.mjs";
import { benchPostgresUrl, schemaFootprint, withPg } from "./lib/postgres.mjs";
import { runMessagesLoop } from "./workloads/messages-loop.mjs";

// --steps 300,1000 and --rounds N override the thread lengths and rounds.
const option = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const LENGTHS = option("--steps")?.split(",").map(Number) ?? (QUICK ? [100] : [300, 1000]);
const ROUNDS = Number(option("--rounds") ?? (QUICK ? 1 : 3));
const url = benchPostgresUrl();
let schemaNo = 0;

const savers = {
  PostgresSaver: async (schema) => {
    const checkpointer = PostgresSaver.fromConnString(url, { schema });
    await checkpointer.setup();
    return { checkpointer, close: () => checkpointer.end() };
  },
  // Controls, to tell the gains apart: PostgresSaver with the server compressing in lz4 as ours does,
  // and ours with PostgreSQL's default compression.
  "PostgresSaver, server lz4": async (schema) => {
    const checkpointer = PostgresSaver.fromConnString(`${url}?options=-c%20default_toast_compression%3Dlz4`, { schema });
    await checkpointer.setup();
    return { checkpointer, close: () => checkpointer.end() };
  },
  "RustPostgresSaver (official layout, pglz)": async (schema) => {
    const checkpointer = new RustPostgresSaver(url, { schema, toastCompression: "pglz" });
    await checkpointer.setup();
    return { checkpointer, close: () => checkpointer.end() };
  },
  "PostgresSaver, patched": async (schema) => {
    await patchLangGraph({ memorySaver: false, sqliteSaver: false, stateMerger: false, caches: false });
    const checkpointer = PostgresSaver.fromConnString(url, { schema });
    await checkpointer.setup();
    return {
      checkpointer,
      close: async () => {
        await checkpointer.end();
        unpatchLangGraph();
      },
    };
  },
  "RustPostgresSaver (official layout)": async (schema) => {
    const checkpointer = new RustPostgresSaver(url, { schema });
    await checkpointer.setup();
    return { checkpointer, close: () => checkpointer.end() };
  },
  "RustPostgresSaver (compact layout)": async (schema) => {
    const checkpointer = new RustPostgresSaver(url, { schema, layout: "compact" });
    await checkpointer.setup();
    return { checkpointer, close: () => checkpointer.end() };
  },
};
const names = Object.keys(savers);
const ours = ["PostgresSaver, patched", "RustPostgresSaver (official layout)", "RustPostgresSaver (compact layout)"];

/** One run on a schema of its own: total time, and what the thread left in the database. */
async function measure(name, steps) {
  const schema = `flg_bench_${process.pid}_${++schemaNo}`;
  const saver = await savers[name](schema);
  try {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const output = await runMessagesLoop({ steps, checkpointer: saver.checkpointer });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    const stored = await schemaFootprint(url, schema);
    // CPU of this Node process (JS thread and the Rust threads alike), not the server's.
    return { output, ms, nodeCpuMs: (cpu.user + cpu.system) / 1000, ...stored };
  } finally {
    await saver.close();
    await withPg(url, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  }
}

const figures = {};
const table = [];
const summary = [];
for (const steps of LENGTHS) {
  const reference = await runMessagesLoop({ steps: 30 });
  for (const name of names) assertEqualOutputs(`${name} at 30 steps`, (await measure(name, 30)).output, reference);

  const runs = await interleavedRuns(names, ROUNDS, `messages loop ${steps} steps`, (name) => measure(name, steps));
  const expected = await runMessagesLoop({ steps });
  for (const name of names) assertEqualOutputs(`${name} at ${steps} steps`, runs[name][0].output, expected);

  const msPerStep = (name) => median(runs[name].map((x) => x.ms)) / steps;
  figures[steps] = {};
  for (const name of names) {
    const { bytes, rows, tables } = runs[name][0];
    const nodeCpuPerStep = median(runs[name].map((x) => x.nodeCpuMs)) / steps;
    figures[steps][name] = { msPerStep: msPerStep(name), nodeCpuMsPerStep: nodeCpuPerStep, bytesStored: bytes, rowsStored: rows, tables };
    table.push({
      steps,
      saver: name,
      "ms/step": msPerStep(name).toFixed(3),
      "x PostgresSaver": (msPerStep("PostgresSaver") / msPerStep(name)).toFixed(2),
      "node CPU ms/step": nodeCpuPerStep.toFixed(3),
      rows,
      "MB stored": (bytes / 1e6).toFixed(2),
      "bytes vs PostgresSaver": (bytes / runs.PostgresSaver[0].bytes).toFixed(3),
    });
  }
  for (const saverName of ours) {
    for (const [metric, unit] of [
      ["msPerStep", "ms/step"],
      ["bytesStored", "bytes"],
    ]) {
      summary.push({
        case: `messages loop on PostgreSQL, ${steps} steps: ${unit === "bytes" ? "bytes stored" : "ms/step"}`,
        component: "checkpointer",
        baseline: "PostgresSaver",
        ours: saverName,
        baselineValue: figures[steps].PostgresSaver[metric],
        oursValue: figures[steps][saverName][metric],
        unit,
      });
    }
  }
}

console.log(formatTable(table));
recordResult("saver-postgres", {
  method:
    "3-node MessagesAnnotation loop, each node appends one ~1 KB prose AIMessage; one thread of N steps per run, " +
    "each saver on a fresh schema of one local PostgreSQL 15 server (loopback TCP); " +
    `median of ${ROUNDS} interleaved rounds after an output-equality check at 30 steps; outputs checked equal again at N; ` +
    "rows and bytes = live rows and pg_total_relation_size (heap, TOAST, indexes) of the schema's tables right after the run; " +
    "node CPU = user+system CPU of the benchmark's Node process (JS and Rust threads) per step. Controls: PostgresSaver with " +
    "default_toast_compression=lz4 on its connections, and RustPostgresSaver with toastCompression: 'pglz'.",
  figures,
  summary,
});
