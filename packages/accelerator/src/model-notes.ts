import type { ModelCallRecord } from "./profiler/records";

/**
 * What the profiler cannot see through LangChain's callbacks, told by the code that knows it: a model
 * call's cache lookup (withLLMCache, and LangChain's own model cache through `_generateCached`) and the
 * resilience layer's waits (withResilience). Keyed by the model call's LangChain run id
 * (`CallbackManagerForLLMRun.runId`). Open model calls of every profiler are indexed here from their
 * start to their end only, so a note costs one map lookup, and nothing when no profiler is recording.
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

/** Whether any profiler has a model call open (callers skip building a note otherwise). */
export const recordingModelCalls = (): boolean => open.size > 0;

/** The model call `runId` looked its prompt up in a cache: "hit" or "miss". The first verdict stands. */
export function noteCacheLookup(runId: string | undefined, outcome: "hit" | "miss"): void {
  if (runId === undefined) return;
  for (const rec of open.get(runId) ?? []) rec.cache ??= outcome;
}

/** The model call `runId` waited `ms` for the resilience layer's rate limiter before an attempt. */
export function noteRateLimitWait(runId: string | undefined, ms: number): void {
  if (runId === undefined) return;
  for (const rec of open.get(runId) ?? []) {
    rec.rateLimitWaits = (rec.rateLimitWaits ?? 0) + (ms > 0 ? 1 : 0);
    rec.rateLimitWaitMs = (rec.rateLimitWaitMs ?? 0) + ms;
  }
}

/** The resilience layer retries the model call `runId` after waiting `ms` (its backoff). */
export function noteRetry(runId: string | undefined, ms: number): void {
  if (runId === undefined) return;
  for (const rec of open.get(runId) ?? []) {
    rec.retries = (rec.retries ?? 0) + 1;
    rec.retryWaitMs = (rec.retryWaitMs ?? 0) + ms;
  }
}
