import { CircuitBreaker, CircuitOpenError } from "../../src";
import { sleep } from "../../src/resilience/sleep";

const fail = () => Promise.reject(new Error("provider down"));
const ok = () => Promise.resolve("ok");

async function failTimes(b: CircuitBreaker, n: number) {
  for (let i = 0; i < n; i++) await expect(b.run(fail)).rejects.toThrow("provider down");
}

describe("CircuitBreaker", () => {
  it("goes closed → open → half-open → closed, each transition recorded", async () => {
    const b = new CircuitBreaker({
      failureThreshold: 3,
      failureWindowMs: 60_000,
      recoveryTimeoutMs: 80,
      halfOpenMaxCalls: 1,
      successThreshold: 2,
    });
    await failTimes(b, 2);
    expect(b.state).toBe("closed");
    await failTimes(b, 1);
    expect(b.state).toBe("open");
    let calls = 0;
    const counted = () => {
      calls++;
      return ok();
    };
    await expect(b.run(counted)).rejects.toThrow(CircuitOpenError);
    expect(calls).toBe(0);
    await sleep(90);
    expect(b.state).toBe("half_open");
    await expect(b.run(counted)).resolves.toBe("ok");
    expect(b.state).toBe("half_open");
    await expect(b.run(counted)).resolves.toBe("ok");
    expect(b.state).toBe("closed");
    const s = b.stats();
    expect(s.recentTransitions.map((t) => `${t.from}>${t.to}`)).toEqual(["closed>open", "open>half_open", "half_open>closed"]);
    expect(s).toMatchObject({ transitions: 3, rejected: 1, failures: 3, successes: 2, admitted: 5 });
    const times = s.recentTransitions.map((t) => t.atMs);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(79);
  });

  it("a failed probe opens it again", async () => {
    const b = new CircuitBreaker({ failureThreshold: 1, recoveryTimeoutMs: 30, successThreshold: 1 });
    await failTimes(b, 1);
    await sleep(40);
    await failTimes(b, 1);
    expect(b.stats().recentTransitions.map((t) => t.to)).toEqual(["open", "half_open", "open"]);
  });

  it("counts failures only inside the window", async () => {
    const b = new CircuitBreaker({ failureThreshold: 3, failureWindowMs: 200, recoveryTimeoutMs: 10_000 });
    for (let i = 0; i < 6; i++) {
      await failTimes(b, 1);
      await sleep(110); // two failures at most in any 200 ms
    }
    expect(b.state).toBe("closed");
    expect(b.stats().failures).toBe(6);
    await sleep(210);
    await failTimes(b, 2);
    expect(b.state).toBe("closed");
    await failTimes(b, 1);
    expect(b.state).toBe("open");
  });

  it("fails fast naming the breaker and when it will probe", async () => {
    const b = new CircuitBreaker({ name: `named-${process.pid}-${Date.now()}`, failureThreshold: 1, recoveryTimeoutMs: 5000 });
    await failTimes(b, 1);
    const error = (await b.run(ok).catch((e) => e)) as CircuitOpenError;
    expect(error.code).toBe("CIRCUIT_OPEN");
    expect(error.message).toMatch(new RegExp(`circuit breaker "${b.name}" is open; it lets a probe call through in \\d+ ms`));
    expect(error.retryInMs).toBeGreaterThan(4000);
    expect(error.retryInMs).toBeLessThanOrEqual(5000);
  });

  it("lets at most halfOpenMaxCalls probes through to concurrent callers, and keeps its counts whole", async () => {
    const b = new CircuitBreaker({ failureThreshold: 2, recoveryTimeoutMs: 20, halfOpenMaxCalls: 3, successThreshold: 5 });
    let inFlight = 0;
    let peakWhileHalfOpen = 0;
    let started = 0;
    const call = async (i: number) => {
      const halfOpen = b.state === "half_open";
      started++;
      inFlight++;
      if (halfOpen) peakWhileHalfOpen = Math.max(peakWhileHalfOpen, inFlight);
      await sleep(i % 5);
      inFlight--;
      if (i % 7 === 0) throw new Error("flaky");
      return i;
    };
    const outcomes = { ok: 0, failed: 0, rejected: 0 };
    for (let round = 0; round < 6; round++) {
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          b
            .run(() => call(i + round))
            .then(
              () => outcomes.ok++,
              (e) => (e instanceof CircuitOpenError ? outcomes.rejected++ : outcomes.failed++),
            ),
        ),
      );
      await sleep(25);
    }
    const s = b.stats();
    expect(s.admitted).toBe(started);
    expect(s.admitted + s.rejected).toBe(360);
    expect(s.successes).toBe(outcomes.ok);
    expect(s.failures).toBe(outcomes.failed);
    expect(s.rejected).toBe(outcomes.rejected);
    expect(s.probesInFlight).toBe(0);
    expect(peakWhileHalfOpen).toBeLessThanOrEqual(3);
    // Every transition starts where the previous one ended, along the allowed edges.
    const allowed = new Set(["closed>open", "open>half_open", "half_open>open", "half_open>closed"]);
    let at = "closed";
    for (const t of s.recentTransitions) {
      expect(t.from).toBe(at);
      expect(allowed.has(`${t.from}>${t.to}`)).toBe(true);
      at = t.to;
    }
    expect(at).toBe(s.state);
    expect(s.transitions).toBeGreaterThan(0);
  });

  it("is one breaker for every instance opened with the same name, and refuses other options", async () => {
    const name = `shared-${process.pid}-${Date.now()}`;
    const a = new CircuitBreaker({ name, failureThreshold: 2 });
    const b = new CircuitBreaker({ name, failureThreshold: 2 });
    await failTimes(a, 1);
    await failTimes(b, 1);
    expect(a.state).toBe("open");
    expect(() => new CircuitBreaker({ name, failureThreshold: 3 })).toThrow(/is already open in this process with other options/);
  });

  it("rejects bad options naming them", () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(/failureThreshold must be a whole number/);
    expect(() => new CircuitBreaker({ recoveryTimeoutMs: -1 })).toThrow(/recoveryTimeoutMs must be a positive number of ms/);
  });
});
