import type { CheckpointOpRecord, GraphRunRecord, ModelCallRecord, RawProfile, RunStatus, TaskRecord, ToolCallRecord } from "./records";

export type Timed = "graphRuns" | "tasks" | "modelCalls" | "toolCalls";
type RecordOf<K extends keyof RawProfile> = RawProfile[K][number];

/** Listens to finished records (the OpenTelemetry exporter does). */
export interface StoreListener {
  /** A graph run, task, model call or tool call started (checkpoint ops are reported only when finished). */
  onStart(kind: Timed, record: RecordOf<Timed>): void;
  onFinish(kind: keyof RawProfile, record: RecordOf<keyof RawProfile>): void;
}

/**
 * The profiler's raw records, bounded: each list keeps at most `maxRecords` entries (default 100,000);
 * past that the oldest tenth is dropped and counted in `dropped`. Records still running are also
 * indexed by id in `open` so that their end finds them in O(1).
 */
export class ProfileStore {
  readonly data: RawProfile = { graphRuns: [], tasks: [], modelCalls: [], toolCalls: [], checkpointOps: [] };
  readonly open = {
    graphRuns: new Map<string, GraphRunRecord>(),
    tasks: new Map<string, TaskRecord>(),
    modelCalls: new Map<string, ModelCallRecord>(),
    toolCalls: new Map<string, ToolCallRecord>(),
  };
  dropped = 0;
  readonly listeners: StoreListener[] = [];

  constructor(readonly maxRecords = 100_000) {}

  add<K extends Timed>(kind: K, record: RecordOf<K>): void {
    this.push(kind, record);
    (this.open[kind] as Map<string, RecordOf<K>>).set((record as { id: string }).id, record);
    for (const l of this.listeners) l.onStart(kind, record);
  }

  addCheckpointOp(record: CheckpointOpRecord): void {
    this.push("checkpointOps", record);
    for (const l of this.listeners) l.onFinish("checkpointOps", record);
  }

  finish(kind: Timed, id: string, end: number, status: RunStatus, error?: string): void {
    const map = this.open[kind] as Map<string, { end?: number; status: RunStatus; error?: string }>;
    const rec = map.get(id);
    if (!rec) return;
    map.delete(id);
    rec.end = end;
    rec.status = status;
    if (error !== undefined) rec.error = error;
    for (const l of this.listeners) l.onFinish(kind, rec as RecordOf<Timed>);
  }

  clear(): void {
    for (const key of Object.keys(this.data) as Array<keyof RawProfile>) this.data[key].length = 0;
    for (const map of Object.values(this.open)) map.clear();
    this.dropped = 0;
  }

  private push<K extends keyof RawProfile>(kind: K, record: RecordOf<K>): void {
    const list = this.data[kind] as Array<RecordOf<K>>;
    if (list.length >= this.maxRecords) {
      const n = Math.max(1, Math.floor(this.maxRecords / 10));
      list.splice(0, n);
      this.dropped += n;
    }
    list.push(record);
  }
}
