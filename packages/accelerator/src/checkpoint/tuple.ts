import type { Checkpoint, CheckpointPendingWrite, CheckpointTuple, SerializerProtocol } from "@langchain/langgraph-checkpoint";
import { TASKS, maxChannelVersion } from "@langchain/langgraph-checkpoint";
import type { TupleRow, WriteRow } from "@fast-langgraph/native";

import { inKeyOrder } from "./channel-order";
import { checkpointConfig } from "./config";
import { DecodedLists, LIST_UPSTREAM } from "./decoded-lists";
import { countDecoded, countUpstream, decoderFor, loadTyped, upstreamLoadsTyped } from "./json-plus-copies";
import type { ListParts } from "./value-snapshot";

/** Where a pre-v4 checkpoint's pending sends are read from: its parent's writes. */
export interface PendingWritesSource {
  pendingWrites(threadId: string, checkpointNs: string, checkpointId: string): Promise<WriteRow[]>;
}

export async function loadWrites(serde: SerializerProtocol, writes: WriteRow[]): Promise<CheckpointPendingWrite[]> {
  return Promise.all(
    writes.map(async (w): Promise<CheckpointPendingWrite> => [w.taskId, w.channel, await loadTyped(serde, w.kind, w.value)]),
  );
}

/**
 * How a pre-v4 checkpoint gets the pending sends its parent kept as writes: "always" (the official
 * SqliteSaver: an empty list when there were none) or "when-sent" (PostgresSaver: only when there were).
 */
export type PendingSendsRule = "always" | "when-sent";

/** Checkpoints older than v4 kept pending sends as writes of the parent; v4 keeps them in channel_values. */
async function migratePendingSends(
  store: PendingWritesSource,
  serde: SerializerProtocol,
  checkpoint: Checkpoint,
  row: TupleRow,
  rule: PendingSendsRule,
): Promise<void> {
  const parentWrites = await store.pendingWrites(row.threadId, row.checkpointNs, row.parentCheckpointId as string);
  const sends = parentWrites.filter((w) => w.channel === TASKS);
  if (sends.length === 0 && rule === "when-sent") return;
  checkpoint.channel_values ??= {};
  checkpoint.channel_values[TASKS] = await Promise.all(sends.map((w) => loadTyped(serde, w.kind, w.value)));
  const versions = Object.values(checkpoint.channel_versions);
  checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : 1;
}

/** Called with each channel value loaded from our layout, and the checkpoint id that stored it. */
export type OnValueLoaded = (
  row: TupleRow,
  channel: string,
  ownerId: string,
  value: unknown,
  version: string,
  /** The JSON bytes the value was decoded from. */
  data: Uint8Array,
  /** The value's shadow in parts, when decoded-lists.ts knows it (a list of fresh copies). */
  parts?: ListParts,
  /** The owner row's write token, when the store has them (ValueRow.rowToken). */
  rowToken?: string,
) => void;

/**
 * Pending writes come back in `writesSortKey` order, as LangGraph specifies; "official" keeps the order
 * the official SqliteSaver returns (its primary key: task id, then index), so that a patched SqliteSaver
 * returns exactly what the unpatched one would.
 */
export type WritesOrder = "writesSortKey" | "official";

function byTaskIdThenIndex(a: WriteRow, b: WriteRow): number {
  const ta = Buffer.from(a.taskId);
  const tb = Buffer.from(b.taskId);
  return Buffer.compare(ta, tb) || a.idx - b.idx;
}

export interface ReadRules {
  /** getTuple by id returns the caller's config object as the tuple's config (MemorySaver, SqliteSaver). */
  callerConfig?: boolean;
  writesOrder: WritesOrder;
  pendingSends: PendingSendsRule;
  /**
   * A value stored as raw bytes ("bytes" kind) is handed to the serde as a plain Uint8Array, as MemorySaver
   * and SqliteSaver return it, instead of the Buffer the engine returns (PostgresSaver's bytea reads are Buffers).
   */
  plainBytes?: boolean;
  /**
   * A checkpoint whose stored JSON lacks `channel_versions` or `versions_seen` (or holds null) reads
   * them as `{}`, as PostgresSaver's `_loadCheckpoint` does (rows another tool wrote, older rows).
   */
  versionDefaults?: boolean;
}

export async function rowToTuple(
  store: PendingWritesSource,
  serde: SerializerProtocol,
  row: TupleRow,
  rules: ReadRules,
  onValueLoaded?: OnValueLoaded,
  lists?: DecodedLists,
): Promise<CheckpointTuple> {
  const { writesOrder, pendingSends } = rules;
  const writes = writesOrder === "official" ? [...row.writes].sort(byTaskIdThenIndex) : row.writes;
  const [checkpoint, metadata, pendingWrites] = await Promise.all([
    loadTyped(serde, row.kind, row.checkpoint) as Checkpoint | Promise<Checkpoint>,
    loadTyped(serde, row.kind, row.metadata) as CheckpointTuple["metadata"],
    loadWrites(serde, writes),
  ]);
  if (rules.versionDefaults && checkpoint !== null && typeof checkpoint === "object") {
    // In PostgresSaver's order: the stored keys, then these two, then channel_values (below).
    checkpoint.channel_versions ??= {};
    checkpoint.versions_seen ??= {};
  }
  if (row.layout === "native") {
    const decoder = lists ? decoderFor(serde) : undefined;
    const parts: Array<ListParts | undefined> = [];
    const values = await Promise.all(
      row.values.map((v, i) => {
        // A list this saver decoded before for the thread: only its appended elements are decoded.
        const list =
          decoder && lists && v.kind === "json"
            ? lists.load(DecodedLists.key(row.threadId, row.checkpointNs, v.channel), decoder, v.data)
            : undefined;
        if (list === LIST_UPSTREAM) {
          // The decoder just declined these bytes: upstream's code, without decoding them again.
          countUpstream();
          return upstreamLoadsTyped(serde, v.kind, v.data);
        }
        if (list) {
          countDecoded();
          parts[i] = list.parts;
          return list.value;
        }
        return loadTyped(serde, v.kind, rules.plainBytes && v.kind === "bytes" ? new Uint8Array(v.data) : v.data);
      }),
    );
    const head = checkpoint.channel_values as unknown;
    const order = head !== null && typeof head === "object" ? Object.keys(head) : [];
    checkpoint.channel_values = Object.fromEntries(
      inKeyOrder(
        order,
        row.values.map((v, i) => [v.channel, values[i]]),
      ),
    );
    if (onValueLoaded) {
      row.values.forEach((v, i) => {
        if (v.ownerId !== "")
          onValueLoaded(
            row,
            v.channel,
            v.ownerId,
            values[i],
            String(checkpoint.channel_versions[v.channel]),
            v.data,
            parts[i],
            v.rowToken ?? undefined,
          );
      });
    }
  }
  if (checkpoint.v < 4 && row.parentCheckpointId) {
    await migratePendingSends(store, serde, checkpoint, row, pendingSends);
  }
  return {
    config: checkpointConfig(row.threadId, row.checkpointNs, row.checkpointId),
    checkpoint,
    metadata,
    parentConfig: row.parentCheckpointId ? checkpointConfig(row.threadId, row.checkpointNs, row.parentCheckpointId) : undefined,
    pendingWrites,
  };
}
