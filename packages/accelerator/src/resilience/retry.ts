/**
 * Error classification and retry timing for model calls. Reads the error shapes of LangChain.js's OpenAI,
 * Anthropic and Google integrations (and their SDKs): `status` / `statusCode` / `response.status`,
 * headers as a `Headers` object or a plain record on `headers` / `response.headers`, `lc_error_code`,
 * Anthropic's `overloaded_error`, Google's `RetryInfo` detail and `[429 Too Many Requests]` messages.
 */

import { atLeastZero, wholeNumber } from "./options";

export type ErrorClass = "rate_limit" | "overloaded" | "server" | "timeout" | "network" | "client" | "aborted" | "unknown";

export interface ErrorClassification {
  class: ErrorClass;
  /** Whether another attempt may succeed. */
  retryable: boolean;
  /** Whether it says the provider is unhealthy (counts against the circuit breaker). */
  breakerFailure: boolean;
  /** What the provider asked for (`retry-after-ms`, `Retry-After` seconds or date, reset headers), ms. */
  retryAfterMs?: number;
  status?: number;
}

export interface RetryOptions {
  /** Attempts in all, the first included: a whole number >= 1 or Infinity (default 6; 1 disables retries). */
  maxAttempts?: number;
  /** Give up when the next attempt would start later than this after the first (ms, default 120,000). */
  maxElapsedMs?: number;
  /** Backoff cap before jitter for the first retry, doubled each time (ms, default 500). */
  initialDelayMs?: number;
  /** The largest backoff cap (ms, default 30,000). */
  maxDelayMs?: number;
  /** Your own classification: return a partial classification to override the built-in one, or undefined. */
  classify?: (error: unknown) => Partial<ErrorClassification> | undefined;
  /** Random source in [0, 1) for the jitter (default Math.random). */
  random?: () => number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null;

function header(headers: unknown, name: string): string | undefined {
  if (!isObj(headers)) return undefined;
  if (typeof (headers as { get?: unknown }).get === "function") {
    const v = (headers as { get(n: string): unknown }).get(name);
    if (v !== null && v !== undefined) return String(v);
    if (headers instanceof Map) return undefined;
  }
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : v == null ? undefined : String(v);
  }
  return undefined;
}

function headerSources(error: Obj): unknown[] {
  const response = isObj(error.response) ? error.response : undefined;
  const cause = isObj(error.cause) ? error.cause : undefined;
  return [error.headers, response?.headers, cause?.headers, isObj(cause?.response) ? (cause.response as Obj).headers : undefined];
}

function status(error: Obj): number | undefined {
  const candidates = [error.status, error.statusCode, isObj(error.response) ? error.response.status : undefined];
  if (isObj(error.cause)) candidates.push(error.cause.status, isObj(error.cause.response) ? error.cause.response.status : undefined);
  for (const c of candidates) {
    const n = typeof c === "string" && /^\d{3}$/.test(c) ? Number(c) : c;
    if (typeof n === "number" && n >= 100 && n < 600) return n;
  }
  // Google's fetch errors: "[GoogleGenerativeAI Error]: ...: [429 Too Many Requests] ..."
  const m = typeof error.message === "string" ? /\[(\d{3})(?: [^\]]*)?\]/.exec(error.message) : null;
  return m ? Number(m[1]) : undefined;
}

/** "1s", "6m0s", "20ms", "1.5s", "2h1m" (OpenAI's reset headers) → ms. */
export function parseDuration(text: string): number | undefined {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== text.trim()) return undefined;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]], 0);
}

/** `Retry-After` is seconds or an HTTP date; reset headers are a duration, seconds or an RFC 3339 time. */
function untilMs(value: string | undefined, now: number, seconds = true): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.max(0, Number(v) * (seconds ? 1000 : 1));
  const duration = parseDuration(v);
  if (duration !== undefined) return duration;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const RESET_HEADERS = [
  ["x-ratelimit-reset-requests", "x-ratelimit-remaining-requests"],
  ["x-ratelimit-reset-tokens", "x-ratelimit-remaining-tokens"],
  ["anthropic-ratelimit-requests-reset", "anthropic-ratelimit-requests-remaining"],
  ["anthropic-ratelimit-tokens-reset", "anthropic-ratelimit-tokens-remaining"],
  ["anthropic-ratelimit-input-tokens-reset", "anthropic-ratelimit-input-tokens-remaining"],
  ["anthropic-ratelimit-output-tokens-reset", "anthropic-ratelimit-output-tokens-remaining"],
] as const;

function retryAfterMs(error: Obj, isRateLimit: boolean, now: number): number | undefined {
  for (const headers of headerSources(error)) {
    const ms = untilMs(header(headers, "retry-after-ms"), now, false) ?? untilMs(header(headers, "retry-after"), now);
    if (ms !== undefined) return ms;
  }
  // Google: details [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "37s" }]
  const details = error.errorDetails ?? (isObj(error.error) ? (error.error as Obj).details : undefined);
  if (Array.isArray(details)) {
    const info = details.find((d) => isObj(d) && String(d["@type"] ?? "").endsWith("RetryInfo")) as Obj | undefined;
    const delay = typeof info?.retryDelay === "string" ? parseDuration(info.retryDelay) : undefined;
    if (delay !== undefined) return delay;
  }
  if (!isRateLimit) return undefined;
  // Reset headers come with every response: on a 429, wait for the limits that are exhausted (or all).
  for (const headers of headerSources(error)) {
    const resets = RESET_HEADERS.map(([reset, remaining]) => ({
      ms: untilMs(header(headers, reset), now),
      exhausted: header(headers, remaining) === "0",
    })).filter((r) => r.ms !== undefined);
    const exhausted = resets.filter((r) => r.exhausted);
    const pick = (exhausted.length ? exhausted : resets).map((r) => r.ms as number);
    if (pick.length) return Math.max(...pick);
  }
  return undefined;
}

const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "EAI_AGAIN", "ENOTFOUND", "ENETUNREACH", "EHOSTUNREACH"]);

/** The built-in classification (without your `classify`). */
export function classifyError(error: unknown, now = Date.now()): ErrorClassification {
  if (!isObj(error)) return { class: "unknown", retryable: false, breakerFailure: true };
  const name = String(error.name ?? error.constructor?.name ?? "");
  const code = String(error.code ?? (isObj(error.cause) ? error.cause.code : "") ?? "");
  const lcCode = String(error.lc_error_code ?? "");
  const bodyType = isObj(error.error) ? String((error.error as Obj).type ?? "") : "";
  const s = status(error);
  const make = (cls: ErrorClass, retryable: boolean, breakerFailure: boolean): ErrorClassification => {
    const out: ErrorClassification = { class: cls, retryable, breakerFailure, status: s };
    const after = retryable ? retryAfterMs(error, cls === "rate_limit", now) : undefined;
    if (after !== undefined) out.retryAfterMs = after;
    return out;
  };
  if (name === "AbortError" || code === "ABORT_ERR") return make("aborted", false, false);
  if (s === 429 || lcCode === "MODEL_RATE_LIMIT" || bodyType === "rate_limit_error") return make("rate_limit", true, false);
  if (s === 529 || s === 503 || bodyType === "overloaded_error") return make("overloaded", true, true);
  if (s === 408 || name === "TimeoutError" || name === "APIConnectionTimeoutError" || code === "ETIMEDOUT")
    return make("timeout", true, true);
  if (s === 409) return make("client", true, false); // lock timeouts: OpenAI's SDK retries these too
  if (s !== undefined && s >= 500) return make("server", true, true);
  if (s !== undefined && s >= 400) return make("client", false, false);
  if (name === "APIConnectionError" || NETWORK_CODES.has(code) || code.startsWith("UND_ERR_")) return make("network", true, true);
  return make("unknown", false, true);
}

export interface RetryPolicy {
  maxAttempts: number;
  maxElapsedMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  classify: (error: unknown) => ErrorClassification;
  random: () => number;
}

export function retryPolicy(options: RetryOptions | false | undefined): RetryPolicy {
  const o = options === false ? { maxAttempts: 1 } : (options ?? {});
  wholeNumber("retry", "maxAttempts", o.maxAttempts, 1, Number.MAX_SAFE_INTEGER, true);
  atLeastZero("retry", "maxElapsedMs", o.maxElapsedMs, true);
  atLeastZero("retry", "initialDelayMs", o.initialDelayMs);
  atLeastZero("retry", "maxDelayMs", o.maxDelayMs, true);
  if (o.random !== undefined && typeof o.random !== "function")
    throw new TypeError(`retry: random must be a function, got ${typeof o.random}`);
  if (o.classify !== undefined && typeof o.classify !== "function")
    throw new TypeError(`retry: classify must be a function, got ${typeof o.classify}`);
  const own = o.classify;
  return {
    maxAttempts: o.maxAttempts ?? 6,
    maxElapsedMs: o.maxElapsedMs ?? 120_000,
    initialDelayMs: o.initialDelayMs ?? 500,
    maxDelayMs: o.maxDelayMs ?? 30_000,
    classify: own ? (e) => ({ ...classifyError(e), ...(own(e) ?? {}) }) : (e) => classifyError(e),
    random: o.random ?? Math.random,
  };
}

/** The wait before attempt `attempt + 1` (attempt counts from 1): full jitter, uniform in [0, cap) with
 * cap = min(maxDelayMs, initialDelayMs × 2^(attempt-1)), and never less than what the provider asked. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, classification: ErrorClassification): number {
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.max(classification.retryAfterMs ?? 0, policy.random() * cap);
}
