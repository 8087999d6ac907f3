import type { CheckpointOpRecord, GraphRunRecord, RawProfile, RunStatus, TaskRecord } from "./records";

/** Milliseconds. Percentiles are nearest-rank over the recorded durations. */
export interface Distribution {
  count: number;
  totalMs: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface NodeSummary extends Distribution {
  node: string;
  /** Distinct tasks (a retried task counts once); `count` counts attempts. */
  tasks: number;
  retries: number;
  errors: number;
  interrupts: number;
  /** Total minus the time of the node's own model calls, tool calls, subgraph runs and checkpoint writes (their union). */
  selfMs: number;
  /** The node's own `putWrites` calls inside its run (LangGraph writes a task's outputs before the task's run ends). */
  checkpointMs: number;
  modelMs: number;
  toolMs: number;
  subgraphMs: number;
  /** Supersteps (`langgraph_step`) the node ran in, ascending. */
  steps: number[];
}

export interface ModelSummary extends Distribution {
  name: string;
  /** Time to first token of streamed calls. */
  ttft?: Distribution;
  inputTokens: number;
  outputTokens: number;
  cacheHits: number;
  /** Calls that asked the model's cache and found nothing (calls with no cache are neither hits nor misses). */
  cacheMisses: number;
  errors: number;
  rateLimited: number;
  /** Calls that waited for the resilience layer's rate limiter, and the total ms they waited. */
  rateLimitWaits: number;
  rateLimitWaitMs: number;
  /** Retries by the resilience layer inside the calls, and their total backoff ms. */
  retries: number;
  retryWaitMs: number;
  /** Calls whose prompt (roles and contents) had been sent before in this profile. */
  repeatedPrompts: number;
}

export interface ToolSummary extends Distribution {
  name: string;
  errors: number;
}

export interface CheckpointSummary extends Distribution {
  saver: string;
  op: string;
  bytesWritten: number;
  bytesRead: number;
  serializeMs: number;
  deserializeMs: number;
  errors: number;
}

export interface SuperstepSummary {
  step: number;
  start: number;
  end: number;
  durationMs: number;
  nodes: string[];
  /** The most tasks running at once in this superstep. */
  parallelism: number;
}

export interface GraphRunSummary {
  id: string;
  name: string;
  threadId?: string;
  /** Id of the enclosing graph run when this ran as a subgraph. */
  parentRunId?: string;
  start: number;
  end: number;
  durationMs: number;
  status: RunStatus;
  tasks: number;
  supersteps: SuperstepSummary[];
  /**
   * Wall time within the run with at least one checkpointer operation in flight (the union of their
   * intervals). A saver that writes in the background keeps operations in flight while nodes run, so
   * for it this is latency, not all of it time the run waited.
   */
  checkpointMs: number;
  checkpointOps: number;
}

export interface StatePoint {
  threadId?: string;
  checkpointNs: string;
  step?: number;
  at: number;
  /** Serialized bytes of the checkpoint written by this put (through the saver's serde). */
  bytes: number;
  /** Estimated JSON bytes of each channel, carried forward from earlier puts when unchanged. */
  channelBytes: Record<string, number>;
}

export interface ProfileSummary {
  /** performance.now() bounds of what was recorded. */
  start: number;
  end: number;
  totals: {
    graphRuns: number;
    runMs: number;
    nodeSelfMs: number;
    modelMs: number;
    toolMs: number;
    checkpointMs: number;
    /** checkpointMs / runMs of top-level runs (0..1); checkpointMs as in GraphRunSummary; ops outside any run are not counted. */
    checkpointShare: number;
    droppedRecords: number;
  };
  graphRuns: GraphRunSummary[];
  nodes: NodeSummary[];
  models: ModelSummary[];
  tools: ToolSummary[];
  checkpoints: CheckpointSummary[];
  stateSizes: StatePoint[];
}

const durationOf = (r: { start: number; end?: number }, now: number) => (r.end ?? now) - r.start;

export function distribution(durations: number[]): Distribution {
  const sorted = [...durations].sort((a, b) => a - b);
  const n = sorted.length;
  const total = sorted.reduce((s, d) => s + d, 0);
  const rank = (p: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]);
  return { count: n, totalMs: total, meanMs: n ? total / n : 0, p50Ms: rank(0.5), p99Ms: rank(0.99), maxMs: n ? sorted[n - 1] : 0 };
}

/** Length of the union of [start, end) intervals. */
export function unionLength(intervals: Array<[number, number]>): number {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let curStart = Number.NEGATIVE_INFINITY;
  let curEnd = Number.NEGATIVE_INFINITY;
  for (const [a, b] of sorted) {
    if (a > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = a;
      curEnd = b;
    } else if (b > curEnd) curEnd = b;
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

function maxOverlap(intervals: Array<[number, number]>): number {
  const events = intervals.flatMap(([a, b]) => [
    [a, 1],
    [b, -1],
  ]);
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let cur = 0;
  let best = 0;
  for (const [, d] of events) {
    cur += d;
    best = Math.max(best, cur);
  }
  return best;
}

interface TaskTimes {
  model: number;
  tool: number;
  subgraph: number;
  checkpoint: number;
  self: number;
}

/** LangGraph's task id from a task's checkpoint_ns ("node:taskId", nested "parent:id|node:taskId"). */
const taskIdOf = (taskKey: string) => {
  const last = taskKey.slice(taskKey.lastIndexOf("|") + 1);
  return last.slice(last.indexOf(":") + 1);
};

function taskTimes(raw: RawProfile, now: number): Map<string, TaskTimes> {
  type Spans = Array<[number, number]>;
  const nested = new Map<string, { model: Spans; tool: Spans; sub: Spans; cp: Spans }>();
  const slot = (taskId: string) => {
    let s = nested.get(taskId);
    if (!s) {
      s = { model: [], tool: [], sub: [], cp: [] };
      nested.set(taskId, s);
    }
    return s;
  };
  for (const m of raw.modelCalls) if (m.taskId) slot(m.taskId).model.push([m.start, m.end ?? now]);
  for (const t of raw.toolCalls) if (t.taskId) slot(t.taskId).tool.push([t.start, t.end ?? now]);
  for (const g of raw.graphRuns) if (g.parentTaskId) slot(g.parentTaskId).sub.push([g.start, g.end ?? now]);
  const writesByTask = groupBy(
    raw.checkpointOps.filter((o) => o.op === "putWrites" && o.taskId),
    (o) => o.taskId as string,
  );
  const out = new Map<string, TaskTimes>();
  for (const task of raw.tasks) {
    const end = task.end ?? now;
    const writes = (writesByTask.get(taskIdOf(task.taskKey)) ?? [])
      .map((o): [number, number] => [Math.max(o.start, task.start), Math.min(o.end ?? now, end)])
      .filter(([a, b]) => b > a);
    const s = nested.get(task.id);
    const duration = end - task.start;
    if (!s && writes.length === 0) {
      out.set(task.id, { model: 0, tool: 0, subgraph: 0, checkpoint: 0, self: duration });
      continue;
    }
    const n = s ?? { model: [], tool: [], sub: [], cp: [] };
    const all = unionLength([...n.model, ...n.tool, ...n.sub, ...writes]);
    out.set(task.id, {
      model: unionLength(n.model),
      tool: unionLength(n.tool),
      subgraph: unionLength(n.sub),
      checkpoint: unionLength(writes),
      self: Math.max(0, duration - all),
    });
  }
  return out;
}

function summarizeNodes(tasks: TaskRecord[], times: Map<string, TaskTimes>, now: number): NodeSummary[] {
  const out: NodeSummary[] = [];
  for (const [node, list] of groupBy(
    tasks.filter((t) => !t.hidden),
    (t) => t.node,
  )) {
    const t = list.map((x) => times.get(x.id) as TaskTimes);
    out.push({
      node,
      ...distribution(list.map((x) => durationOf(x, now))),
      tasks: new Set(list.map((x) => `${x.graphRunId}|${x.taskKey}`)).size,
      retries: list.filter((x) => x.attempt > 1).length,
      errors: list.filter((x) => x.status === "error").length,
      interrupts: list.filter((x) => x.status === "interrupted").length,
      selfMs: t.reduce((s, x) => s + x.self, 0),
      modelMs: t.reduce((s, x) => s + x.model, 0),
      toolMs: t.reduce((s, x) => s + x.tool, 0),
      subgraphMs: t.reduce((s, x) => s + x.subgraph, 0),
      checkpointMs: t.reduce((s, x) => s + x.checkpoint, 0),
      steps: [...new Set(list.map((x) => x.step))].sort((a, b) => a - b),
    });
  }
  return out.sort((a, b) => b.totalMs - a.totalMs);
}

function summarizeRuns(raw: RawProfile, now: number, opsByRun: Map<string, CheckpointOpRecord[]>): GraphRunSummary[] {
  const tasksByRun = groupBy(raw.tasks, (t) => t.graphRunId);
  const runOfTask = new Map(raw.tasks.map((t) => [t.id, t.graphRunId]));
  return raw.graphRuns.map((g) => {
    const tasks = tasksByRun.get(g.id) ?? [];
    const supersteps = [...groupBy(tasks, (t) => String(t.step))].map(([step, list]): SuperstepSummary => {
      const start = list.reduce((m, t) => Math.min(m, t.start), Number.POSITIVE_INFINITY);
      const end = list.reduce((m, t) => Math.max(m, t.end ?? now), Number.NEGATIVE_INFINITY);
      return {
        step: Number(step),
        start,
        end,
        durationMs: end - start,
        nodes: list.map((t) => t.node),
        parallelism: maxOverlap(list.map((t) => [t.start, t.end ?? now])),
      };
    });
    supersteps.sort((a, b) => a.step - b.step || a.start - b.start);
    const ops = opsByRun.get(g.id) ?? [];
    const end = g.end ?? now;
    const opSpans = ops.map((o): [number, number] => [Math.max(o.start, g.start), Math.min(o.end ?? now, end)]);
    return {
      id: g.id,
      name: g.name,
      threadId: g.threadId,
      parentRunId: g.parentTaskId ? runOfTask.get(g.parentTaskId) : undefined,
      start: g.start,
      end: g.end ?? now,
      durationMs: durationOf(g, now),
      status: g.status,
      tasks: tasks.filter((t) => !t.hidden).length,
      supersteps,
      checkpointMs: unionLength(opSpans),
      checkpointOps: ops.length,
    };
  });
}

/** Each checkpoint operation goes to the top-level graph run that was running when it started (same thread when known). */
function opsByTopLevelRun(raw: RawProfile): Map<string, CheckpointOpRecord[]> {
  const top = raw.graphRuns.filter((g) => !g.parentTaskId).sort((a, b) => a.start - b.start);
  const out = new Map<string, CheckpointOpRecord[]>();
  for (const op of raw.checkpointOps) {
    // The last run started at or before the op, then a few earlier ones (runs on other threads may interleave).
    let lo = 0;
    let hi = top.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (top[mid].start <= op.start) lo = mid + 1;
      else hi = mid - 1;
    }
    let run: GraphRunRecord | undefined;
    for (let i = hi; i >= 0 && i > hi - 64; i--) {
      const g = top[i];
      if ((g.end === undefined || op.start <= g.end) && (!op.threadId || !g.threadId || g.threadId === op.threadId)) {
        run = g;
        break;
      }
    }
    if (!run) continue;
    const list = out.get(run.id);
    if (list) list.push(op);
    else out.set(run.id, [op]);
  }
  return out;
}

function summarizeStateSizes(ops: CheckpointOpRecord[]): StatePoint[] {
  const last = new Map<string, Record<string, number>>();
  const out: StatePoint[] = [];
  for (const op of ops) {
    if (op.op !== "put" || op.status !== "ok") continue;
    const key = `${op.threadId ?? ""}|${op.checkpointNs}`;
    const channels = { ...last.get(key), ...op.channelBytes };
    last.set(key, channels);
    out.push({
      threadId: op.threadId,
      checkpointNs: op.checkpointNs,
      step: op.step,
      at: op.start,
      bytes: op.bytesWritten,
      channelBytes: channels,
    });
  }
  return out;
}

/** Aggregates raw records into per-node, per-model, per-tool and per-checkpoint-operation figures. */
export function summarize(raw: RawProfile, now: number, droppedRecords = 0): ProfileSummary {
  const times = taskTimes(raw, now);
  const nodes = summarizeNodes(raw.tasks, times, now);
  const opsByRun = opsByTopLevelRun(raw);
  const graphRuns = summarizeRuns(raw, now, opsByRun);

  const seenPrompts = new Set<string>();
  const repeated = new Set<string>();
  for (const m of raw.modelCalls) {
    if (seenPrompts.has(m.promptKey)) repeated.add(m.id);
    seenPrompts.add(m.promptKey);
  }
  const models = [...groupBy(raw.modelCalls, (m) => m.name)].map(([name, list]): ModelSummary => {
    const streamed = list.filter((m) => m.firstTokenAt !== undefined);
    return {
      name,
      ...distribution(list.map((m) => durationOf(m, now))),
      ttft: streamed.length ? distribution(streamed.map((m) => (m.firstTokenAt as number) - m.start)) : undefined,
      inputTokens: list.reduce((s, m) => s + (m.inputTokens ?? 0), 0),
      outputTokens: list.reduce((s, m) => s + (m.outputTokens ?? 0), 0),
      cacheHits: list.filter((m) => m.cache === "hit").length,
      cacheMisses: list.filter((m) => m.cache === "miss").length,
      errors: list.filter((m) => m.status === "error").length,
      rateLimited: list.filter((m) => m.rateLimited).length,
      rateLimitWaits: list.filter((m) => (m.rateLimitWaits ?? 0) > 0).length,
      rateLimitWaitMs: list.reduce((s, m) => s + (m.rateLimitWaitMs ?? 0), 0),
      retries: list.reduce((s, m) => s + (m.retries ?? 0), 0),
      retryWaitMs: list.reduce((s, m) => s + (m.retryWaitMs ?? 0), 0),
      repeatedPrompts: list.filter((m) => repeated.has(m.id)).length,
    };
  });
  const tools = [...groupBy(raw.toolCalls, (t) => t.name)].map(
    ([name, list]): ToolSummary => ({
      name,
      ...distribution(list.map((t) => durationOf(t, now))),
      errors: list.filter((t) => t.status === "error").length,
    }),
  );
  const checkpoints = [...groupBy(raw.checkpointOps, (o) => `${o.saver}\u0000${o.op}`)].map(([key, list]): CheckpointSummary => {
    const [saver, op] = key.split("\u0000");
    return {
      saver,
      op,
      ...distribution(list.map((o) => durationOf(o, now))),
      bytesWritten: list.reduce((s, o) => s + o.bytesWritten, 0),
      bytesRead: list.reduce((s, o) => s + o.bytesRead, 0),
      serializeMs: list.reduce((s, o) => s + o.serializeMs, 0),
      deserializeMs: list.reduce((s, o) => s + o.deserializeMs, 0),
      errors: list.filter((o) => o.status === "error").length,
    };
  });

  const topRuns = graphRuns.filter((g) => !g.parentRunId);
  const runMs = topRuns.reduce((s, g) => s + g.durationMs, 0);
  const checkpointMs = topRuns.reduce((s, g) => s + g.checkpointMs, 0);
  const all = [...raw.graphRuns, ...raw.tasks, ...raw.modelCalls, ...raw.toolCalls, ...raw.checkpointOps];
  return {
    start: all.reduce((m, r) => Math.min(m, r.start), all.length ? Number.POSITIVE_INFINITY : now),
    end: all.reduce((m, r) => Math.max(m, r.end ?? now), all.length ? Number.NEGATIVE_INFINITY : now),
    totals: {
      graphRuns: topRuns.length,
      runMs,
      nodeSelfMs: nodes.reduce((s, n) => s + n.selfMs, 0),
      modelMs: unionLength(raw.modelCalls.map((m) => [m.start, m.end ?? now])),
      toolMs: unionLength(raw.toolCalls.map((t) => [t.start, t.end ?? now])),
      checkpointMs,
      checkpointShare: runMs > 0 ? checkpointMs / runMs : 0,
      droppedRecords,
    },
    graphRuns,
    nodes,
    models: models.sort((a, b) => b.totalMs - a.totalMs),
    tools: tools.sort((a, b) => b.totalMs - a.totalMs),
    checkpoints: checkpoints.sort((a, b) => b.totalMs - a.totalMs),
    stateSizes: summarizeStateSizes(raw.checkpointOps),
  };
}
