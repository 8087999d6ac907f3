import type { RunnableConfig } from "@langchain/core/runnables";
import type { Checkpoint, CheckpointListOptions } from "@langchain/langgraph-checkpoint";

/**
 * MemorySaver's key guard and its errors for a missing key (@langchain/langgraph-checkpoint 1.2.2, the
 * floor of the supported range and its only release so far): the keys it uses as property names must be non-empty strings other than
 * the three that reach Object.prototype. The patched MemorySaver runs these checks where and in the
 * order MemorySaver runs them, with its messages, so a key MemorySaver refuses is refused the same way
 * (test/patch/memory-saver-keys.test.ts holds them against the installed MemorySaver).
 */
const RESERVED = new Set(["__proto__", "constructor", "prototype"]);

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  return Array.isArray(value) ? "array" : typeof value;
}

/** Throws MemorySaver's error for a key it refuses; `allowEmpty` for checkpoint_ns. */
export function checkKey(field: string, value: unknown, allowEmpty = false): void {
  if (typeof value !== "string") {
    throw new Error(
      `Invalid configurable value for key "${field}": expected a string identifier (got ${kindOf(value)}). This guard protects MemorySaver from prototype pollution.`,
    );
  }
  if (!allowEmpty && value === "") {
    throw new Error(`Invalid configurable value for key "${field}": empty string is not permitted as an in-memory storage key.`);
  }
  if (RESERVED.has(value)) {
    throw new Error(
      `Invalid configurable value for key "${field}": value "${value}" is reserved (would mutate Object.prototype). This guard protects MemorySaver from prototype pollution.`,
    );
  }
}

export function checkGetTupleKeys(config: RunnableConfig): void {
  const c = config.configurable;
  if (c?.thread_id !== undefined) checkKey("thread_id", c.thread_id);
  checkKey("checkpoint_ns", c?.checkpoint_ns ?? "", true);
  const id = c?.checkpoint_id || c?.thread_ts || "";
  if (id) checkKey("checkpoint_id", id);
}

export function checkListKeys(config: RunnableConfig, options?: CheckpointListOptions): void {
  const c = config.configurable;
  if (c?.thread_id !== undefined) checkKey("thread_id", c.thread_id);
  if (c?.checkpoint_ns !== undefined) checkKey("checkpoint_ns", c.checkpoint_ns, true);
  if (c?.checkpoint_id) checkKey("checkpoint_id", c.checkpoint_id);
  const before = options?.before?.configurable?.checkpoint_id;
  if (before) checkKey("checkpoint_id", before);
}

const MISSING_THREAD =
  'The passed RunnableConfig is missing a required "thread_id" field in its "configurable" property. When using a checkpointer, you must pass a "thread_id" so the checkpointer knows which conversation thread to persist state for. Example: graph.stream(input, { configurable: { thread_id: "my-thread-id" } })';

/** A checkpoint that is not an object is left to the store (MemorySaver fails on it before any key). */
export function checkPutKeys(config: RunnableConfig, checkpoint: Checkpoint): void {
  if (checkpoint === null || typeof checkpoint !== "object") return;
  const c = config.configurable;
  if (c?.thread_id === undefined) throw new Error(`Failed to put checkpoint. ${MISSING_THREAD}`);
  checkKey("thread_id", c.thread_id);
  checkKey("checkpoint_ns", c.checkpoint_ns ?? "", true);
  checkKey("checkpoint_id", checkpoint.id);
}

/** MemorySaver's putWrites has no default namespace: an undefined checkpoint_ns is refused. */
export function checkPutWritesKeys(config: RunnableConfig, taskId: unknown): void {
  const c = config.configurable;
  if (c?.thread_id === undefined) throw new Error(`Failed to put writes. ${MISSING_THREAD}`);
  if (c.checkpoint_id === undefined) {
    throw new Error(
      'Failed to put writes. The passed RunnableConfig is missing a required "checkpoint_id" field in its "configurable" property.',
    );
  }
  checkKey("thread_id", c.thread_id);
  checkKey("checkpoint_ns", c.checkpoint_ns, true);
  checkKey("checkpoint_id", c.checkpoint_id);
  checkKey("task_id", taskId);
}

export function checkDeltaHistoryKeys(config: RunnableConfig, channels: string[]): void {
  if (channels.length === 0) return;
  const c = config.configurable;
  if (c?.thread_id !== undefined) checkKey("thread_id", c.thread_id);
  checkKey("checkpoint_ns", c?.checkpoint_ns ?? "", true);
}
