import type { Advice } from "./advice";
import type { ProfileSummary } from "./aggregate";

function table(title: string, head: string[], rows: Array<Array<string | number>>): string {
  if (rows.length === 0) return "";
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return `${title}\n${line(head)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n${cells.slice(1).map(line).join("\n")}\n\n`;
}

const f = (x: number) => x.toFixed(2);
const kb = (x: number) => (x / 1024).toFixed(1);

/** A readable text report: totals, then one table each for nodes, models, tools and checkpointer operations, then advice. */
export function renderText(s: ProfileSummary, advice: Advice[]): string {
  const t = s.totals;
  let out = `fast-langgraph profile: ${t.graphRuns} graph runs, ${f(t.runMs)} ms in runs; nodes (self) ${f(t.nodeSelfMs)} ms, models ${f(t.modelMs)} ms, tools ${f(t.toolMs)} ms, checkpointer in flight ${f(t.checkpointMs)} ms (${(t.checkpointShare * 100).toFixed(1)}%)\n`;
  if (t.droppedRecords) out += `(${t.droppedRecords} oldest records dropped at the record bound)\n`;
  out += "\n";
  out += table(
    "Nodes (ms)",
    ["node", "calls", "tasks", "retries", "errors", "total", "self", "model", "tool", "p50", "p99", "steps"],
    s.nodes.map((n) => [
      n.node,
      n.count,
      n.tasks,
      n.retries,
      n.errors,
      f(n.totalMs),
      f(n.selfMs),
      f(n.modelMs),
      f(n.toolMs),
      f(n.p50Ms),
      f(n.p99Ms),
      n.steps.length > 6 ? `${n.steps.slice(0, 3).join(",")}…${n.steps[n.steps.length - 1]}` : n.steps.join(","),
    ]),
  );
  out += table(
    "Model calls (ms)",
    [
      "model",
      "calls",
      "total",
      "p50",
      "p99",
      "ttft p50",
      "in tok",
      "out tok",
      "cache hits",
      "misses",
      "repeated",
      "errors",
      "429s",
      "rl wait",
    ],
    s.models.map((m) => [
      m.name,
      m.count,
      f(m.totalMs),
      f(m.p50Ms),
      f(m.p99Ms),
      m.ttft ? f(m.ttft.p50Ms) : "-",
      m.inputTokens,
      m.outputTokens,
      m.cacheHits,
      m.cacheMisses,
      m.repeatedPrompts,
      m.errors,
      m.rateLimited,
      m.rateLimitWaits ? `${f(m.rateLimitWaitMs)} (${m.rateLimitWaits})` : "-",
    ]),
  );
  out += table(
    "Tool calls (ms)",
    ["tool", "calls", "total", "p50", "p99", "errors"],
    s.tools.map((x) => [x.name, x.count, f(x.totalMs), f(x.p50Ms), f(x.p99Ms), x.errors]),
  );
  out += table(
    "Checkpointer operations (ms, KiB)",
    ["saver.op", "calls", "total", "p50", "p99", "serialize", "deserialize", "written", "read"],
    s.checkpoints.map((c) => [
      `${c.saver}.${c.op}`,
      c.count,
      f(c.totalMs),
      f(c.p50Ms),
      f(c.p99Ms),
      f(c.serializeMs),
      f(c.deserializeMs),
      kb(c.bytesWritten),
      kb(c.bytesRead),
    ]),
  );
  const lastByThread = new Map<string, (typeof s.stateSizes)[number]>();
  for (const p of s.stateSizes) lastByThread.set(`${p.threadId ?? ""}|${p.checkpointNs}`, p);
  out += table(
    "State size, last checkpoint per thread (KiB)",
    ["thread", "step", "put (serde)", "largest channels (estimated)"],
    [...lastByThread.values()].map((p) => [
      `${p.threadId ?? "-"}${p.checkpointNs ? ` ${p.checkpointNs.split(":")[0]}` : ""}`,
      p.step ?? "-",
      kb(p.bytes),
      Object.entries(p.channelBytes)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([c, b]) => `${c} ${kb(b)}`)
        .join(", "),
    ]),
  );
  if (advice.length) {
    out += "Advice\n";
    for (const a of advice) out += `- [${a.severity}] ${a.message}\n    evidence: ${a.evidence}\n`;
  } else out += "Advice: none (no rule's threshold was crossed)\n";
  return out;
}
