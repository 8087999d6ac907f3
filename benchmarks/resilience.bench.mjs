// Resilient model calls: (1) the cost of an uncontended rate-limit acquire plus circuit-breaker check, against
// LangChain's AsyncCaller (the maxConcurrency/maxRetries path every model call takes) and a plain JS token
// bucket; (2) the accuracy of a shared rate limit: requests in the worst one-second window of a run with 1, 2
// and 4 worker threads, shared by name against one limiter per thread.
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

import { AsyncCaller } from "@langchain/core/utils/async_caller";
import { CircuitBreaker, RustRateLimiter, resilienceNow, resilient } from "@fast-langgraph/accelerator";

import { QUICK, assertEqualOutputs, formatTable, interleavedRounds, recordResult } from "./lib/harness.mjs";

/** A token bucket in plain JavaScript (what one would write by hand): per instance, per thread. */
class JsTokenBucket {
  constructor(perSecond) {
    this.capacity = perSecond;
    this.tokens = perSecond;
    this.perMs = perSecond / 1000;
    this.at = performance.now();
  }
  async acquire() {
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.at) * this.perMs);
    this.at = now;
    if (this.tokens < 1) await new Promise((r) => setTimeout(r, (1 - this.tokens) / this.perMs));
    this.tokens -= 1;
  }
}

function worstWindow(sorted, windowMs) {
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

async function overhead() {
  const calls = QUICK ? 2_000 : 20_000;
  const rounds = QUICK ? 3 : 7;
  const work = async (i) => i;
  const caller = new AsyncCaller({ maxConcurrency: 8, maxRetries: 0 });
  const bucket = new JsTokenBucket(1_000_000);
  const limiter = new RustRateLimiter({ requestsPerSecond: 1_000_000 });
  const breaker = new CircuitBreaker({ failureThreshold: 5 });
  const pipeline = resilient(work, {
    rateLimiter: new RustRateLimiter({ requestsPerSecond: 1_000_000 }),
    circuitBreaker: {},
    retry: false,
  });
  const variants = {
    "no limiter": async (i) => work(i),
    "AsyncCaller (maxConcurrency 8)": (i) => caller.call(work, i),
    "JS token bucket": async (i) => {
      await bucket.acquire();
      return work(i);
    },
    "RustRateLimiter + CircuitBreaker": async (i) => {
      await limiter.acquire();
      const permit = breaker.admit();
      const v = await work(i);
      breaker.record(permit, "success");
      return v;
    },
    "resilient(fn) (limiter, breaker, retry off)": (i) => pipeline(i),
  };
  const sums = {};
  for (const [name, fn] of Object.entries(variants)) {
    let s = 0;
    for (let i = 0; i < 100; i++) s += await fn(i);
    sums[name] = s;
  }
  for (const name of Object.keys(variants)) assertEqualOutputs(name, sums[name], sums["no limiter"]);
  const cases = Object.fromEntries(
    Object.entries(variants).map(([name, fn]) => [
      name,
      async () => {
        for (let i = 0; i < calls; i++) await fn(i);
      },
    ]),
  );
  const timed = await interleavedRounds(cases, { rounds, warmup: 1 });
  return Object.fromEntries(
    Object.entries(timed).map(([n, t]) => [n, { usPerCall: (t.median * 1000) / calls, minUsPerCall: (t.min * 1000) / calls }]),
  );
}

function runThreads(threads, rps, perThread, shared, margin) {
  const name = `bench-${process.pid}-${threads}-${margin}-${Date.now()}`;
  return Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: { name, rps, count: perThread, shared, margin } });
          w.once("message", resolve);
          w.once("error", reject);
        }),
    ),
  ).then((all) => all.flat());
}

async function accuracy() {
  const rps = QUICK ? 40 : 50;
  const total = QUICK ? 60 : 200;
  const rows = [];
  const configs = [
    [1, true, 25],
    [2, true, 25],
    [4, true, 25],
    [4, true, 0],
    [2, false, 25],
    [4, false, 25],
  ];
  for (const [threads, shared, margin] of configs) {
    const runs = await runThreads(threads, rps, Math.ceil(total / threads), shared, margin);
    const starts = runs.map((r) => r.start).sort((a, b) => a - b);
    const planned = runs.map((r) => r.planned).sort((a, b) => a - b);
    rows.push({
      threads,
      limiter: shared ? "shared by name" : "one per thread",
      "margin ms": margin,
      limit: rps,
      requests: starts.length,
      "worst 1 s window, real starts": worstWindow(starts, 1000),
      // The schedule is read on the JS side of the call, a few µs before Rust reads its clock: 999 ms windows.
      "worst 1 s window, schedule": worstWindow(planned, 999),
      "max lateness ms": Math.max(...runs.map((r) => r.start - r.planned)).toFixed(1),
      "run (s)": ((starts[starts.length - 1] - starts[0]) / 1000).toFixed(2),
    });
  }
  return rows;
}

async function main() {
  const cost = await overhead();
  const costRows = Object.entries(cost).map(([name, c]) => ({
    variant: name,
    "µs per call (median)": c.usPerCall.toFixed(2),
    min: c.minUsPerCall.toFixed(2),
  }));
  console.log(`\nUncontended cost per call, ${QUICK ? 2_000 : 20_000} sequential calls of an async function:\n${formatTable(costRows)}`);
  const acc = await accuracy();
  console.log(`\nRate accuracy, every request asked for at once, real start times:\n${formatTable(acc)}`);
  const ours = cost["RustRateLimiter + CircuitBreaker"].usPerCall;
  const file = recordResult("resilience", {
    method:
      "Overhead: sequential awaited calls of `async (i) => i` through each variant, median of interleaved rounds " +
      "(harness.interleavedRounds), outputs checked equal first; limits set so nothing waits. Accuracy: N requests " +
      "split over worker threads, all asked for at once, start times taken on the process-wide clock after each " +
      "acquire resolves (real starts) and as the start Rust assigned (schedule: clock before acquire + wait); worst " +
      "window = most starts in any sliding half-open 1000 ms window (999 ms for the schedule, read µs before Rust's " +
      "clock); lateness = real start - scheduled start.",
    figures: { overhead: cost, accuracy: acc },
    summary: [
      {
        case: "uncontended acquire + breaker check (µs/call)",
        baseline: "AsyncCaller(maxConcurrency)",
        ours: "RustRateLimiter + CircuitBreaker",
        baselineValue: cost["AsyncCaller (maxConcurrency 8)"].usPerCall,
        oursValue: ours,
        unit: "µs",
      },
      {
        case: `requests in the worst 1 s window, 4 threads, limit ${acc[0].limit}`,
        baseline: "one limiter per thread",
        ours: "RustRateLimiter shared by name",
        baselineValue: acc.find((r) => r.threads === 4 && r.limiter === "one per thread")["worst 1 s window, real starts"],
        oursValue: acc.find((r) => r.threads === 4 && r.limiter === "shared by name")["worst 1 s window, real starts"],
        unit: "requests",
      },
    ],
  });
  console.log(`\nWrote ${file}`);
}

if (!isMainThread) {
  // One worker: `count` requests through the limiter, all asked for at once; reports the real start times.
  const { name, rps, count, shared, margin } = workerData;
  const limiter = new RustRateLimiter({ name: shared ? name : undefined, requestsPerSecond: rps, windowMarginMs: margin });
  const runs = [];
  await Promise.all(
    Array.from({ length: count }, async () => {
      const asked = resilienceNow();
      const lease = await limiter.acquire();
      runs.push({ planned: asked + lease.waitedMs, start: resilienceNow() });
    }),
  );
  parentPort.postMessage(runs);
} else {
  await main();
}
