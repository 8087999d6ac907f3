import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunnableConfig } from "@langchain/core/runnables";
import { Annotation, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import {
  type BaseCheckpointSaver,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  JsonPlusSerializer,
  type PendingWrite,
} from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import { RustSqliteSaver } from "../../src";
import { ValueBytesCache } from "../../src/checkpoint/value-bytes-cache";
import { createProfiler } from "../../src/profiler";

const State = Annotation.Root({
  notes: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  count: Annotation<number>({ reducer: (_a, b) => b, default: () => 0 }),
});

/** The saver's real calls and serde traffic, counted from inside (a subclass and a serializer subclass). */
class CountingSerde extends JsonPlusSerializer {
  dumped = 0;
  loaded = 0;
  async dumpsTyped(obj: unknown): Promise<[string, Uint8Array]> {
    const out = await super.dumpsTyped(obj);
    this.dumped += out[1].byteLength;
    return out;
  }
  async loadsTyped(type: string, data: Uint8Array | string): Promise<unknown> {
    this.loaded += typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
    return super.loadsTyped(type, data);
  }
}

class CountingSqliteSaver extends SqliteSaver {
  calls = { getTuple: 0, put: 0, putWrites: 0, list: 0 };
  async getTuple(config: RunnableConfig) {
    this.calls.getTuple++;
    return super.getTuple(config);
  }
  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata) {
    this.calls.put++;
    return super.put(config, checkpoint, metadata);
  }
  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string) {
    this.calls.putWrites++;
    return super.putWrites(config, writes, taskId);
  }
  async *list(config: RunnableConfig, options?: CheckpointListOptions) {
    this.calls.list++;
    yield* super.list(config, options);
  }
}

function graphOn(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(State)
    .addNode("write", async (s) => ({ notes: [`note ${s.count} ${"x".repeat(2000)}`], count: s.count + 1 }))
    .addNode("check", async () => ({}))
    .addEdge(START, "write")
    .addEdge("write", "check")
    .compile({ checkpointer });
}

const opCounts = (ops: Array<{ op: string }>) => ({
  getTuple: ops.filter((o) => o.op === "getTuple").length,
  put: ops.filter((o) => o.op === "put").length,
  putWrites: ops.filter((o) => o.op === "putWrites").length,
  list: ops.filter((o) => o.op === "list").length,
});

describe("checkpointer probe", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "flg-profiler-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("on LangGraph's SqliteSaver (not replaced): op counts equal the saver's real calls, bytes equal its serde's", async () => {
    const serde = new CountingSerde();
    const saver = new CountingSqliteSaver(SqliteSaver.fromConnString(join(dir, "probe.db")).db, serde);
    const graph = graphOn(saver);
    const profiler = createProfiler();
    profiler.probe(graph);
    expect(Object.getPrototypeOf(saver)).toBe(CountingSqliteSaver.prototype);

    const config = { configurable: { thread_id: "t1" } };
    for (let i = 0; i < 4; i++) await graph.invoke({ notes: [] }, profiler.withCallbacks(config));
    await graph.getState(config);
    const history = [];
    for await (const snap of graph.getStateHistory(config, { limit: 3 })) history.push(snap);
    expect(history).toHaveLength(3);

    const ops = profiler.store.data.checkpointOps;
    expect(opCounts(ops)).toEqual(saver.calls);
    expect(saver.calls.put).toBeGreaterThan(4);
    expect(ops.every((o) => o.saver === "CountingSqliteSaver" && o.threadId === "t1" && o.end !== undefined)).toBe(true);
    expect(ops.find((o) => o.op === "list")?.items).toBe(3);
    expect(ops.reduce((s, o) => s + o.bytesWritten, 0)).toBe(serde.dumped);
    expect(ops.reduce((s, o) => s + o.bytesRead, 0)).toBe(serde.loaded);
    for (const o of ops) expect(o.serializeMs + o.deserializeMs).toBeLessThanOrEqual((o.end as number) - o.start + 1e-6);

    // State size along the thread: the notes channel grows by one ~2 KB note per run.
    const s = profiler.summary();
    const notes = s.stateSizes.map((p) => p.channelBytes.notes ?? 0).filter((b) => b > 0);
    expect(notes.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < notes.length; i++) expect(notes[i]).toBeGreaterThanOrEqual(notes[i - 1]);
    expect(notes[notes.length - 1] - notes[0]).toBeGreaterThan(3 * 2000);
    const puts = s.checkpoints.find((c) => c.op === "put");
    expect(puts?.count).toBe(saver.calls.put);
    expect(s.totals.checkpointMs).toBeGreaterThan(0);
    expect(s.totals.checkpointMs).toBeLessThanOrEqual(s.totals.runMs);
    // Each task's outputs are written once, by LangGraph's task id, after the task's run ended (so not in its self time).
    for (const task of profiler.store.data.tasks) {
      const writes = ops.filter((o) => o.op === "putWrites" && task.taskKey.endsWith(`:${o.taskId}`));
      expect(writes).toHaveLength(1);
      expect(writes[0].start).toBeGreaterThanOrEqual(task.end as number);
    }
    expect(s.nodes.every((n) => n.checkpointMs === 0)).toBe(true);
    expect(s.graphRuns.every((g) => g.checkpointOps > 0)).toBe(true);
    expect(profiler.report()).toContain("CountingSqliteSaver.put");

    profiler.dispose();
    for (const name of ["getTuple", "put", "putWrites", "list", "serde"]) expect(Object.hasOwn(saver, name)).toBe(name === "serde");
    expect(saver.serde).toBe(serde);
    const before = profiler.store.data.checkpointOps.length;
    await graph.invoke({ notes: [] }, config);
    expect(profiler.store.data.checkpointOps.length).toBe(before);
  });

  test("a profiled official-layout saver still splices (its serde is the profiler's wrapper) and the profile counts what it serializes", async () => {
    const saver = new RustSqliteSaver(join(dir, "probe-official.db"), { layout: "official" });
    const graph = graphOn(saver);
    const profiler = createProfiler();
    profiler.probe(graph);
    const config = { configurable: { thread_id: "t1" } };
    for (let i = 0; i < 3; i++) await graph.invoke({ notes: [`note ${i}`] }, profiler.withCallbacks(config));
    expect(Object.hasOwn(saver.serde, "dumpsTyped")).toBe(true); // the profiler's wrapper
    expect(new ValueBytesCache(() => saver.serde).active).toBe(true);
    const puts = profiler.store.data.checkpointOps.filter((o) => o.op === "put");
    expect(puts.length).toBeGreaterThan(3);
    expect(puts.some((o) => (o.bytesWritten ?? 0) > 0)).toBe(true);
    saver.close();
  });

  test("two profilers on one MemorySaver both see every op; a failing op is recorded as an error and rethrown", async () => {
    const saver = new MemorySaver();
    const graph = graphOn(saver);
    const p1 = createProfiler();
    const p2 = createProfiler();
    p1.probe(graph);
    p2.probe(saver);
    await graph.invoke({ notes: [] }, { configurable: { thread_id: "m" } });
    expect(p1.store.data.checkpointOps.length).toBeGreaterThan(0);
    expect(opCounts(p2.store.data.checkpointOps)).toEqual(opCounts(p1.store.data.checkpointOps));
    p1.dispose();
    expect(Object.hasOwn(saver, "put")).toBe(true);
    await expect(saver.put({ configurable: {} }, {} as Checkpoint, {} as CheckpointMetadata)).rejects.toThrow();
    expect(p2.store.data.checkpointOps.at(-1)).toMatchObject({ op: "put", status: "error" });
    p2.dispose();
    expect(Object.hasOwn(saver, "put")).toBe(false);
  });
  test("operations at once, on one saver and on two, each count their own serde bytes and time", async () => {
    /** A MemorySaver whose writes wait `ms` first, so that they serialize after an await, overlapping. */
    class SlowSaver extends MemorySaver {
      constructor(
        serde: CountingSerde,
        readonly ms: number,
      ) {
        super(serde);
      }
      async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata) {
        await sleep(this.ms);
        return super.put(config, checkpoint, metadata);
      }
      async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string) {
        await sleep(this.ms);
        return super.putWrites(config, writes, taskId);
      }
    }
    const checkpoint = (id: string, size: number): Checkpoint => ({
      v: 4,
      id,
      ts: "2026-01-01T00:00:00.000Z",
      channel_values: { notes: ["x".repeat(size)] },
      channel_versions: { notes: 1 },
      versions_seen: {},
    });
    const calls = (saver: MemorySaver, thread: string, size: number) => [
      () =>
        saver.put({ configurable: { thread_id: thread, checkpoint_ns: "" } }, checkpoint(`c-${thread}`, size), {
          source: "loop",
          step: 1,
          parents: {},
        }),
      () =>
        saver.putWrites(
          { configurable: { thread_id: thread, checkpoint_ns: "", checkpoint_id: `c-${thread}` } },
          [["notes", "y".repeat(size * 3)]],
          "task",
        ),
    ];
    // Each call alone on an unprobed saver: the bytes its serde writes.
    const alone: number[] = [];
    for (const [thread, size] of [
      ["a", 1000],
      ["b", 5000],
    ] as const)
      for (const i of [0, 1]) {
        const serde = new CountingSerde();
        await calls(new MemorySaver(serde), thread, size)[i]();
        alone.push(serde.dumped);
      }
    const one = new SlowSaver(new CountingSerde(), 5);
    const two = new SlowSaver(new CountingSerde(), 2);
    const profiler = createProfiler({ otel: false });
    profiler.probe(one);
    profiler.probe(two);
    // Four operations in flight at once: put and putWrites on `one` (thread a), the same on `two` (thread b).
    await Promise.all([...calls(one, "a", 1000), ...calls(two, "b", 5000)].map((call) => call()));
    const ops = profiler.store.data.checkpointOps;
    const byKey = (thread: string, op: string) => ops.find((o) => o.threadId === thread && o.op === op);
    expect([byKey("a", "put"), byKey("a", "putWrites"), byKey("b", "put"), byKey("b", "putWrites")].map((o) => o?.bytesWritten)).toEqual(
      alone,
    );
    expect(one.serde instanceof CountingSerde && two.serde instanceof CountingSerde).toBe(true);
    for (const o of ops) {
      expect(o.serializeMs).toBeGreaterThan(0);
      expect(o.serializeMs).toBeLessThanOrEqual((o.end as number) - o.start + 1e-6);
    }
    profiler.dispose();
  });
});
