// Issue 12 item 3: RustLLMCache({ path, maxBytes: 16 MiB }) under 200,000 inserts of random sizes
// (20,000 with --quick). Prints the process's RSS growth, the write queue's largest backlog, the
// largest file + WAL seen, the live rows and bytes, and how long flush() holds the JS thread (the call
// itself) against how long its promise takes, with the event loop's largest gap meanwhile.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { AIMessage } from "@langchain/core/messages";
import { RustLLMCache } from "@fast-langgraph/accelerator";

import { QUICK, formatTable, recordResult, timerGaps } from "./lib/harness.mjs";

const INSERTS = QUICK ? 20_000 : 200_000;
const MAX_BYTES = 16 * 2 ** 20;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flg-bench-flood-"));
const file = path.join(dir, "cache.sqlite");
const cache = new RustLLMCache({ path: file, maxBytes: MAX_BYTES });

let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const filler = "lorem ipsum dolor sit amet ".repeat(2000);

const rss0 = process.memoryUsage().rss;
let maxRss = rss0;
let maxQueued = 0;
let maxFile = 0;
let offered = 0;
const t0 = performance.now();
for (let i = 0; i < INSERTS; i++) {
  const size = 100 + Math.floor(random() * 32_000);
  offered += size;
  const text = filler.slice(0, size);
  await cache.update(`prompt ${i}`, "llm", [{ text, message: new AIMessage(text) }]);
  if (i % 1000 === 0) {
    const s = cache.stats();
    maxQueued = Math.max(maxQueued, s.queuedBytes);
    maxFile = Math.max(maxFile, s.fileBytes ?? 0);
    maxRss = Math.max(maxRss, process.memoryUsage().rss);
    await new Promise((r) => setImmediate(r));
  }
}
const insertMs = performance.now() - t0;
const gaps = timerGaps();
const c0 = performance.now();
const pending = cache.flush();
const callMs = performance.now() - c0;
await pending;
const flushMs = performance.now() - c0;
const loop = gaps.stop();
const s = cache.stats();
maxFile = Math.max(maxFile, s.fileBytes ?? 0);
const figures = {
  inserts: INSERTS,
  offeredMB: offered / 1e6,
  maxBytesMB: MAX_BYTES / 1e6,
  rssGrowthMB: (maxRss - rss0) / 1e6,
  largestQueueMB: maxQueued / 1e6,
  queueBoundMB: s.queueMaxBytes / 1e6,
  droppedWrites: s.dropped,
  largestFilePlusWalMB: maxFile / 1e6,
  finalFilePlusWalMB: (s.fileBytes ?? 0) / 1e6,
  liveRows: s.diskEntries,
  liveMB: (s.diskBytes ?? 0) / 1e6,
  insertSeconds: insertMs / 1000,
  flushCallMs: callMs,
  flushResolvedMs: flushMs,
  eventLoopMaxGapDuringFlushMs: loop.max,
};
console.log(formatTable(Object.entries(figures).map(([k, v]) => ({ figure: k, value: Number.isInteger(v) ? v : v.toFixed(2) }))));
fs.rmSync(dir, { recursive: true, force: true });
recordResult("llm-cache-disk-flood", {
  method:
    `${INSERTS} awaited update() calls of random sizes (100 B to 32 KB of text as an AIMessage) into RustLLMCache({ path, maxBytes: 16 MiB }), ` +
    "yielding to the event loop every 1,000; RSS, queue backlog and file + WAL sampled every 1,000; then flush(): time of the call on the JS thread, " +
    "time until its promise resolved, and the largest gap of a 1 ms timer meanwhile.",
  figures,
  summary: [],
});
process.exit(0);
