import crypto from "node:crypto";
import fs from "node:fs";
import { performance } from "node:perf_hooks";

import Database from "better-sqlite3";
import { Annotation, Send, START, StateGraph, interrupt } from "@langchain/langgraph";
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";

import { RustSqliteSaver } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

/** Five parallel tasks (Send fan-out), each interrupting with its own name. */
async function interruptOrders(saver: RustSqliteSaver, threadId: string) {
  const State = Annotation.Root({ done: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
  const graph = new StateGraph(State)
    .addNode("ask", (s: { name: string }) => ({ done: [interrupt(`from ${s.name}`) as string] }))
    .addConditionalEdges(START, () => ["a", "b", "c", "d", "e"].map((name) => new Send("ask", { name })))
    .compile({ checkpointer: saver });
  const config = { configurable: { thread_id: threadId } };
  const result = (await graph.invoke({ done: [] }, config)) as { __interrupt__?: Array<{ value: unknown }> };
  const state = await graph.getState(config);
  return {
    fromInvoke: (result.__interrupt__ ?? []).map((i) => i.value),
    fromGetState: state.tasks.flatMap((t) => t.interrupts).map((i) => i.value),
  };
}

/** A saver on a file of ~50 MB live data plus as much free space, so that vacuum() has real work. */
function saverWithWorkForVacuum(name: string): RustSqliteSaver {
  const file = temporaryDatabase(name);
  new RustSqliteSaver(file).close();
  const db = new Database(file);
  const insert = db.prepare(
    `INSERT INTO flg_blobs (thread_id, checkpoint_ns, channel, owner_id, version, type, base_owner_id, root_owner_id, data, increment)
     VALUES ('bulk', '', 'c', ?, '1', 'bytes', NULL, ?, ?, 'append')`,
  );
  db.transaction(() => {
    for (let i = 0; i < 200; i++) insert.run(`o${i}`, `o${i}`, crypto.randomBytes(512 * 1024));
  })();
  db.prepare("DELETE FROM flg_blobs WHERE thread_id = 'bulk' AND CAST(substr(owner_id, 2) AS INTEGER) % 2 = 0").run();
  db.close();
  return new RustSqliteSaver(file);
}

/** Event-loop ticks every 2 ms; `maxGap(from, to)` is the longest stretch without one inside that window. */
function tickRecorder() {
  const ticks: number[] = [];
  const timer = setInterval(() => ticks.push(performance.now()), 2);
  return {
    stop: () => clearInterval(timer),
    maxGap(from: number, to: number) {
      const inside = [from, ...ticks.filter((t) => t > from && t < to), to];
      let gap = 0;
      for (let i = 1; i < inside.length; i++) gap = Math.max(gap, inside[i] - inside[i - 1]);
      return gap;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("one writer thread per store, FIFO (issue 11 case 11, issue 12 case 4)", () => {
  it("five parallel interrupting tasks: invoke() and getState() give the same __interrupt__ order in 20 of 20 runs", async () => {
    const saver = new RustSqliteSaver(temporaryDatabase("interrupt-order"));
    try {
      const runs = [];
      for (let run = 0; run < 20; run++) runs.push(await interruptOrders(saver, `run-${run}`));
      for (const { fromInvoke, fromGetState } of runs) {
        expect(fromInvoke).toHaveLength(5);
        expect(fromInvoke).toEqual(fromGetState);
      }
    } finally {
      saver.close();
    }
  });

  it("the store's promises settle in call order", async () => {
    const saver = new RustSqliteSaver(temporaryDatabase("call-order"));
    const store = saver.nativeStore;
    const settled: number[] = [];
    const calls = [];
    for (let i = 0; i < 60; i++) {
      const write = { channel: "x", idx: 0, kind: "json", value: Buffer.from(JSON.stringify("v".repeat(i * 100))) };
      const call =
        i % 3 === 0
          ? store.getTuple("t", "", null)
          : store.putWrites({ threadId: "t", checkpointNs: "", checkpointId: `c${i}`, taskId: "task", taskPath: "", writes: [write] });
      calls.push((call as Promise<unknown>).then(() => settled.push(i)));
    }
    await Promise.all(calls);
    saver.close();
    expect(settled).toEqual([...Array(60).keys()]);
  });

  it("`closed` and `close()` return at once while a vacuum runs; the vacuum still completes and later calls fail naming the file", async () => {
    const saver = saverWithWorkForVacuum("vacuum-close");
    const ticks = tickRecorder();
    try {
      const start = performance.now();
      let end = 0;
      const vacuum = saver.vacuum().then((r) => {
        end = performance.now();
        return r;
      });
      await sleep(20);
      const before = performance.now();
      const closedBefore = saver.closed;
      const afterGetter = performance.now();
      saver.close();
      const afterClose = performance.now();
      expect(closedBefore).toBe(false);
      expect(saver.closed).toBe(true);
      const report = await vacuum;
      expect(report.bytesAfter).toBeLessThan(report.bytesBefore);
      const vacuumTime = end - start;
      // Relative to the vacuum measured here: the getter and close() take a small part of it.
      expect(afterGetter - before).toBeLessThan(vacuumTime / 10);
      expect(afterClose - afterGetter).toBeLessThan(vacuumTime / 10);
      expect(ticks.maxGap(start, end)).toBeLessThan(vacuumTime / 3);
      await expect(saver.getTuple({ configurable: { thread_id: "t" } })).rejects.toThrow(/closed/);
      await expect(saver.getTuple({ configurable: { thread_id: "t" } })).rejects.toThrow(saver.path);
    } finally {
      ticks.stop();
    }
  });

  it("the application's fs and crypto calls complete while 50 puts wait behind a vacuum", async () => {
    const saver = saverWithWorkForVacuum("vacuum-pool");
    try {
      let vacuumEnd = 0;
      const vacuum = saver.vacuum().then(() => {
        vacuumEnd = performance.now();
      });
      const config = { configurable: { thread_id: "queued", checkpoint_ns: "" } };
      const puts = Array.from({ length: 50 }, (_, i) =>
        saver.put(config, { ...emptyCheckpoint(), id: uuid6(i) }, { source: "loop", step: i, parents: {} }, {}),
      );
      await sleep(20);
      const done: Record<string, number> = {};
      const app = [
        fs.promises.readFile(__filename).then(() => {
          done.readFile = performance.now();
        }),
        new Promise<void>((resolve, reject) =>
          crypto.pbkdf2("secret", "salt", 1000, 32, "sha256", (err) => {
            done.pbkdf2 = performance.now();
            return err ? reject(err) : resolve();
          }),
        ),
      ];
      await Promise.all([vacuum, ...puts, ...app]);
      expect(vacuumEnd).toBeGreaterThan(0);
      expect(done.readFile).toBeLessThan(vacuumEnd);
      expect(done.pbkdf2).toBeLessThan(vacuumEnd);
      const stored = [];
      for await (const t of saver.list(config)) stored.push(t);
      expect(stored).toHaveLength(50);
    } finally {
      saver.close();
    }
  });

  it("an in-process store (:memory:) keeps every call, prune included, on the calling thread", async () => {
    const saver = new RustSqliteSaver(":memory:");
    const config = { configurable: { thread_id: "m", checkpoint_ns: "" } };
    let parent = config;
    for (let i = 0; i < 5; i++) {
      const pending = saver.put(parent, { ...emptyCheckpoint(), id: uuid6(i) }, { source: "loop", step: i, parents: {} }, {});
      expect(saver.nativeStore.queuedCalls).toBe(0);
      parent = (await pending) as typeof config;
    }
    const pruning = saver.prune({ keepLast: 2 });
    expect(saver.nativeStore.queuedCalls).toBe(0);
    expect((await pruning).checkpoints).toBe(3);
    saver.close();
    expect(saver.closed).toBe(true);
  });
});
