import type { ChannelHistoryRow, TupleRow, WriteRow } from "@fast-langgraph/native";

import { checkStorableKey, decodeKey, encodeKey } from "../utf16-keys";
import type { CheckpointStoreCalls } from "./native-checkpoint-saver";

/**
 * How keys (thread ids, namespaces, checkpoint and task ids, task paths) cross into a store:
 * - "encode": losslessly (see utf16-keys.ts), for layouts only our savers read;
 * - a store name: checked, and refused with an error naming the field when that store's text cannot
 *   hold them, for layouts the official savers share (they would silently merge such keys).
 * Channel names are always checked: they are the checkpoint's JSON keys, which the engines read.
 */
export type KeyPolicy = "encode" | { store: string; allowNul: boolean };

export interface KeyCodec {
  key(value: string, what: string): string;
  optionalKey(value: string | undefined | null, what: string): string | undefined;
  channel(value: string): string;
  decode(value: string): string;
}

export function keyCodec(policy: KeyPolicy, label: string): KeyCodec {
  const fail = (error: unknown): never => {
    throw new Error(`${label}: ${(error as Error).message}`);
  };
  const check = (value: string, what: string, store: string, allowNul: boolean) => {
    try {
      checkStorableKey(value, what, store, allowNul);
    } catch (error) {
      fail(error);
    }
    return value;
  };
  const store = policy === "encode" ? "the store's" : policy.store;
  const key =
    policy === "encode"
      ? (value: string) => encodeKey(value)
      : (value: string, what: string) => check(value, what, policy.store, policy.allowNul);
  return {
    key,
    optionalKey: (value, what) => (value === undefined || value === null ? undefined : key(value, what)),
    channel: (value) => check(value, "channel name", store, policy === "encode" ? true : policy.allowNul),
    decode: policy === "encode" ? decodeKey : (value) => value,
  };
}

function decodeWrite(codec: KeyCodec, w: WriteRow): WriteRow {
  return { ...w, taskId: codec.decode(w.taskId), taskPath: codec.decode(w.taskPath) };
}

function decodeRow(codec: KeyCodec, row: TupleRow): TupleRow {
  return {
    ...row,
    threadId: codec.decode(row.threadId),
    checkpointNs: codec.decode(row.checkpointNs),
    checkpointId: codec.decode(row.checkpointId),
    parentCheckpointId: row.parentCheckpointId === undefined ? undefined : codec.decode(row.parentCheckpointId),
    values: row.values.map((v) => ({ ...v, ownerId: codec.decode(v.ownerId) })),
    writes: row.writes.map((w) => decodeWrite(codec, w)),
  };
}

/** The store's calls with every key encoded (or checked) on the way in and decoded on the way out. */
export function keyedCalls(calls: CheckpointStoreCalls, codec: KeyCodec): CheckpointStoreCalls {
  const k = codec.key;
  return {
    put: (req) =>
      calls.put({
        ...req,
        threadId: k(req.threadId, "thread_id"),
        checkpointNs: k(req.checkpointNs, "checkpoint_ns"),
        checkpointId: k(req.checkpointId, "checkpoint_id"),
        parentCheckpointId: codec.optionalKey(req.parentCheckpointId, "parent checkpoint_id"),
        blobs: req.blobs.map((b) => ({
          ...b,
          channel: codec.channel(b.channel),
          baseOwnerId: codec.optionalKey(b.baseOwnerId, "checkpoint_id"),
        })),
        carriedChannels: req.carriedChannels.map(codec.channel),
        changedChannels: req.changedChannels?.map(codec.channel),
        valuedChannels: req.valuedChannels?.map(codec.channel),
        verifiedChannels: req.verifiedChannels?.map(codec.channel),
        verifiedRows: req.verifiedRows?.map((r) => ({ ...r, channel: codec.channel(r.channel), ownerId: k(r.ownerId, "checkpoint_id") })),
      }),
    putWrites: (req) =>
      calls.putWrites({
        ...req,
        threadId: k(req.threadId, "thread_id"),
        checkpointNs: k(req.checkpointNs, "checkpoint_ns"),
        checkpointId: k(req.checkpointId, "checkpoint_id"),
        taskId: k(req.taskId, "task_id"),
        taskPath: k(req.taskPath, "task_path"),
        writes: req.writes.map((w) => ({ ...w, channel: codec.channel(w.channel) })),
      }),
    getTuple: async (threadId, ns, id) => {
      const row = await calls.getTuple(k(threadId, "thread_id"), k(ns, "checkpoint_ns"), id === null ? null : k(id, "checkpoint_id"));
      return row && decodeRow(codec, row);
    },
    list: async (req) => {
      const rows = await calls.list({
        ...req,
        threadId: codec.optionalKey(req.threadId, "thread_id"),
        checkpointNs: codec.optionalKey(req.checkpointNs, "checkpoint_ns"),
        before: codec.optionalKey(req.before, "checkpoint_id"),
      });
      return rows.map((r) => decodeRow(codec, r));
    },
    deleteThread: (threadId) => calls.deleteThread(k(threadId, "thread_id")),
    deltaChannelHistory: async (threadId, ns, id, channels) => {
      const rows: ChannelHistoryRow[] = await calls.deltaChannelHistory(
        k(threadId, "thread_id"),
        k(ns, "checkpoint_ns"),
        k(id, "checkpoint_id"),
        channels.map(codec.channel),
      );
      return rows.map((r) => ({ ...r, writes: r.writes.map((w) => decodeWrite(codec, w)) }));
    },
    pendingWrites: async (threadId, ns, id) =>
      (await calls.pendingWrites(k(threadId, "thread_id"), k(ns, "checkpoint_ns"), k(id, "checkpoint_id"))).map((w) =>
        decodeWrite(codec, w),
      ),
  };
}
