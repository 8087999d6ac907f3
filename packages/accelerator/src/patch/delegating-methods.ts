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

type Store = BaseCheckpointSaver | null;
type Serde = BaseCheckpointSaver["serde"];

/**
 * Copies of a call's arguments as they are now, for a call that must wait for its store: the saver
 * it replaces serializes inside the call, before LangGraph goes on changing the objects (it assigns
 * message ids in place, nodes push into state). The serializer's stringify runs synchronously here;
 * the copies are revived when the store is ready.
 */
function frozen(serde: Serde, values: unknown[]): () => Promise<unknown[]> {
  const dumped = values.map((v) => (v !== null && typeof v === "object" ? serde.dumpsTyped(v) : undefined));
  for (const d of dumped) d?.catch(() => {});
  return async () =>
    Promise.all(
      values.map(async (v, i) => {
        const d = dumped[i];
        if (d === undefined) return v;
        const [type, bytes] = await d;
        return serde.loadsTyped(type, bytes);
      }),
    );
}

/**
 * The checkpointer methods a patched LangGraph saver class gets: each call goes to the Rust saver that
 * `storeOf` gives for the instance, or to the class's own method when it gives none. Once `storeOf`
 * knows its answer it gives it synchronously, so a call reaches the saver in the same turn, as an
 * unpatched call would; the first calls, made while it is still deciding, wait with frozen copies.
 */
/** Told when a call starts on a Rust store and when it has settled (so a store can end once idle). */
export interface CallTracker {
  begin(store: BaseCheckpointSaver): void;
  end(store: BaseCheckpointSaver): void;
}

function tracked<R>(tracker: CallTracker | undefined, store: BaseCheckpointSaver, call: () => Promise<R>): Promise<R> {
  if (!tracker) return call();
  tracker.begin(store);
  let result: Promise<R>;
  try {
    result = call();
  } catch (error) {
    tracker.end(store);
    throw error;
  }
  const done = () => tracker.end(store);
  result.then(done, done);
  return result;
}

export function delegatingSaverMethods<Instance extends { serde: Serde }>(
  storeOf: (saver: Instance) => Store | Promise<Store>,
  originals: Record<DelegatedMethod, Method>,
  tracker?: CallTracker,
) {
  const via = <A extends unknown[], R>(
    name: DelegatedMethod,
    run: (store: BaseCheckpointSaver, ...args: A) => Promise<R>,
    freeze?: (args: A) => number[],
  ) =>
    function (this: Instance, ...args: A): Promise<R> {
      const original = originals[name] as unknown as (...a: A) => Promise<R>;
      const store = storeOf(this);
      if (!(store instanceof Promise)) return store ? tracked(tracker, store, () => run(store, ...args)) : original.apply(this, args);
      const positions = freeze?.(args) ?? [];
      const thaw = frozen(
        this.serde,
        positions.map((p) => args[p]),
      );
      return store.then(async (ready) => {
        const copies = await thaw();
        const final = [...args] as A;
        positions.forEach((p, i) => {
          final[p] = copies[i];
        });
        return ready ? tracked(tracker, ready, () => run(ready, ...final)) : original.apply(this, final);
      });
    };
  return {
    getTuple: via("getTuple", (s, config: RunnableConfig) => s.getTuple(config)),
    list: async function* (this: Instance, config: RunnableConfig, options?: CheckpointListOptions) {
      const store = await storeOf(this);
      if (!store) {
        yield* (originals.list as unknown as BaseCheckpointSaver["list"]).call(this, config, options);
        return;
      }
      tracker?.begin(store);
      try {
        yield* store.list(config, options);
      } finally {
        tracker?.end(store);
      }
    },
    put: via(
      "put",
      (s, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions) =>
        s.put(config, checkpoint, metadata, newVersions),
      () => [1, 2],
    ),
    putWrites: via(
      "putWrites",
      (s, config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string) =>
        s.putWrites(config, writes, taskId, taskPath),
      () => [1],
    ),
    deleteThread: via("deleteThread", (s, threadId: string) => s.deleteThread(threadId)),
    getDeltaChannelHistory: via("getDeltaChannelHistory", (s, options: { config: RunnableConfig; channels: string[] }) =>
      s.getDeltaChannelHistory(options),
    ),
  };
}
