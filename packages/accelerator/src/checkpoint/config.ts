import type { RunnableConfig } from "@langchain/core/runnables";

export interface CheckpointTarget {
  threadId: string;
  checkpointNs: string;
  checkpointId?: string;
}

const HINT = 'Pass it as graph.invoke(input, { configurable: { thread_id: "..." } }) so the saver knows which thread to store.';

/** Reads thread, namespace and checkpoint id; `operation` names the call in the error. */
export function checkpointTarget(config: RunnableConfig, operation: string, saver = "RustSqliteSaver"): CheckpointTarget {
  const configurable = config?.configurable;
  if (configurable === undefined || configurable === null) {
    throw new Error(`${saver}.${operation}: config.configurable is missing. ${HINT}`);
  }
  const threadId = configurable.thread_id;
  if (threadId === undefined || threadId === null || threadId === "") {
    throw new Error(`${saver}.${operation}: config.configurable.thread_id is missing. ${HINT}`);
  }
  const checkpointNs = configurable.checkpoint_ns ?? "";
  const checkpointId = configurable.checkpoint_id ?? undefined;
  return { threadId: String(threadId), checkpointNs: String(checkpointNs), checkpointId: checkpointId && String(checkpointId) };
}

export function checkpointConfig(threadId: string, checkpointNs: string, checkpointId: string): RunnableConfig {
  return { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: checkpointId } };
}
