import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver, emptyCheckpoint } from "@langchain/langgraph-checkpoint";

import { OriginalMemorySaver } from "../fuzz/support/original-savers";
import { getPatchStatus, patchLangGraph, unpatchLangGraph } from "../../src";
import { scenarios } from "../support/graphs";
import { normalize } from "../support/normalize";

const META = { source: "loop" as const, step: 0, parents: {} };
const at = (thread: string, id?: string) =>
  ({ configurable: { thread_id: thread, checkpoint_ns: "", ...(id ? { checkpoint_id: id } : {}) } }) as RunnableConfig;
const cp = (id: string) => ({ ...emptyCheckpoint(), id, ts: "2026-12-02T00:00:00.000Z", channel_values: { n: id } });

async function everything(saver: MemorySaver) {
  const out = [];
  for await (const t of saver.list({})) out.push(t);
  return normalize(out);
}

/**
 * The same calls on a saver: `puts` puts from checkpoint `from` on (again from 1 on a second call: a
 * moved saver gets puts and writes for checkpoints it held before its move), a write on each, two of
 * them started together.
 */
async function drive(saver: MemorySaver, puts: number, from = 1) {
  for (let i = from; i < from + puts; i++) {
    const id = `id-${String(i).padStart(3, "0")}`;
    await saver.put(at("t"), cp(id), META);
    // A put and a putWrites running at once: a move must wait until both are done.
    await Promise.all([saver.put(at("u"), cp(id), META), saver.putWrites(at("t", id), [["n", i]], `task-${i}`)]);
  }
}

/** Sequential puts, each followed by a write to it (a graph's order): the saver moves at the 4th put. */
async function fill(saver: MemorySaver, puts: number) {
  for (let i = 1; i <= puts; i++) {
    const id = `id-${String(i).padStart(3, "0")}`;
    await saver.put(at(i % 2 ? "t" : "u"), cp(id), META);
    await saver.putWrites(at(i % 2 ? "t" : "u", id), [["n", i]], `task-${i}`);
  }
}

const moved = (saver: MemorySaver) => Object.getOwnPropertyDescriptor(saver, "storage")?.get !== undefined;
const instances = () => getPatchStatus().memorySavers.instances;

describe("a patched MemorySaver runs its own methods until it has taken enough puts to be worth a Rust store", () => {
  beforeAll(async () => {
    process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER = "3";
    await patchLangGraph();
  });
  afterAll(() => {
    unpatchLangGraph();
    process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER = "2";
  });

  it("keeps plain fields below the threshold, moves after it, and gives what MemorySaver gives at every step", async () => {
    const start = instances();
    const saver = new MemorySaver();
    const reference = new OriginalMemorySaver();
    await drive(saver, 1);
    await drive(reference, 1);
    expect(Object.getOwnPropertyDescriptor(saver, "storage")?.writable).toBe(true);
    expect(instances()).toBe(start);
    expect(await everything(saver)).toEqual(await everything(reference));
    await drive(saver, 6);
    await drive(reference, 6);
    expect(await everything(saver)).toEqual(await everything(reference));
    const sequential = new MemorySaver();
    await fill(sequential, 3);
    expect(moved(sequential)).toBe(false);
    await fill(sequential, 4);
    expect(moved(sequential)).toBe(true);
    expect(instances()).toBeGreaterThan(start);
  });

  it.each(Object.entries(scenarios))("%s: same outputs and history as unpatched across the move", async (_name, run) => {
    const expected = normalize(await run(new OriginalMemorySaver()));
    expect(normalize(await run(new MemorySaver()))).toEqual(expected);
  });

  it("a moved saver's storage and writes are plain again once touched: assigning and deleting do what they do unpatched", async () => {
    const saver = new MemorySaver();
    const reference = new OriginalMemorySaver();
    await fill(saver, 5);
    await fill(reference, 5);
    const held = instances();
    expect(moved(saver)).toBe(true);

    delete saver.storage.u;
    delete reference.storage.u;
    expect(instances()).toBe(held - 1);
    expect(await everything(saver)).toEqual(await everything(reference));

    saver.writes = Object.create(null);
    reference.writes = Object.create(null);
    await drive(saver, 20);
    await drive(reference, 20);
    expect(instances()).toBe(held - 1);
    expect(moved(saver)).toBe(false);
    expect(await everything(saver)).toEqual(await everything(reference));

    const other = new MemorySaver();
    await fill(other, 5);
    expect(moved(other)).toBe(true);
    other.storage = Object.create(null);
    expect(await other.getTuple(at("t"))).toBeUndefined();
  });

  it("reading storage while a call is running gives a copy and leaves the saver in its store", async () => {
    const saver = new MemorySaver();
    await fill(saver, 5);
    expect(moved(saver)).toBe(true);
    const held = instances();
    const pending = saver.put(at("t"), cp("id-999"), META);
    expect(Object.keys(saver.storage)).toEqual(["t", "u"]);
    expect(() => {
      saver.storage = Object.create(null);
    }).toThrow(/MemorySaver.storage cannot be replaced while a call of this MemorySaver is running/);
    await pending;
    expect(instances()).toBe(held);
    expect((await saver.getTuple(at("t")))?.checkpoint.id).toBe("id-999");
  });
});
