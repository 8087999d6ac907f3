import { RustNodeCache } from "../../src";

// The write-behind queue to a persistent tier keeps deletes (no stale value may come back), so a flood of
// them while the tier is unreachable must still stay within the queue's bounds (hostile review: 200,000
// entries set already expired, LangGraph's ttl 0, grew the queue without limit and each push scanned it).
describe("RustNodeCache: deletes queued for an unreachable PostgreSQL tier stay within the queue's bounds", () => {
  it("30,000 entries set expired at once: the queue never passes queueMaxOps or queueMaxBytes", async () => {
    // Port 9 (discard): nothing listens, so every write stays queued.
    const cache = new RustNodeCache({ postgres: "postgresql://u:pw@127.0.0.1:9/db", maxBytes: 4 << 20 });
    let most = 0;
    for (let i = 0; i < 30_000; i += 1000) {
      const pairs = Array.from({ length: 1000 }, (_, j) => ({ key: [["ns"], `k${i + j}`] as [string[], string], value: 1, ttl: 0 }));
      await cache.set(pairs);
      const stats = cache.stats();
      most = Math.max(most, stats.queued);
      expect(stats.queued).toBeLessThanOrEqual(stats.queueMaxOps);
      expect(stats.queuedBytes).toBeLessThanOrEqual(stats.queueMaxBytes);
    }
    // The bound was reached (so the folding ran), and what was folded is counted.
    expect(most).toBeGreaterThan(cache.stats().queueMaxOps / 2);
    expect(cache.stats().dropped).toBeGreaterThan(0);
    expect(await cache.get([[["ns"], "k5"]])).toEqual([]);
  });
});
