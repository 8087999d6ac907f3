// Retention: a database of THREADS threads of STEPS-step messages loops, pruned to keepLast 5.
// LangGraph.js has no pruning to compare with; this reports time, bytes and event-loop gaps.
import path from "node:path";

import { RustSqliteSaver } from "@fast-langgraph/accelerator";

import { QUICK, formatTable, recordResult, timerGaps } from "./lib/harness.mjs";
import { scratchDir, sqliteBytes } from "./lib/disk.mjs";
import { runMessagesLoop } from "./workloads/messages-loop.mjs";

const THREADS = QUICK ? 10 : 100;
const STEPS = QUICK ? 50 : 200;
const file = path.join(scratchDir("prune"), "threads.sqlite");

const saver = new RustSqliteSaver(file);
for (let t = 0; t < THREADS; t++) {
  process.stdout.write(`  writing thread ${t + 1}/${THREADS}\r`);
  await runMessagesLoop({ steps: STEPS, checkpointer: saver, threadId: `thread-${t}` });
}
process.stdout.write("\n");
const before = (await saver.vacuum()).bytesAfter;
const expected = await saver.getTuple({ configurable: { thread_id: "thread-7" } });

const recorder = timerGaps();
const t0 = performance.now();
const report = await saver.prune({ keepLast: 5 });
const pruneMs = performance.now() - t0;
const gaps = recorder.stop();
const afterPrune = sqliteBytes(file);
const v0 = performance.now();
const { bytesAfter } = await saver.vacuum();
const vacuumMs = performance.now() - v0;

const actual = await saver.getTuple({ configurable: { thread_id: "thread-7" } });
if (JSON.stringify(actual.checkpoint) !== JSON.stringify(expected.checkpoint)) throw new Error("latest checkpoint changed by prune");
let kept = 0;
for await (const _ of saver.list({ configurable: { thread_id: "thread-7" } })) kept += 1;
saver.close();

const figures = {
  threads: THREADS,
  stepsPerThread: STEPS,
  removedCheckpoints: report.checkpoints,
  removedWrites: report.writes,
  removedValues: report.values,
  keptCheckpointsPerThread: kept,
  pruneMs,
  vacuumMs,
  bytesBefore: before,
  bytesAfterPrune: afterPrune,
  bytesAfterVacuum: bytesAfter,
  largestTimerGapDuringPruneMs: gaps.max,
};
console.log(
  formatTable([
    {
      database: `${THREADS} threads x ${STEPS} steps`,
      "prune ms": pruneMs.toFixed(0),
      "removed checkpoints": report.checkpoints,
      "MB before": (before / 1e6).toFixed(2),
      "MB after vacuum": (bytesAfter / 1e6).toFixed(2),
      "vacuum ms": vacuumMs.toFixed(0),
      "largest event-loop gap ms": gaps.max.toFixed(1),
    },
  ]),
);
recordResult("saver-prune", {
  method:
    "RustSqliteSaver file filled by the 3-node messages loop (one thread per loop run), vacuumed, then prune({ keepLast: 5 }) " +
    "while a 1 ms setInterval records the event loop's gaps; then vacuum(). The latest checkpoint of a sample thread is checked unchanged.",
  figures,
});
