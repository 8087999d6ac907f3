import type { ProfileSummary } from "./aggregate";

export interface Advice {
  rule: "checkpoint-share" | "serialization-share" | "repeated-prompts" | "state-growth" | "tail-latency" | "rate-limits";
  severity: "info" | "warn";
  message: string;
  /** The measured figures the advice rests on, and the threshold it crossed. */
  evidence: string;
}

/** Thresholds of the advice rules; every figure is compared with what the profile measured. */
export interface AdviceThresholds {
  /** Share of top-level run time with a checkpointer operation in flight. Default 0.2. */
  checkpointShare: number;
  /** Share of checkpointer time spent in the saver's serde (serialize + deserialize). Default 0.5. */
  serializationShare: number;
  /** Share of model calls whose prompt was sent before, with no cache hits. Default 0.1 (and at least 2 calls). */
  repeatedPromptShare: number;
  /** Mean growth of a thread's checkpoint per put, in bytes. Default 16 KiB. */
  stateGrowthBytesPerStep: number;
  /** A node's p99 / p50 ratio, over at least `tailMinCalls` calls. Defaults 5 and 20. */
  tailRatio: number;
  tailMinCalls: number;
  /** Share of model calls that hit rate limits (429). Default 0.05. */
  rateLimitShare: number;
  /** Share of a model's call time spent waiting for the resilience layer's rate limiter. Default 0.2. */
  rateLimitWaitShare: number;
}

export const DEFAULT_THRESHOLDS: AdviceThresholds = {
  checkpointShare: 0.2,
  serializationShare: 0.5,
  repeatedPromptShare: 0.1,
  stateGrowthBytesPerStep: 16 * 1024,
  tailRatio: 5,
  tailMinCalls: 20,
  rateLimitShare: 0.05,
  rateLimitWaitShare: 0.2,
};

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ms = (x: number) => `${x.toFixed(1)} ms`;
const kib = (x: number) => `${(x / 1024).toFixed(1)} KiB`;

/** Advice from the rules above, most important first. */
export function advise(s: ProfileSummary, overrides: Partial<AdviceThresholds> = {}): Advice[] {
  const t = { ...DEFAULT_THRESHOLDS, ...overrides };
  const out: Advice[] = [];
  const { totals } = s;

  if (totals.runMs > 0 && totals.checkpointShare > t.checkpointShare) {
    const savers = [...new Set(s.checkpoints.map((c) => c.saver))].join(", ");
    out.push({
      rule: "checkpoint-share",
      severity: "warn",
      message: `Checkpointing takes ${pct(totals.checkpointShare)} of run time (${savers}). patchLangGraph() accelerates MemorySaver, SqliteSaver and PostgresSaver in place; RustSqliteSaver / RustPostgresSaver store only changed channels.`,
      evidence: `${ms(totals.checkpointMs)} with a checkpointer operation in flight, of ${ms(totals.runMs)} over ${totals.graphRuns} runs; threshold ${pct(t.checkpointShare)}`,
    });
  }

  const cpMs = s.checkpoints.reduce((a, c) => a + c.totalMs, 0);
  const serdeMs = s.checkpoints.reduce((a, c) => a + c.serializeMs + c.deserializeMs, 0);
  if (cpMs > 0 && serdeMs / cpMs > t.serializationShare && totals.checkpointShare > t.checkpointShare / 2) {
    out.push({
      rule: "serialization-share",
      severity: "info",
      message: `Serialization is ${pct(serdeMs / cpMs)} of checkpointer time: the whole state is re-serialized each step. Savers that write only changed channels (RustSqliteSaver, DeltaChannel for messages) cut it.`,
      evidence: `${ms(serdeMs)} in serde.dumpsTyped/loadsTyped of ${ms(cpMs)} in checkpointer operations; threshold ${pct(t.serializationShare)}`,
    });
  }

  for (const m of s.models) {
    if (m.count >= 2 && m.cacheHits === 0 && m.repeatedPrompts >= 2 && m.repeatedPrompts / m.count > t.repeatedPromptShare) {
      out.push({
        rule: "repeated-prompts",
        severity: "warn",
        message: `Model "${m.name}" was sent the same prompt again ${m.repeatedPrompts} times. withLLMCache(model) or RustLLMCache would answer repeats without a model call.`,
        evidence: `${m.repeatedPrompts} of ${m.count} calls repeated an earlier prompt (${pct(m.repeatedPrompts / m.count)}), 0 cache hits; threshold ${pct(t.repeatedPromptShare)}`,
      });
    }
    const waitShare = m.totalMs > 0 ? m.rateLimitWaitMs / m.totalMs : 0;
    if (m.rateLimitWaits > 0 && waitShare > t.rateLimitWaitShare) {
      out.push({
        rule: "rate-limits",
        severity: "warn",
        message: `Model "${m.name}" spends ${pct(waitShare)} of its call time waiting for the rate limiter: the budget (requestsPerMinute / tokensPerMinute) is below the load. Raise the provider's limit, spread the load, or cache repeated prompts (withLLMCache: a hit spends no budget).`,
        evidence: `${ms(m.rateLimitWaitMs)} waited by ${m.rateLimitWaits} of ${m.count} calls, of ${ms(m.totalMs)} in model calls; threshold ${pct(t.rateLimitWaitShare)}`,
      });
    } else if (m.count > 0 && m.rateLimited / m.count > t.rateLimitShare) {
      out.push({
        rule: "rate-limits",
        severity: "warn",
        message: `Model "${m.name}" hit rate limits on ${m.rateLimited} calls: lower concurrency (maxConcurrency), back off with retries, or cache repeated prompts.`,
        evidence: `${m.rateLimited} of ${m.count} calls failed with 429 / rate limit (${pct(m.rateLimited / m.count)}); threshold ${pct(t.rateLimitShare)}`,
      });
    }
  }

  const byThread = new Map<string, typeof s.stateSizes>();
  for (const p of s.stateSizes) {
    const key = `${p.threadId ?? "(no thread)"}${p.checkpointNs ? ` ns ${p.checkpointNs}` : ""}`;
    byThread.set(key, [...(byThread.get(key) ?? []), p]);
  }
  for (const [thread, points] of byThread) {
    if (points.length < 3) continue;
    const growth = (points[points.length - 1].bytes - points[0].bytes) / (points.length - 1);
    if (growth > t.stateGrowthBytesPerStep) {
      const last = points[points.length - 1].channelBytes;
      const biggest = Object.entries(last).sort((a, b) => b[1] - a[1])[0];
      out.push({
        rule: "state-growth",
        severity: "warn",
        message: `State of thread ${thread} grows by ${kib(growth)} per checkpoint${biggest ? `, mostly channel "${biggest[0]}"` : ""}: each step re-writes it whole. Trim or summarize messages, use DeltaChannel, or a saver that stores only changed channels.`,
        evidence: `${kib(points[0].bytes)} → ${kib(points[points.length - 1].bytes)} over ${points.length} puts; threshold ${kib(t.stateGrowthBytesPerStep)} per put`,
      });
    }
  }

  for (const n of s.nodes) {
    if (n.count >= t.tailMinCalls && n.p50Ms > 0 && n.p99Ms / n.p50Ms > t.tailRatio) {
      out.push({
        rule: "tail-latency",
        severity: "info",
        message: `Node "${n.node}" has a long tail: p99 is ${(n.p99Ms / n.p50Ms).toFixed(1)}× its p50. Look for retries, cold caches or slow outliers in its model/tool calls.`,
        evidence: `p50 ${ms(n.p50Ms)}, p99 ${ms(n.p99Ms)} over ${n.count} calls; threshold ${t.tailRatio}×`,
      });
    }
  }
  const order = { warn: 0, info: 1 };
  return out.sort((a, b) => order[a.severity] - order[b.severity]);
}
