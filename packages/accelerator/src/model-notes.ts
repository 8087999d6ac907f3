import { hookedRecordsOf } from "./profiler/hooks/model-call";
import type { ModelCallRecord } from "./profiler/records";

/**
 * What the profiler cannot see through LangChain's callbacks, told by the code that knows it: a model
 * call's cache lookup (withLLMCache, and LangChain's own model cache through `_generateCached`) and the
 * resilience layer's waits (withResilience). The callback handler's open model calls are indexed here by
 * LangChain run id (`CallbackManagerForLLMRun.runId`) from their start to their end only; the hooks'
 * (profiler.attach()) are found through the model call the note is made in (profiler/hooks/model-call.ts),
 * which needs no run id. A note costs one map lookup (and, while model calls overlap, one AsyncLocalStorage
 * read), and builds nothing when no profiler is recording.
 */
const open = new Map<string, ModelCallRecord[]>();

export function openModelCall(runId: string, record: ModelCallRecord): void {
  const list = open.get(runId);
  if (list) list.push(record);
  else open.set(runId, [record]);
}

export function closeModelCall(runId: string, record: ModelCallRecord): void {
  const list = open.get(runId);
  if (!list) return;
  const i = list.indexOf(record);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) open.delete(runId);
}

/** The callback handler's records of the model call `runId`, if a profiler's handler has it open. */
export function callsOfRun(runId: string | undefined): ModelCallRecord[] | undefined {
  return runId === undefined || open.size === 0 ? undefined : open.get(runId);
}

/**
 * The records of the model call a note from inside `model`'s `_generate` or `_streamResponseChunks` is
 * about: the handler's, by the call's run id (`runManager?.runId`), and the hooks', by the call running
 * now and `promptIndex` (the `promptIndex` option LangChain gives `_generate` for each prompt of a batch).
 * Undefined when no profiler records that call.
 */
export function modelCallsOf(runId: string | undefined, model: object, promptIndex?: unknown): ModelCallRecord[] | undefined {
  const byRun = callsOfRun(runId);
  const hooked = hookedRecordsOf(model, promptIndex);
  if (hooked === undefined) return byRun;
  return byRun === undefined ? hooked : [...byRun, ...hooked];
}

/** The call looked its prompt up in a cache: "hit" or "miss". The first verdict stands. */
export function noteCacheLookup(calls: ModelCallRecord[] | undefined, outcome: "hit" | "miss"): void {
  for (const rec of calls ?? []) rec.cache ??= outcome;
}

/** The call waited `ms` for the resilience layer's rate limiter before an attempt. */
export function noteRateLimitWait(calls: ModelCallRecord[] | undefined, ms: number): void {
  for (const rec of calls ?? []) {
    rec.rateLimitWaits = (rec.rateLimitWaits ?? 0) + (ms > 0 ? 1 : 0);
    rec.rateLimitWaitMs = (rec.rateLimitWaitMs ?? 0) + ms;
  }
}

/** The resilience layer retries the call after waiting `ms` (its backoff). */
export function noteRetry(calls: ModelCallRecord[] | undefined, ms: number): void {
  for (const rec of calls ?? []) {
    rec.retries = (rec.retries ?? 0) + 1;
    rec.retryWaitMs = (rec.retryWaitMs ?? 0) + ms;
  }
}
