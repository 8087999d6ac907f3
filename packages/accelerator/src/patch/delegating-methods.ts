import type { RunnableConfig } from "@langchain/core/runnables";
import type {
  BaseCheckpointSaver,
  ChannelVersions,
  Checkpoint,
  CheckpointListOptions,
  CheckpointMetadata,
  PendingWrite,
} from "@langchain/langgraph-checkpoint";

type Method = (...args: never[]) => unknown;
export type DelegatedMethod = "getTuple" | "list" | "put" | "putWrites" | "deleteThread" | "getDeltaChannelHistory";

/**
 * The checkpointer methods a patched LangGraph saver class gets: each call goes to the Rust saver that
 * `storeOf` gives for the instance, or to the class's own method when it gives none.
 */
export function delegatingSaverMethods<Instance extends object>(
  storeOf: (saver: Instance) => BaseCheckpointSaver | null | Promise<BaseCheckpointSaver | null>,
  originals: Record<DelegatedMethod, Method>,
) {
  const via = <A extends unknown[], R>(name: DelegatedMethod, run: (store: BaseCheckpointSaver, ...args: A) => Promise<R>) =>
    async function (this: Instance, ...args: A): Promise<R> {
      const store = await storeOf(this);
      return store ? run(store, ...args) : (originals[name] as unknown as (...a: A) => Promise<R>).apply(this, args);
    };
  return {
    getTuple: via("getTuple", (s, config: RunnableConfig) => s.getTuple(config)),
    list: async function* (this: Instance, config: RunnableConfig, options?: CheckpointListOptions) {
      const store = await storeOf(this);
      yield* store ? store.list(config, options) : (originals.list as unknown as BaseCheckpointSaver["list"]).call(this, config, options);
    },
    put: via("put", (s, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions) =>
      s.put(config, checkpoint, metadata, newVersions),
    ),
    putWrites: via("putWrites", (s, config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string) =>
      s.putWrites(config, writes, taskId, taskPath),
    ),
    deleteThread: via("deleteThread", (s, threadId: string) => s.deleteThread(threadId)),
    getDeltaChannelHistory: via("getDeltaChannelHistory", (s, options: { config: RunnableConfig; channels: string[] }) =>
      s.getDeltaChannelHistory(options),
    ),
  };
}
