// Writes to checkpoints a patched MemorySaver held before its move (found by a hostile review): they
// keep call order with the calls made after them, and an unfinished list() does not make them wait forever.
import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver, emptyCheckpoint } from "@langchain/langgraph-checkpoint";

import { OriginalMemorySaver } from "../fuzz/support/original-savers";
import { patchLangGraph, unpatchLangGraph } from "../../src";

const META = { source: "loop" as const, step: 0, parents: {} };
const at = (thread: string, id?: string) =>
  ({ configurable: { thread_id: thread, checkpoint_ns: "", ...(id ? { checkpoint_id: id } : {}) } }) as RunnableConfig;
const cp = (id: string) => ({ ...emptyCheckpoint(), id, ts: "2026-12-02T00:00:00.000Z", channel_values: { text: id } });
const moved = (saver: MemorySaver) => Object.getOwnPropertyDescriptor(saver, "storage")?.get !== undefined;

beforeAll(async () => {
  process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER = "2";
  delete process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER_BYTES;
  await patchLangGraph();
});
afterAll(() => {
  unpatchLangGraph();
  process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER = "2";
});

async function setup(saver: MemorySaver) {
  await saver.put(at("t"), cp("id-0001"), META);
  await saver.put(at("t"), cp("id-0002"), META);
  await saver.put(at("t"), cp("id-0003"), META); // moves here (patched)
}

async function scenario(saver: MemorySaver) {
  await setup(saver);
  const m = moved(saver);
  // a call in flight, then a write to a checkpoint held before the move, then a read not awaited in between
  const p1 = saver.getTuple(at("t", "id-0003"));
  const p2 = saver.putWrites(at("t", "id-0001"), [["ch", "v"]], "task-1");
  const p3 = saver.getTuple(at("t", "id-0001"));
  const [, , t] = await Promise.all([p1, p2, p3]);
  return { moved: m, writes: t?.pendingWrites };
}

it("a read issued right after a held write sees that write (as MemorySaver does)", async () => {
  const ref = await scenario(new OriginalMemorySaver());
  const got = await scenario(new MemorySaver());
  expect(got.moved).toBe(true);
  expect(got.writes).toEqual(ref.writes);
});

it("an unfinished list() does not make a held write hang", async () => {
  const saver = new MemorySaver();
  await setup(saver);
  expect(moved(saver)).toBe(true);
  const it = saver.list(at("t"));
  await it.next(); // user keeps the iterator, never finishes it
  const write = saver.putWrites(at("t", "id-0001"), [["ch", "v"]], "task-1").then(() => "done");
  const timeout = new Promise((r) => setTimeout(() => r("hung"), 2000));
  const ref = new OriginalMemorySaver();
  await setup(ref);
  const rit = ref.list(at("t"));
  await rit.next();
  const refResult = await Promise.race([ref.putWrites(at("t", "id-0001"), [["ch", "v"]], "task-1").then(() => "done"), timeout]);
  expect(await Promise.race([write, timeout])).toBe(refResult);
});

it("put of a held checkpoint id while an unfinished list() is open does not hang", async () => {
  const saver = new MemorySaver();
  await setup(saver);
  const it = saver.list(at("t"));
  await it.next();
  const put = saver.put(at("t"), cp("id-0001"), META).then(() => "done");
  const timeout = new Promise((r) => setTimeout(() => r("hung"), 2000));
  expect(await Promise.race([put, timeout])).toBe("done");
});

async function listAfterHeldWrite(saver: MemorySaver) {
  await setup(saver);
  const inFlight = saver.getTuple(at("t", "id-0003"));
  const write = saver.putWrites(at("t", "id-0001"), [["ch", "v"]], "task-1");
  const listed = [];
  for await (const tuple of saver.list(at("t"))) listed.push([tuple.checkpoint.id, tuple.pendingWrites]);
  await Promise.all([inFlight, write]);
  return { listed, moved: moved(saver) };
}

it("a list() started after a held write reads the saver's own fields once the write has run, and does not move it again", async () => {
  const patched = await listAfterHeldWrite(new MemorySaver());
  expect(patched.listed).toEqual((await listAfterHeldWrite(new OriginalMemorySaver())).listed);
  expect(patched.moved).toBe(false);
});
