import { classifyError, retryDelayMs, retryPolicy } from "../../src";
import { parseDuration } from "../../src/resilience/retry";
import { httpError, timeoutError } from "../support/scheduled-model";

const NOW = Date.parse("2026-01-01T00:00:00Z");

describe("error classification", () => {
  it("does not retry client errors 400, 401, 403, 404, 422", () => {
    for (const status of [400, 401, 403, 404, 422]) {
      expect(classifyError(httpError(status), NOW)).toMatchObject({ class: "client", retryable: false, breakerFailure: false, status });
    }
  });

  it("retries rate limits, overload, server errors, timeouts and network errors", () => {
    expect(classifyError(httpError(429), NOW)).toMatchObject({ class: "rate_limit", retryable: true, breakerFailure: false });
    expect(classifyError(httpError(529, {}, { type: "error", error: { type: "overloaded_error" } }), NOW)).toMatchObject({
      class: "overloaded",
      retryable: true,
    });
    expect(classifyError(httpError(503), NOW).class).toBe("overloaded");
    expect(classifyError(httpError(500), NOW)).toMatchObject({ class: "server", retryable: true, breakerFailure: true });
    expect(classifyError(httpError(502), NOW).class).toBe("server");
    expect(classifyError(timeoutError(), NOW)).toMatchObject({ class: "timeout", retryable: true });
    expect(classifyError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), NOW)).toMatchObject({
      class: "network",
      retryable: true,
    });
    // LangChain's marker on wrapped OpenAI/Anthropic 429s, with no status left.
    expect(classifyError(Object.assign(new Error("Rate limit"), { lc_error_code: "MODEL_RATE_LIMIT" }), NOW).class).toBe("rate_limit");
  });

  it("never retries a user's abort or a plain bug", () => {
    expect(classifyError(Object.assign(new Error("aborted"), { name: "AbortError" }), NOW)).toMatchObject({
      class: "aborted",
      retryable: false,
    });
    expect(classifyError(new TypeError("x is not a function"), NOW)).toMatchObject({ class: "unknown", retryable: false });
  });

  it("reads Retry-After as seconds or an HTTP date, and retry-after-ms, from Headers or a record", () => {
    expect(classifyError(httpError(429, new Headers({ "retry-after": "2" })), NOW).retryAfterMs).toBe(2000);
    expect(classifyError(httpError(429, { "Retry-After": "1.5" }), NOW).retryAfterMs).toBe(1500);
    expect(classifyError(httpError(429, { "retry-after": new Date(NOW + 7000).toUTCString() }), NOW).retryAfterMs).toBe(7000);
    expect(classifyError(httpError(429, new Headers({ "retry-after-ms": "250", "retry-after": "9" })), NOW).retryAfterMs).toBe(250);
    expect(classifyError(httpError(503, { "retry-after": "3" }), NOW).retryAfterMs).toBe(3000);
    // Axios-like and fetch-Response-like errors keep headers on `response`.
    const axios = Object.assign(new Error("429"), { response: { status: 429, headers: { "retry-after": "4" } } });
    expect(classifyError(axios, NOW)).toMatchObject({ class: "rate_limit", status: 429, retryAfterMs: 4000 });
  });

  it("reads OpenAI's and Anthropic's reset headers on a 429, preferring the exhausted limit", () => {
    const openai = new Headers({
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "1m2.5s",
      "x-ratelimit-remaining-tokens": "9000",
      "x-ratelimit-reset-tokens": "6m0s",
    });
    expect(classifyError(httpError(429, openai), NOW).retryAfterMs).toBe(62_500);
    const anthropic = {
      "anthropic-ratelimit-requests-remaining": "10",
      "anthropic-ratelimit-requests-reset": new Date(NOW + 1000).toISOString(),
      "anthropic-ratelimit-output-tokens-remaining": "0",
      "anthropic-ratelimit-output-tokens-reset": new Date(NOW + 12_000).toISOString(),
    };
    expect(classifyError(httpError(429, anthropic), NOW).retryAfterMs).toBe(12_000);
    // Reset headers come with every response: on a 500 they are not a reason to wait.
    expect(classifyError(httpError(500, openai), NOW).retryAfterMs).toBeUndefined();
  });

  it("reads Google's error shapes: status in the message and RetryInfo details", () => {
    const google = Object.assign(
      new Error("[GoogleGenerativeAI Error]: Error fetching from https://x: [429 Too Many Requests] Resource has been exhausted"),
      { errorDetails: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "37s" }] },
    );
    expect(classifyError(google, NOW)).toMatchObject({ class: "rate_limit", status: 429, retryAfterMs: 37_000 });
    const badKey = new Error("[GoogleGenerativeAI Error]: Error fetching from https://x: [400 Bad Request] API key not valid");
    expect(classifyError(badKey, NOW)).toMatchObject({ class: "client", retryable: false });
  });

  it("takes your own classifier over the built-in one", () => {
    const policy = retryPolicy({
      classify: (e) => ((e as Error).message === "quota" ? { class: "rate_limit", retryable: true } : undefined),
    });
    expect(policy.classify(new Error("quota"))).toMatchObject({ class: "rate_limit", retryable: true });
    expect(policy.classify(httpError(400))).toMatchObject({ class: "client", retryable: false });
  });

  it("parses Go-style durations and refuses anything else", () => {
    expect(parseDuration("6m0s")).toBe(360_000);
    expect(parseDuration("20ms")).toBe(20);
    expect(parseDuration("1h1s")).toBe(3_601_000);
    expect(parseDuration("soon")).toBeUndefined();
  });
});

describe("backoff", () => {
  it("is full jitter under a doubling cap, never below Retry-After", () => {
    let r = 0.999;
    const policy = retryPolicy({ initialDelayMs: 100, maxDelayMs: 1000, random: () => r });
    const plain = { class: "server" as const, retryable: true, breakerFailure: true };
    expect(retryDelayMs(policy, 1, plain)).toBeCloseTo(99.9);
    expect(retryDelayMs(policy, 3, plain)).toBeCloseTo(399.6);
    expect(retryDelayMs(policy, 10, plain)).toBeCloseTo(999);
    r = 0;
    expect(retryDelayMs(policy, 4, plain)).toBe(0);
    expect(retryDelayMs(policy, 1, { ...plain, retryAfterMs: 2500 })).toBe(2500);
  });
});
