import type { SqliteCheckpointStore, TupleRow } from "@fast-langgraph/native";

import { injectChannelValues } from "../checkpoint/official-checkpoint";
import { decodeKey, encodeKey } from "../utf16-keys";

type Bytes = Uint8Array;

/** A LangGraph MemorySaver's own storage: serialized checkpoints and pending writes. */
export interface MemorySaverData {
  storage: Record<string, Record<string, Record<string, [Bytes, Bytes, string | undefined]>>>;
  writes: Record<string, Record<string, [string, string, Bytes, string?]>>;
}

/** Copies a MemorySaver's threads into the store, byte for byte, as official-layout rows. */
export function importMemorySaverData(store: SqliteCheckpointStore, data: MemorySaverData): void {
  if (Object.keys(data.storage).length === 0 && Object.keys(data.writes).length === 0) return;
  store.ensureOfficialTables();
  for (const [threadId, namespaces] of Object.entries(data.storage)) {
    for (const [checkpointNs, checkpoints] of Object.entries(namespaces)) {
      for (const [checkpointId, [checkpoint, metadata, parent]] of Object.entries(checkpoints)) {
        store.putOfficialSync({
          threadId: encodeKey(threadId),
          checkpointNs: encodeKey(checkpointNs),
          checkpointId: encodeKey(checkpointId),
          parentCheckpointId: parent === undefined || parent === null ? undefined : encodeKey(parent),
          kind: "json",
          checkpoint: Buffer.from(checkpoint),
          metadata: Buffer.from(metadata),
        });
      }
    }
  }
  for (const [outerKey, entries] of Object.entries(data.writes)) {
    const [threadId, checkpointNs, checkpointId] = JSON.parse(outerKey) as [string, string | null, string];
    for (const [innerKey, [taskId, channel, value, taskPath]] of Object.entries(entries)) {
      const idx = Number(innerKey.slice(innerKey.lastIndexOf(",") + 1));
      store.putWritesSync(
        {
          threadId: encodeKey(threadId),
          checkpointNs: encodeKey(checkpointNs ?? ""),
          checkpointId: encodeKey(checkpointId),
          taskId: encodeKey(taskId),
          taskPath: encodeKey(taskPath ?? ""),
          writes: [{ channel, idx, kind: "json", value: Buffer.from(value) }],
        },
        true,
      );
    }
  }
}

/** JsonPlusSerializer's JSON for a Uint8Array inside a larger value. */
function bytesAsJson(bytes: Uint8Array): Buffer {
  return Buffer.from(
    JSON.stringify({ lc: 2, type: "constructor", id: ["Uint8Array"], method: "from", args: [Array.from(bytes)], kwargs: {} }),
  );
}

function wholeCheckpoint(row: TupleRow): Buffer {
  if (row.layout === "official") return row.checkpoint;
  const values = row.values.map((v): [string, Uint8Array] => [v.channel, v.kind === "bytes" ? bytesAsJson(v.data) : v.data]);
  const whole = injectChannelValues(row.checkpoint, values);
  if (!whole) throw new Error(`checkpoint ${row.checkpointId} of thread "${row.threadId}" has no channel_values to fill`);
  return whole;
}

/**
 * Every thread in the store, in a MemorySaver's storage format. `rank(thread, ns)` orders the threads and
 * namespaces as MemorySaver's own maps would (in the order they were first written).
 */
export function exportMemorySaverData(
  store: SqliteCheckpointStore,
  rank?: (thread: string, ns: string) => [number, number],
): MemorySaverData {
  const data: MemorySaverData = { storage: Object.create(null), writes: Object.create(null) };
  const rows = store.listSync({}).map((r) => ({
    ...r,
    threadId: decodeKey(r.threadId),
    checkpointNs: decodeKey(r.checkpointNs),
    checkpointId: decodeKey(r.checkpointId),
    parentCheckpointId: r.parentCheckpointId === undefined ? undefined : decodeKey(r.parentCheckpointId),
    writes: r.writes.map((w) => ({ ...w, taskId: decodeKey(w.taskId), taskPath: decodeKey(w.taskPath) })),
  }));
  if (rank) {
    rows.sort((a, b) => {
      const [ra, rb] = [rank(a.threadId, a.checkpointNs), rank(b.threadId, b.checkpointNs)];
      return ra[0] - rb[0] || ra[1] - rb[1];
    });
  }
  for (const row of rows) {
    data.storage[row.threadId] ??= Object.create(null);
    const namespaces = data.storage[row.threadId];
    namespaces[row.checkpointNs] ??= Object.create(null);
    const checkpoints = namespaces[row.checkpointNs];
    checkpoints[row.checkpointId] = [wholeCheckpoint(row), row.metadata, row.parentCheckpointId ?? undefined];
    if (row.writes.length === 0) continue;
    const writesKey = JSON.stringify([row.threadId, row.checkpointNs, row.checkpointId]);
    data.writes[writesKey] ??= Object.create(null);
    const entries = data.writes[writesKey];
    for (const w of row.writes) entries[`${w.taskId},${w.idx}`] = [w.taskId, w.channel, w.value, w.taskPath];
  }
  return data;
}
