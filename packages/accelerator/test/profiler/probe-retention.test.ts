import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { Annotation, MemorySaver, START, StateGraph } from "@langchain/langgraph";

import { createProfiler } from "../../src/profiler";

// A service that makes a saver and a graph per request, profiled: the profiler must not keep the savers it probed
// (hostile review round 6, finding 6: RSS grew 0.28 MB per request until dispose()).
v8.setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const State = Annotation.Root({ n: Annotation<number> });

async function request(profiler: ReturnType<typeof createProfiler>, i: number): Promise<WeakRef<MemorySaver>> {
  const saver = new MemorySaver();
  const graph = new StateGraph(State)
    .addNode("step", (s) => ({ n: (s.n ?? 0) + 1 }))
    .addEdge(START, "step")
    .compile({ checkpointer: saver });
  profiler.probe(graph);
  await graph.invoke({ n: i }, { configurable: { thread_id: `t${i}` } });
  return new WeakRef(saver);
}

describe("a profiler that probed many savers", () => {
  it("lets each go once the app drops it, and still records the ones alive", async () => {
    const profiler = createProfiler();
    const refs: Array<WeakRef<MemorySaver>> = [];
    for (let i = 0; i < 150; i++) refs.push(await request(profiler, i));
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    expect(alive).toBeLessThan(10);
    const kept = new MemorySaver();
    profiler.probe(kept);
    await kept.getTuple({ configurable: { thread_id: "x" } });
    const before = profiler.toJSON().raw.checkpointOps.length;
    await kept.getTuple({ configurable: { thread_id: "y" } });
    expect(profiler.toJSON().raw.checkpointOps.length).toBe(before + 1);
    profiler.dispose();
  });
});
