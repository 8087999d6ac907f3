// Retention on PostgreSQL: THREADS threads of STEPS checkpoints each (a growing log of ~100-byte
// entries and one pending write per step, as a graph writes them), in each RustPostgresSaver layout,
// pruned to keepLast 5: once alone (time, report, largest event-loop gap, then what PostgreSQL gives
// back: pg_total_relation_size after the prune, after autovacuum (full mode only: waits for it), after
// VACUUM and after VACUUM FULL), and once on a fresh copy while WRITERS coroutines keep extending
// threads it prunes (their put+putWrites latency before and during the prune).
// LangGraph.js has no pruning to compare with.
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { RustPostgresSaver } from "@fast-langgraph/accelerator";

import { QUICK, formatTable, median, recordResult, timerGaps } from "./lib/harness.mjs";
import { benchPostgresUrl, schemaFootprint, withPg } from "./lib/postgres.mjs";

const THREADS = QUICK ? 10 : 100;
const STEPS = QUICK ? 50 : 200;
const KEEP = 5;
const WRITERS = 4;
const FILL_CONCURRENCY = 8;
const url = benchPostgresUrl();
const entry = (thread, step) => `${thread} step ${step}: `.padEnd(100, "lorem ipsum dolor sit amet ");

/** Extends a thread by one step from `state` (its config, log and version); returns the new state. */
async function step(saver, thread, state) {
  const s = state.log.length;
  const log = [...state.log, entry(thread, s)];
  const version = saver.getNextVersion(state.version);
  const checkpoint = {
    ...emptyCheckpoint(),
    id: uuid6(s),
    channel_values: { log, step: s },
    channel_versions: { log: version, step: version },
  };
  const config = await saver.put(state.config, checkpoint, { source: "loop", step: s, parents: {} }, { log: version, step: version });
  await saver.putWrites(config, [["step", s + 1]], `task-${s}`);
  return { config, log, version };
}

async function fill(saver) {
  const states = new Map();
  let next = 0;
  const worker = async () => {
    while (next < THREADS) {
      const t = `thread-${next++}`;
      let state = { config: { configurable: { thread_id: t, checkpoint_ns: "" } }, log: [], version: undefined };
      for (let s = 0; s < STEPS; s++) state = await step(saver, t, state);
      states.set(t, state);
    }
  };
  await Promise.all(Array.from({ length: FILL_CONCURRENCY }, worker));
  return states;
}

/** WRITERS loops, each extending its own thread (among the pruned ones) until `stop()`; latencies in ms. */
function writers(saver, states) {
  const latencies = [];
  let stopped = false;
  const loops = Array.from({ length: WRITERS }, async (_, i) => {
    const thread = `thread-${i}`;
    let state = states.get(thread);
    while (!stopped) {
      const t0 = performance.now();
      state = await step(saver, thread, state);
      latencies.push(performance.now() - t0);
    }
    states.set(thread, state);
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      latencies.sort((a, b) => a - b);
      return {
        count: latencies.length,
        medianMs: median(latencies),
        p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
        maxMs: latencies.at(-1) ?? 0,
      };
    },
  };
}

const tableNames = (layout) =>
  layout === "compact" ? ["flg_checkpoints", "flg_blobs", "flg_writes"] : ["checkpoints", "checkpoint_blobs", "checkpoint_writes"];

async function layoutBytes(schema, layout) {
  const { tables } = await schemaFootprint(url, schema);
  return tableNames(layout).reduce((sum, name) => sum + (tables[name]?.bytes ?? 0), 0);
}

/** Waits (full mode) until autovacuum has processed every table of the layout, at most 150 s. */
async function waitForAutovacuum(schema, layout, since) {
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    const done = await withPg(url, async (c) => {
      const { rows } = await c.query(
        "SELECT count(*)::int AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = ANY($2) AND last_autovacuum > $3",
        [schema, tableNames(layout), since],
      );
      return rows[0].n;
    });
    if (done === tableNames(layout).length) return true;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return false;
}

async function prepare(layout, phase) {
  const schema = `flg_bench_prune_${layout}_${phase}_${process.pid}`;
  await withPg(url, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  const saver = new RustPostgresSaver(url, { schema, layout, maxConnections: 10 });
  await saver.setup();
  process.stdout.write(`  ${layout}, ${phase}: writing ${THREADS} threads x ${STEPS} steps\n`);
  const states = await fill(saver);
  await withPg(url, (c) => c.query(`ANALYZE "${schema}".${tableNames(layout).join(`, "${schema}".`)}`));
  const sample = `thread-${THREADS - 1}`;
  const expected = await saver.getTuple({ configurable: { thread_id: sample } });
  const check = async () => {
    const actual = await saver.getTuple({ configurable: { thread_id: sample } });
    if (JSON.stringify(actual.checkpoint) !== JSON.stringify(expected.checkpoint))
      throw new Error(`${layout}: latest checkpoint changed by prune`);
    let kept = 0;
    for await (const _ of saver.list({ configurable: { thread_id: sample } })) kept += 1;
    if (kept !== KEEP) throw new Error(`${layout}: ${kept} checkpoints kept, expected ${KEEP}`);
  };
  const done = async () => {
    await saver.end();
    await withPg(url, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  };
  return { saver, schema, states, check, done };
}

/** The prune alone (nothing else running), then what PostgreSQL gives back. */
async function alone(layout) {
  const { saver, schema, check, done } = await prepare(layout, "alone");
  const bytesBefore = await layoutBytes(schema, layout);
  globalThis.gc?.(); // the fill's garbage is not the prune's pause (run-all passes --expose-gc)
  // Control: the same timer with nothing running, as long as a prune takes here (a loaded machine pauses any process).
  const idleGaps = timerGaps();
  await new Promise((r) => setTimeout(r, QUICK ? 500 : 3000));
  const idle = idleGaps.stop();
  const gaps = timerGaps();
  const pruneStarted = new Date();
  const t0 = performance.now();
  const report = await saver.prune({ keepLast: KEEP });
  const pruneMs = performance.now() - t0;
  const loop = gaps.stop();
  await check();
  const bytesAfterPrune = await layoutBytes(schema, layout);
  let bytesAfterAutovacuum = null;
  if (!QUICK) {
    process.stdout.write(`  ${layout}: waiting for autovacuum\n`);
    if (await waitForAutovacuum(schema, layout, pruneStarted)) bytesAfterAutovacuum = await layoutBytes(schema, layout);
  }
  const v0 = performance.now();
  const { bytesAfter: bytesAfterVacuum } = await saver.vacuum();
  const vacuumMs = performance.now() - v0;
  const qualified = tableNames(layout)
    .map((n) => `"${schema}".${n}`)
    .join(", ");
  const f0 = performance.now();
  await withPg(url, (c) => c.query(`VACUUM FULL ${qualified}`));
  const vacuumFullMs = performance.now() - f0;
  const bytesAfterVacuumFull = await layoutBytes(schema, layout);
  await done();
  return {
    pruneMs,
    report,
    largestEventLoopGapMs: loop.max,
    eventLoopGapP99Ms: loop.p99,
    largestEventLoopGapIdleMs: idle.max,
    bytesBefore,
    bytesAfterPrune,
    bytesAfterAutovacuum,
    bytesAfterVacuum,
    bytesAfterVacuumFull,
    vacuumMs,
    vacuumFullMs,
  };
}

/** The same prune on a fresh copy while WRITERS keep extending threads it prunes. */
async function withWriters(layout) {
  const { saver, states, check, done } = await prepare(layout, "writers");
  globalThis.gc?.();
  const baseline = writers(saver, states);
  const baselineGaps = timerGaps();
  await new Promise((r) => setTimeout(r, QUICK ? 1000 : 3000));
  const loopBefore = baselineGaps.stop();
  const writersBefore = await baseline.stop();

  globalThis.gc?.();
  const during = writers(saver, states);
  const gaps = timerGaps();
  const t0 = performance.now();
  const report = await saver.prune({ keepLast: KEEP });
  const pruneMs = performance.now() - t0;
  const loop = gaps.stop();
  const writersDuring = await during.stop();
  await check();
  for (let i = 0; i < WRITERS; i++) {
    const t = `thread-${i}`;
    const latest = await saver.getTuple({ configurable: { thread_id: t } });
    if (latest.checkpoint.channel_values.log.length !== states.get(t).log.length)
      throw new Error(`${layout}: writer thread ${t} lost steps`);
  }
  await done();
  return {
    pruneMs,
    report,
    largestEventLoopGapMs: loop.max,
    largestEventLoopGapWritersOnlyMs: loopBefore.max,
    writersBefore,
    writersDuring,
  };
}

const results = [];
for (const layout of ["compact", "official"]) results.push({ layout, alone: await alone(layout), withWriters: await withWriters(layout) });
const mb = (b) => (b === null ? "-" : (b / 1e6).toFixed(1));
const ms3 = (w) => `${w.medianMs.toFixed(1)}/${w.p99Ms.toFixed(1)}/${w.maxMs.toFixed(1)}`;
console.log(
  formatTable(
    results.map(({ layout, alone: a, withWriters: w }) => ({
      layout,
      "prune s (alone / with writers)": `${(a.pruneMs / 1000).toFixed(2)} / ${(w.pruneMs / 1000).toFixed(2)}`,
      "checkpoints/writes/values removed": `${a.report.checkpoints}/${a.report.writes}/${a.report.values}`,
      "MB removed": (a.report.bytes / 1e6).toFixed(1),
      "max loop gap ms (idle / prune / writers / writers + prune)": [
        a.largestEventLoopGapIdleMs,
        a.largestEventLoopGapMs,
        w.largestEventLoopGapWritersOnlyMs,
        w.largestEventLoopGapMs,
      ]
        .map((g) => g.toFixed(1))
        .join(" / "),
      "writer ms before (med/p99/max)": ms3(w.writersBefore),
      "writer ms during (med/p99/max)": ms3(w.writersDuring),
      "MB before/pruned/autovac/VACUUM/FULL": [
        a.bytesBefore,
        a.bytesAfterPrune,
        a.bytesAfterAutovacuum,
        a.bytesAfterVacuum,
        a.bytesAfterVacuumFull,
      ]
        .map(mb)
        .join("/"),
    })),
  ),
);
recordResult("pg-prune", {
  method:
    `RustPostgresSaver (each layout, own schema) filled with ${THREADS} threads x ${STEPS} steps by put + putWrites ` +
    `(${FILL_CONCURRENCY} threads at a time; a log channel of ~100-byte entries growing by one per step, a step counter, one pending write), ANALYZE, ` +
    `then a 1 ms setInterval's gaps with nothing running (control), then prune({ keepLast: ${KEEP} }) alone with the same timer, then the space figures; then the same on a fresh copy: ` +
    `${WRITERS} writers extending threads 0-${WRITERS - 1} for a baseline (gaps recorded too, to tell the writers' own JS work from the prune's), ` +
    "then the prune with them running. Bytes (prune alone): pg_total_relation_size of the layout's three tables (heap, TOAST, indexes) before, " +
    "after the prune, after autovacuum (full mode: waited for via pg_stat_user_tables.last_autovacuum), after saver.vacuum() (plain VACUUM) " +
    "and after VACUUM FULL. Loopback PostgreSQL of scripts/test-postgres.sh.",
  figures: { threads: THREADS, stepsPerThread: STEPS, keepLast: KEEP, writers: WRITERS, results },
});
