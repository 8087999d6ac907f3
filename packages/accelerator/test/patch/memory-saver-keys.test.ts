import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver, emptyCheckpoint } from "@langchain/langgraph-checkpoint";

import { OriginalMemorySaver } from "../fuzz/support/original-savers";
import { patchLangGraph, unpatchLangGraph } from "../../src";

/**
 * MemorySaver's key guard: every call the installed MemorySaver refuses for a key (a non-string, "",
 * "__proto__", "constructor", "prototype") is refused by the patched one, moved into its Rust store,
 * with the same error; every call it accepts gives the same result.
 */
const VALUES: unknown[] = [42, "", "__proto__", "constructor", "prototype", null, undefined, ["a"], true, "fine"];
const META = { source: "input" as const, step: -1, parents: {} };

function checkpoint(id: unknown) {
  return { ...emptyCheckpoint(), id: id as string, ts: "2026-12-02T00:00:00.000Z" };
}

async function collect(it: AsyncIterable<unknown>) {
  const out = [];
  for await (const x of it) out.push(x);
  return out;
}

type Call = (saver: MemorySaver) => Promise<unknown>;

function callsWith(v: unknown): Record<string, Call> {
  const cfg = (c: Record<string, unknown>) => ({ configurable: c }) as RunnableConfig;
  return {
    "getTuple thread_id": (s) => s.getTuple(cfg({ thread_id: v })),
    "getTuple checkpoint_ns": (s) => s.getTuple(cfg({ thread_id: "t", checkpoint_ns: v })),
    "getTuple checkpoint_id": (s) => s.getTuple(cfg({ thread_id: "t", checkpoint_id: v })),
    "list thread_id": (s) => collect(s.list(cfg({ thread_id: v }))),
    "list checkpoint_ns": (s) => collect(s.list(cfg({ thread_id: "t", checkpoint_ns: v }))),
    "list checkpoint_id": (s) => collect(s.list(cfg({ thread_id: "t", checkpoint_id: v }))),
    "list before": (s) => collect(s.list(cfg({ thread_id: "t" }), { before: cfg({ checkpoint_id: v }) })),
    "put thread_id": (s) => s.put(cfg({ thread_id: v, checkpoint_ns: "" }), checkpoint("2"), META),
    "put checkpoint_ns": (s) => s.put(cfg({ thread_id: "t", checkpoint_ns: v }), checkpoint("2"), META),
    "put checkpoint.id": (s) => s.put(cfg({ thread_id: "t", checkpoint_ns: "" }), checkpoint(v), META),
    "putWrites thread_id": (s) => s.putWrites(cfg({ thread_id: v, checkpoint_ns: "", checkpoint_id: "1" }), [["a", 1]], "task"),
    "putWrites checkpoint_ns": (s) => s.putWrites(cfg({ thread_id: "t", checkpoint_ns: v, checkpoint_id: "1" }), [["a", 1]], "task"),
    "putWrites checkpoint_id": (s) => s.putWrites(cfg({ thread_id: "t", checkpoint_ns: "", checkpoint_id: v }), [["a", 1]], "task"),
    "putWrites task_id": (s) => s.putWrites(cfg({ thread_id: "t", checkpoint_ns: "", checkpoint_id: "1" }), [["a", 1]], v as string),
    deleteThread: (s) => s.deleteThread(v as string),
    "getDeltaChannelHistory thread_id": (s) => s.getDeltaChannelHistory({ config: cfg({ thread_id: v }), channels: ["a"] }),
    "getDeltaChannelHistory checkpoint_ns": (s) =>
      s.getDeltaChannelHistory({ config: cfg({ thread_id: "t", checkpoint_ns: v }), channels: ["a"] }),
  };
}

async function outcome(make: () => MemorySaver, call: Call) {
  const saver = make();
  await saver.put({ configurable: { thread_id: "t", checkpoint_ns: "" } }, checkpoint("1"), META);
  try {
    const result = await call(saver);
    const after = await collect(saver.list({}));
    return { result: JSON.parse(JSON.stringify(result ?? null)), after: JSON.parse(JSON.stringify(after)) };
  } catch (error) {
    return { error: String((error as Error).message) };
  }
}

describe("the patched MemorySaver applies MemorySaver's key guard", () => {
  beforeAll(async () => {
    process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER = "0";
    await patchLangGraph();
  });
  afterAll(() => {
    unpatchLangGraph();
    process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER = "2";
  });

  it.each(VALUES.map((v) => [JSON.stringify(v) ?? "undefined", v]))("key %s: same result or error in every method", async (_l, v) => {
    let refused = 0;
    for (const [name, call] of Object.entries(callsWith(v))) {
      const expected = await outcome(() => new OriginalMemorySaver(), call);
      const actual = await outcome(() => new MemorySaver(), call);
      expect({ name, ...actual }).toEqual({ name, ...expected });
      if ("error" in expected) refused += 1;
    }
    if (v !== "fine") expect(refused).toBeGreaterThan(0);
  });
});
