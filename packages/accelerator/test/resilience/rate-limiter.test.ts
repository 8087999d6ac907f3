import fc from "fast-check";

import { RateLimitQueueFullError, RateLimitWaitTooLongError, RustRateLimiter, resilienceNow } from "../../src";
import { sleep } from "../../src/resilience/sleep";
import { worstWindow } from "./windows";

describe("RustRateLimiter", () => {
  it("admits a full window at once, then one per freed slot, in FIFO order", async () => {
    const limiter = new RustRateLimiter({ requestsPerSecond: 5 });
    const order: number[] = [];
    const leases = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const lease = await limiter.acquire();
        order.push(i);
        return lease;
      }),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(leases.slice(0, 5).every((l) => l.waitedMs === 0)).toBe(true);
    expect(leases.slice(5).every((l) => l.waitedMs > 900)).toBe(true);
    expect(limiter.stats()).toMatchObject({ requests: 8, delayed: 3, queued: 0, rejected: 0 });
  });

  it("spreads requests out with a small burst", async () => {
    const limiter = new RustRateLimiter({ requestsPerSecond: 20, maxBurst: 1 });
    const asked = resilienceNow();
    const waits = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const lease = await limiter.acquire();
        expect(resilienceNow()).toBeGreaterThanOrEqual(asked + lease.waitedMs - 1);
        return lease.waitedMs;
      }),
    );
    // One every 50 ms (the scheduled starts; timers may run late, never early).
    for (let i = 1; i < waits.length; i++) expect(waits[i] - waits[i - 1]).toBeGreaterThanOrEqual(49);
  });

  it("reserves estimated tokens and corrects them with the real usage", async () => {
    const limiter = new RustRateLimiter({ requestsPerSecond: 100, tokensPerMinute: 600_000 });
    const lease = await limiter.acquire({ tokens: 500 });
    lease.settle(120);
    expect(limiter.stats()).toMatchObject({ tokensReserved: 500, tokensSpent: 120 });
    // The budget is 10 tokens per ms: a full bucket (600,000) leaves nothing, so 1,000 more start 100 ms later.
    // Both reserved in the same tick, so the difference hardly depends on how busy the machine is; the full
    // bucket may itself wait for the 120 tokens spent (up to 12 ms), which the refill then counts toward the next.
    const [full, next] = await Promise.all([limiter.acquire({ tokens: 600_000 }), limiter.acquire({ tokens: 1000, maxWaitMs: 10_000 })]);
    expect(next.waitedMs - full.waitedMs).toBeGreaterThanOrEqual(85);
  });

  it("refuses with a named error rather than queue without bound or wait past maxWaitMs", async () => {
    const limiter = new RustRateLimiter({ requestsPerMinute: 1, maxQueue: 1 });
    await limiter.acquire();
    await expect(limiter.acquire({ maxWaitMs: 100 })).rejects.toThrow(RateLimitWaitTooLongError);
    const controller = new AbortController();
    const waiting = limiter.acquire({ signal: controller.signal });
    await expect(limiter.acquire()).rejects.toThrow(RateLimitQueueFullError);
    controller.abort();
    await expect(waiting).rejects.toThrow(/aborted/);
    expect(limiter.stats().rejected).toBe(2);
  });

  it("is one limiter for every instance opened with the same name", async () => {
    const name = `rl-${process.pid}-${Date.now()}`;
    const a = new RustRateLimiter({ name, requestsPerSecond: 2 });
    const b = new RustRateLimiter({ name, requestsPerSecond: 2 });
    const leases = await Promise.all([a.acquire(), b.acquire(), a.acquire({ maxWaitMs: 10_000 })]);
    expect(leases.map((l) => l.waitedMs > 1000)).toEqual([false, false, true]);
    expect(b.stats().requests).toBe(3);
    expect(() => new RustRateLimiter({ name, requestsPerSecond: 3 })).toThrow(/already open in this process with other options/);
    expect(() => new RustRateLimiter({ requestsPerSecond: 2, requestsPerMinute: 3 } as never)).toThrow(/exactly one of/);
  });

  it("property: no sliding one-second window holds more starts than the limit", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 20, max: 120 }),
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 60 }), burst: fc.integer({ min: 1, max: 12 }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (rps, burstPercent, arrivals) => {
          const limiter = new RustRateLimiter({ requestsPerSecond: rps, maxBurst: Math.max(1, Math.round((rps * burstPercent) / 100)) });
          const planned: number[] = [];
          const started: number[] = [];
          const all: Promise<void>[] = [];
          for (const { gap, burst } of arrivals) {
            await sleep(gap);
            for (let i = 0; i < burst; i++) {
              const asked = resilienceNow();
              all.push(
                limiter.acquire().then((lease) => {
                  planned.push(asked + lease.waitedMs);
                  started.push(resilienceNow());
                }),
              );
            }
          }
          await Promise.all(all);
          const delays = started.map((s, i) => s - planned[i]);
          // Rust's schedule keeps N starts 1000 ms + the 25 ms margin apart (1 ms slack: the clock is read here
          // µs before Rust reads it), so not even a 1024 ms window holds more than N.
          expect(
            worstWindow(
              [...planned].sort((x, y) => x - y),
              1024,
            ),
          ).toBeLessThanOrEqual(rps);
          // Nobody starts before their time (timers round to 1 ms); real starts are late by at most `lateness`,
          // so windows of 1024 ms - lateness (a full second whenever the lateness stayed within the margin).
          expect(Math.min(...delays)).toBeGreaterThanOrEqual(-1);
          const lateness = Math.max(0, ...delays);
          expect(
            worstWindow(
              [...started].sort((x, y) => x - y),
              1024 - lateness,
            ),
          ).toBeLessThanOrEqual(rps);
        },
      ),
      { numRuns: 12 },
    );
  });
});
