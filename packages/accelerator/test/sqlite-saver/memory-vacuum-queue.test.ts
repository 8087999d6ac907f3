import { emptyCheckpoint } from "@langchain/langgraph-checkpoint";

import { RustSqliteSaver } from "../../src";

const meta = { source: "loop" as const, step: 0, parents: {} };
const config = (thread: string) => ({ configurable: { thread_id: thread, checkpoint_ns: "" } });
const id = (n: number) => `1ef00000-0000-6000-8000-${String(n).padStart(12, "0")}`;

/** An in-memory store of ~24 MB (4 threads, 6 checkpoints each), so vacuum has work. */
async function bigStore(): Promise<RustSqliteSaver> {
  const saver = new RustSqliteSaver(":memory:");
  const big = "z".repeat(1 << 20);
  for (let i = 0; i < 24; i++) {
    const checkpoint = { ...emptyCheckpoint(), id: id(i), channel_values: { blob: big + i }, channel_versions: { blob: i + 1 } };
    await saver.put(config(`t${i % 4}`), checkpoint, { ...meta, step: i }, { blob: i + 1 });
  }
  return saver;
}

describe("RustSqliteSaver(':memory:') during vacuum()", () => {
  let stop = false;
  afterEach(() => {
    stop = true; // ends the setImmediate loop even when an assertion failed
  });

  it("queues calls made meanwhile behind the vacuum instead of blocking the JS thread, in call order", async () => {
    const saver = await bigStore();
    let turns = 0;
    stop = false;
    const turn = () => {
      turns += 1;
      if (!stop) setImmediate(turn);
    };
    setImmediate(turn);
    const settled: string[] = [];
    const note =
      (name: string) =>
      <T>(value: T) => {
        settled.push(name);
        return { value, turns };
      };
    const memoryBefore = saver.memoryBytes;
    const vacuum = saver.vacuum().then(note("vacuum"));
    const read = saver.getTuple(config("t1")).then(note("getTuple t1"));
    // Neither ran on this thread: both wait on the store's writer thread, the read behind the vacuum.
    expect(saver.queuedCalls).toBe(2);
    const turnsAtCall = turns;
    const removed = saver.deleteThread("t3").then(note("deleteThread t3"));
    const readBack = saver.getTuple(config("t3")).then(note("getTuple t3"));
    const [v, r, , rb] = await Promise.all([vacuum, read, removed, readBack]);
    stop = true;

    expect(settled).toEqual(["vacuum", "getTuple t1", "deleteThread t3", "getTuple t3"]);
    // The event loop kept turning while the read waited for the vacuum.
    expect(r.turns).toBeGreaterThan(turnsAtCall);
    expect(r.value?.checkpoint.id).toBe(id(21));
    expect(r.value?.checkpoint.channel_values.blob).toBe(`${"z".repeat(1 << 20)}21`);
    expect(rb.value).toBeUndefined();
    // A memory store reports the bytes its pages hold, before and after.
    expect(v.value.bytesBefore).toBe(memoryBefore);
    expect(v.value.bytesAfter).toBeGreaterThan(24 << 20);
    // Measured before the deleteThread queued after the vacuum ran.
    expect(v.value.bytesAfter).toBeGreaterThan(saver.memoryBytes ?? Number.NaN);

    // With nothing queued, calls run inline again: the promise is settled before the event loop turns.
    expect(saver.queuedCalls).toBe(0);
    const inline = saver.getTuple(config("t2"));
    expect(saver.queuedCalls).toBe(0);
    expect((await inline)?.checkpoint.id).toBe(id(22));
    saver.close();
  });

  it("queues a prune made during a vacuum, and a call made after the store closed fails naming it", async () => {
    const saver = await bigStore();
    const vacuum = saver.vacuum();
    const prune = saver.prune({ keepLast: 1 });
    expect(saver.queuedCalls).toBe(2);
    const afterVacuum = saver.getTuple(config("t2"));
    saver.close();
    await expect(saver.getTuple(config("t2"))).rejects.toThrow(/":memory:" is closed/);
    await expect(vacuum).resolves.toEqual(expect.objectContaining({ bytesBefore: expect.any(Number) }));
    await expect(prune).resolves.toEqual(expect.objectContaining({ checkpoints: 20 }));
    expect((await afterVacuum)?.checkpoint.id).toBe(id(22));
  });
});
