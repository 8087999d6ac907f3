import { execFileSync } from "node:child_process";
import path from "node:path";

import { worstWindow } from "./windows";

type Result = { id: number; starts: number[]; planned: number[]; spans: [number, number][] };

function runWorkers(threads: number, perThread: number, rps: number) {
  const name = `workers-${process.pid}-${Date.now()}`;
  const out = execFileSync(
    process.execPath,
    [path.join(__dirname, "fixtures", "shared-limiter-worker.cjs"), name, String(threads), String(perThread), String(rps)],
    { encoding: "utf8", timeout: 60_000 },
  );
  return JSON.parse(out) as { results: Result[]; concurrency: { peakInFlight: number; acquired: number; inFlight: number } };
}

describe("limits shared by name across worker threads", () => {
  it("two threads together stay within the rate over every sliding one-second window", () => {
    const rps = 20;
    const { results, concurrency } = runWorkers(2, 50, rps);
    const starts = results.flatMap((r) => r.starts).sort((a, b) => a - b);
    const planned = results.flatMap((r) => r.planned).sort((a, b) => a - b);
    expect(starts).toHaveLength(100);
    // Each thread alone would have let 20 start at once; together the first second holds 20 in all.
    // Scheduled starts: N apart by 1000 ms + the 25 ms margin (1 ms slack for reading the clock before Rust).
    expect(worstWindow(planned, 1024)).toBe(rps);
    // Real starts: never early, late by at most `lateness`, so every window of 1024 ms - lateness (a full second
    // whenever the lateness stayed within the margin) holds at most the limit.
    const delays = results.flatMap((r) => r.starts.map((s, i) => s - r.planned[i]));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(-1);
    expect(worstWindow(starts, 1024 - Math.max(0, ...delays))).toBeLessThanOrEqual(rps);
    // 100 requests at 20 per second: the last starts 4 windows after the first.
    expect(planned[99] - planned[0]).toBeGreaterThanOrEqual(3999);
    // The concurrency limit was one across both threads: a permit freed in one woke a waiter in the other.
    const spans = results.flatMap((r) => r.spans);
    const events = spans.flatMap(([a, b]) => [[a, 1] as const, [b, -1] as const]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let open = 0;
    let peak = 0;
    for (const [, d] of events) {
      open += d;
      peak = Math.max(peak, open);
    }
    expect(peak).toBeLessThanOrEqual(2);
    expect(concurrency).toMatchObject({ acquired: 100, inFlight: 0 });
    expect(concurrency.peakInFlight).toBeLessThanOrEqual(2);
  });

  it("a permit meant for a waiter whose worker exited goes to the next waiter", () => {
    const out = execFileSync(
      process.execPath,
      [path.join(__dirname, "fixtures", "exited-waiter.cjs"), `exited-${process.pid}-${Date.now()}`],
      {
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    const { queuedBefore, got, stats } = JSON.parse(out);
    expect(queuedBefore).toBe(2);
    expect(got).toBe("granted");
    expect(stats).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it("a breaker shared by four threads keeps whole counts and a valid chain of transitions", () => {
    const out = execFileSync(
      process.execPath,
      [path.join(__dirname, "fixtures", "shared-breaker-worker.cjs"), `cb-${process.pid}-${Date.now()}`, "4"],
      {
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    const { seen, stats } = JSON.parse(out) as {
      seen: { ok: number; failed: number; rejected: number }[];
      stats: {
        admitted: number;
        rejected: number;
        successes: number;
        failures: number;
        transitions: number;
        probesInFlight: number;
        recentTransitions: { from: string; to: string }[];
      };
    };
    const sum = (k: "ok" | "failed" | "rejected") => seen.reduce((n, s) => n + s[k], 0);
    expect(sum("ok") + sum("failed") + sum("rejected")).toBe(4 * 40 * 25);
    expect(stats.successes).toBe(sum("ok"));
    expect(stats.failures).toBe(sum("failed"));
    expect(stats.rejected).toBe(sum("rejected"));
    expect(stats.admitted).toBe(sum("ok") + sum("failed"));
    expect(stats.probesInFlight).toBe(0);
    expect(stats.transitions).toBeGreaterThan(3);
    for (let i = 1; i < stats.recentTransitions.length; i++) {
      expect(stats.recentTransitions[i].from).toBe(stats.recentTransitions[i - 1].to);
    }
  });
});
