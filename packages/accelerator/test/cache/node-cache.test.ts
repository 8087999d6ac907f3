import { Annotation, START, StateGraph } from "@langchain/langgraph";

import { RustNodeCache } from "../../src";

function squaring(cache: RustNodeCache, runs: { n: number }, ttl?: number) {
  const State = Annotation.Root({ x: Annotation<number>, y: Annotation<number> });
  return new StateGraph(State)
    .addNode(
      "square",
      (s) => {
        runs.n += 1;
        return { y: s.x * s.x };
      },
      { cachePolicy: { ttl } },
    )
    .addEdge(START, "square")
    .compile({ cache });
}

describe("RustNodeCache as LangGraph's node cache", () => {
  it("serves a cached node result for the same input and runs the node for a new one", async () => {
    const cache = new RustNodeCache();
    const runs = { n: 0 };
    const graph = squaring(cache, runs);
    expect(await graph.invoke({ x: 3 })).toEqual({ x: 3, y: 9 });
    expect(await graph.invoke({ x: 3 })).toEqual({ x: 3, y: 9 });
    expect(runs.n).toBe(1);
    expect(await graph.invoke({ x: 4 })).toEqual({ x: 4, y: 16 });
    expect(runs.n).toBe(2);
    expect(cache.stats().hits).toBe(1);
  });

  it("honours the policy's ttl in seconds and reclaims expired entries", async () => {
    const cache = new RustNodeCache();
    const runs = { n: 0 };
    const graph = squaring(cache, runs, 0.25);
    await graph.invoke({ x: 5 });
    await graph.invoke({ x: 5 });
    expect(runs.n).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    await graph.invoke({ x: 5 });
    expect(runs.n).toBe(2);
    await new Promise((r) => setTimeout(r, 400));
    expect(cache.store.sweepExpired()).toBe(1);
    expect(cache.stats().entries).toBe(0);
  });

  it("clears by namespace, exactly", async () => {
    const cache = new RustNodeCache();
    await cache.set([
      { key: [["a", "b"], "k"], value: 1 },
      { key: [["a,b"], "k"], value: 2 },
      { key: [["c"], "k"], value: 3 },
    ]);
    await cache.clear([["a", "b"]]);
    expect(
      await cache.get([
        [["a", "b"], "k"],
        [["a,b"], "k"],
        [["c"], "k"],
      ]),
    ).toEqual([
      { key: [["a,b"], "k"], value: 2 },
      { key: [["c"], "k"], value: 3 },
    ]);
    await cache.clear([]);
    expect(cache.stats().entries).toBe(0);
  });
});
