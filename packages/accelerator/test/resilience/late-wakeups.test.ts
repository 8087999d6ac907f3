import { RustRateLimiter, resilienceNow } from "../../src";
import { worstWindow } from "./windows";

/** Keeps the event loop busy for `ms` (a synchronous node, a large JSON.parse). */
function block(ms: number): void {
  const until = resilienceNow() + ms;
  while (resilienceNow() < until) {
    // busy
  }
}

// Reserved starts are a plan: callers whose timers fire late start late. A late pair and an on-time pair
// a window later used to share one window of real starts (hostile review F8: 4 starts in a window of 2 when
// the event loop lagged 300 ms, past the 25 ms margin). The window now holds over real starts.
describe("RustRateLimiter when the event loop runs late", () => {
  it("no sliding window of real starts exceeds the limit after the loop was blocked past the margin", async () => {
    const limiter = new RustRateLimiter({ requestsPerSecond: 2, windowMarginMs: 25 });
    const starts: number[] = [];
    const t0 = resilienceNow();
    const calls = Array.from({ length: 6 }, () => limiter.acquire().then(() => void starts.push(resilienceNow())));
    // The second pair is due at t0 + 1,025 ms; the loop is blocked from t0 + 1,000 to t0 + 1,300.
    setTimeout(() => block(300), 1000 - (resilienceNow() - t0));
    await Promise.all(calls);
    starts.sort((a, b) => a - b);
    expect(starts[2] - t0).toBeGreaterThanOrEqual(1300);
    // Times are read when each call resumes, a little after the limiter recorded them: 5 ms of slack.
    expect(worstWindow(starts, 995)).toBeLessThanOrEqual(2);
    expect(limiter.stats()).toMatchObject({ requests: 6, queued: 0 });
    expect(limiter.stats().lateRewaits).toBeGreaterThanOrEqual(1);
  });

  it("a caller arriving after late starts is planned after them, not only after the reservations", async () => {
    const limiter = new RustRateLimiter({ requestsPerSecond: 1, windowMarginMs: 0 });
    const first = resilienceNow();
    await limiter.acquire();
    const second = limiter.acquire();
    setTimeout(() => block(400), 900);
    await second;
    const secondStarted = resilienceNow();
    expect(secondStarted - first).toBeGreaterThanOrEqual(1000);
    await limiter.acquire();
    expect(resilienceNow() - secondStarted).toBeGreaterThanOrEqual(995);
  });
});
