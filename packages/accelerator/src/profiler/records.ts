/**
 * Raw records the profiler keeps while graphs run. Times are milliseconds from `performance.now()`
 * (the process's monotonic clock); nothing is aggregated while recording.
 */

export type RunStatus = "running" | "ok" | "error" | "interrupted";

/** One run of a compiled graph (a Pregel run), top level or a subgraph. */
export interface GraphRunRecord {
  id: string;
  name: string;
  /** The node task that ran this graph as a subgraph; undefined at top level. */
  parentTaskId?: string;
  threadId?: string;
  start: number;
  end?: number;
  status: RunStatus;
  error?: string;
}

/** One attempt of one node task (LangGraph's `langgraph_node` at `langgraph_step`). */
export interface TaskRecord {
  id: string;
  graphRunId: string;
  node: string;
  step: number;
  triggers: string[];
  /** LangGraph's `checkpoint_ns` of the task: the same for every attempt (retries) of one task. */
  taskKey: string;
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
  /** LangGraph's own tasks (`__start__`), tagged `langsmith:hidden`. */
  hidden: boolean;
  start: number;
  end?: number;
  status: RunStatus;
  error?: string;
}

export interface ModelCallRecord {
  id: string;
  name: string;
  /** LangChain's `ls_model_name` / `ls_provider` metadata, when the model gives them. */
  model?: string;
  provider?: string;
  /** The node task that made the call, if any. */
  taskId?: string;
  graphRunId?: string;
  start: number;
  end?: number;
  /** Time of the first streamed token (handleLLMNewToken), when the model streamed. */
  firstTokenAt?: number;
  tokens: number;
  inputTokens?: number;
  outputTokens?: number;
  /**
   * The model's cache answered ("hit") or was asked and had nothing ("miss"); undefined when no cache
   * was asked (no cache configured). Hits: @langchain/core's `cached` flag and withLLMCache; misses:
   * withLLMCache, and LangChain's model cache (`cache` option, e.g. InMemoryCache or RustLLMCache) seen
   * through `BaseChatModel.prototype._generateCached` (cache-lookup.ts).
   */
  cache?: "hit" | "miss";
  /** Waits for the resilience layer's rate limiter (withResilience) before this call's attempts: how many were longer than 0 ms, and their total ms. */
  rateLimitWaits?: number;
  rateLimitWaitMs?: number;
  /** Retries by the resilience layer inside this call (one LangChain run), and their backoff ms. */
  retries?: number;
  retryWaitMs?: number;
  /** A 64-bit key of the prompt (roles and contents, callback-handler.ts promptKey), for detecting repeated prompts. */
  promptKey: string;
  status: RunStatus;
  error?: string;
  /** The error looked like a rate limit (HTTP 429 or "rate limit" in its message). */
  rateLimited?: boolean;
}

export interface ToolCallRecord {
  id: string;
  name: string;
  taskId?: string;
  graphRunId?: string;
  start: number;
  end?: number;
  status: RunStatus;
  error?: string;
}

export type CheckpointOp = "getTuple" | "put" | "putWrites" | "list";

export interface CheckpointOpRecord {
  op: CheckpointOp;
  /** Class name of the saver. */
  saver: string;
  threadId?: string;
  checkpointNs: string;
  start: number;
  end?: number;
  /** Bytes produced by the saver's `serde.dumpsTyped` inside this operation. */
  bytesWritten: number;
  /** Bytes given to the saver's `serde.loadsTyped` inside this operation. */
  bytesRead: number;
  /** Milliseconds spent in `serde.dumpsTyped` / `serde.loadsTyped` inside this operation. */
  serializeMs: number;
  deserializeMs: number;
  /** `put` only: the checkpoint's step (metadata.step) and estimated bytes per channel changed in it. */
  step?: number;
  channelBytes?: Record<string, number>;
  /** `putWrites` only: LangGraph's task id (its third argument). */
  taskId?: string;
  /** `list` only: tuples yielded. */
  items?: number;
  status: "ok" | "error";
}

/** Everything recorded, as `toJSON().raw` gives it. */
export interface RawProfile {
  graphRuns: GraphRunRecord[];
  tasks: TaskRecord[];
  modelCalls: ModelCallRecord[];
  toolCalls: ToolCallRecord[];
  checkpointOps: CheckpointOpRecord[];
}

export function emptyProfile(): RawProfile {
  return { graphRuns: [], tasks: [], modelCalls: [], toolCalls: [], checkpointOps: [] };
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 300);
  return String(err).slice(0, 300);
}
