import { CircuitBreaker, ConcurrencyLimit, ResiliencePipeline, resilient, retryPolicy, RustRateLimiter, withResilience } from "../../src";
import { ScheduledChatModel } from "../support/scheduled-model";

// Bad numbers used to cross into Rust, which read NaN, Infinity or a negative number as "none" or "no limit"
// (hostile review F12). Each is refused before, naming the option and the value.
describe("numeric options of the resilience API", () => {
  it("acquire refuses tokens that are NaN, Infinity or negative, and reserves nothing", async () => {
    const limiter = new RustRateLimiter({ requestsPerSecond: 100, tokensPerMinute: 1000 });
    for (const tokens of [Number.NaN, Infinity, -5]) {
      await expect(limiter.acquire({ tokens })).rejects.toThrow(RangeError);
      await expect(limiter.acquire({ tokens })).rejects.toThrow(
        `RustRateLimiter.acquire: tokens must be a finite number >= 0, got ${tokens}`,
      );
    }
    await expect(limiter.acquire({ tokens: "5" as never })).rejects.toThrow(
      new TypeError('RustRateLimiter.acquire: tokens must be a number, got "5"'),
    );
    expect(limiter.stats()).toMatchObject({ requests: 0, tokensReserved: 0 });
    // The whole budget is still there: a call of 1000 tokens starts at once, the next waits.
    await expect(limiter.acquire({ tokens: 1000, maxWaitMs: 0 })).resolves.toMatchObject({ waitedMs: 0 });
    await expect(limiter.acquire({ tokens: 1, maxWaitMs: 0 })).rejects.toMatchObject({ code: "RATE_LIMIT_WAIT_TOO_LONG" });
  });

  it("acquire refuses a NaN or negative maxWaitMs instead of waiting without limit", async () => {
    const limiter = new RustRateLimiter({ requestsPerMinute: 1 });
    await limiter.acquire();
    for (const maxWaitMs of [Number.NaN, -1]) {
      await expect(limiter.acquire({ maxWaitMs })).rejects.toThrow(`maxWaitMs must be a number >= 0 (or Infinity), got ${maxWaitMs}`);
    }
    expect(limiter.stats()).toMatchObject({ requests: 1, queued: 0 });
    const controller = new AbortController();
    const waiting = limiter.acquire({ maxWaitMs: Infinity, signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toThrow(/aborted/);
  });

  it("the limiter's options", () => {
    const cases: Array<[object, string]> = [
      [{ requestsPerSecond: Number.NaN }, "RustRateLimiter: requestsPerSecond must be a whole number from 1 to 1000000, got NaN"],
      [{ requestsPerMinute: 2.5 }, "RustRateLimiter: requestsPerMinute must be a whole number from 1 to 1000000, got 2.5"],
      [{ requestsPerSecond: 10, maxBurst: 11 }, "RustRateLimiter: maxBurst must be a whole number from 1 to 10, got 11"],
      [
        { requestsPerSecond: 10, tokensPerMinute: Infinity },
        "RustRateLimiter: tokensPerMinute must be a whole number from 1 to 1000000000000000, got Infinity",
      ],
      [{ requestsPerSecond: 10, maxQueue: -1 }, "RustRateLimiter: maxQueue must be a whole number from 1 to 1000000000, got -1"],
      [{ requestsPerSecond: 10, windowMarginMs: Number.NaN }, "RustRateLimiter: windowMarginMs must be a finite number >= 0, got NaN"],
    ];
    for (const [options, message] of cases) {
      expect(() => new RustRateLimiter(options as never)).toThrow(RangeError);
      expect(() => new RustRateLimiter(options as never)).toThrow(message);
    }
    expect(() => new RustRateLimiter({ requestsPerSecond: "10" as never })).toThrow(TypeError);
  });

  it("the breaker's options", () => {
    expect(() => new CircuitBreaker({ failureThreshold: Number.NaN })).toThrow(
      new RangeError("CircuitBreaker: failureThreshold must be a whole number from 1 to 1000000000, got NaN"),
    );
    expect(() => new CircuitBreaker({ halfOpenMaxCalls: 0 })).toThrow(/halfOpenMaxCalls must be a whole number from 1/);
    expect(() => new CircuitBreaker({ successThreshold: 1.5 })).toThrow(/successThreshold must be a whole number from 1 .* got 1.5/);
    expect(() => new CircuitBreaker({ failureWindowMs: Infinity })).toThrow(
      new RangeError("CircuitBreaker: failureWindowMs must be a positive number of ms, got Infinity"),
    );
    expect(() => new CircuitBreaker({ recoveryTimeoutMs: "30s" as never })).toThrow(
      new TypeError('CircuitBreaker: recoveryTimeoutMs must be a number, got "30s"'),
    );
  });

  it("the concurrency limit's options", () => {
    expect(() => new ConcurrencyLimit({ maxConcurrency: Number.NaN })).toThrow(
      new RangeError("ConcurrencyLimit: maxConcurrency must be a whole number from 1 to 1000000000, got NaN"),
    );
    expect(() => new ConcurrencyLimit({ maxConcurrency: 2, maxQueue: Infinity })).toThrow(
      /maxQueue must be a whole number .* got Infinity/,
    );
    expect(() => new ConcurrencyLimit({} as never)).toThrow(new TypeError("ConcurrencyLimit: maxConcurrency is required"));
    expect(() => new ResiliencePipeline({ maxConcurrency: 0 })).toThrow(/maxConcurrency must be a whole number from 1 .* got 0/);
  });

  it("the retry options: maxAttempts NaN no longer retries without end", () => {
    expect(() => retryPolicy({ maxAttempts: Number.NaN })).toThrow(
      new RangeError("retry: maxAttempts must be a whole number of at least 1 (or Infinity), got NaN"),
    );
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts must be a whole number of at least 1/);
    expect(() => retryPolicy({ maxElapsedMs: Number.NaN })).toThrow("retry: maxElapsedMs must be a number >= 0 (or Infinity), got NaN");
    expect(() => retryPolicy({ initialDelayMs: -1 })).toThrow("retry: initialDelayMs must be a finite number >= 0, got -1");
    expect(() => retryPolicy({ maxDelayMs: Number.NaN })).toThrow("retry: maxDelayMs must be a number >= 0 (or Infinity), got NaN");
    expect(() => resilient(async () => 1, { retry: { maxAttempts: 2.5 } })).toThrow(/maxAttempts .* got 2.5/);
    expect(retryPolicy({ maxAttempts: Infinity, maxElapsedMs: 1000 }).maxAttempts).toBe(Infinity);
  });

  it("the pipeline's own options and a call's tokens", async () => {
    expect(() => new ResiliencePipeline({ maxRateLimitWaitMs: Number.NaN })).toThrow(
      new RangeError("resilience: maxRateLimitWaitMs must be a number >= 0 (or Infinity), got NaN"),
    );
    // setTimeout fires at once for more than 2^31 - 1 ms: such a timeout would end every attempt.
    expect(() => new ResiliencePipeline({ attemptTimeoutMs: 3e9 })).toThrow(
      new RangeError("resilience: attemptTimeoutMs must be a positive number of ms up to 2147483647, got 3000000000"),
    );
    expect(() => new ResiliencePipeline({ attemptTimeoutMs: 0 })).toThrow(/attemptTimeoutMs must be a positive number of ms/);
    expect(() => new ResiliencePipeline({ idleStreamReleaseMs: -1 })).toThrow(/idleStreamReleaseMs must be a positive number of ms/);
    let called = 0;
    const pipeline = new ResiliencePipeline();
    await expect(pipeline.run(async () => ++called, { tokens: Number.NaN })).rejects.toThrow(
      "resilience: tokens must be a finite number >= 0, got NaN",
    );
    expect(called).toBe(0);
    const model = withResilience(new ScheduledChatModel(), { estimateTokens: () => -1 });
    await expect(model.invoke("hi")).rejects.toThrow("withResilience: the token estimate must be a finite number >= 0, got -1");
    expect(model.calls).toHaveLength(0);
  });
});
