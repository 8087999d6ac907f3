import { Send } from "@langchain/langgraph";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";

import { ConcurrencyLimit, ConcurrencyQueueFullError, resilient } from "../../src";
import { sleep } from "../../src/resilience/sleep";

describe("ConcurrencyLimit", () => {
  it("hands freed permits to waiters in arrival order", async () => {
    const limit = new ConcurrencyLimit({ maxConcurrency: 2 });
    const order: number[] = [];
    let inFlight = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        limit.run(async () => {
          order.push(i);
          peak = Math.max(peak, ++inFlight);
          await sleep(5 + ((i * 7) % 4));
          inFlight--;
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(2);
    expect(limit.stats()).toMatchObject({ inFlight: 0, peakInFlight: 2, acquired: 10, waited: 8, queued: 0 });
  });

  it("bounds its queue and lets an aborted waiter go without losing the permit", async () => {
    const limit = new ConcurrencyLimit({ maxConcurrency: 1, maxQueue: 1 });
    const release = await limit.acquire();
    const controller = new AbortController();
    const aborted = limit.acquire(controller.signal);
    await expect(limit.acquire()).rejects.toThrow(ConcurrencyQueueFullError);
    controller.abort();
    await expect(aborted).rejects.toThrow(/aborted/);
    const next = limit.acquire();
    release();
    (await next)();
    expect(limit.stats()).toMatchObject({ inFlight: 0, queued: 0, rejected: 1 });
  });

  it("limits a node type by name across two graphs", async () => {
    const name = `node-${process.pid}-${Date.now()}`;
    let inFlight = 0;
    let peak = 0;
    const State = Annotation.Root({
      items: Annotation<number[]>(),
      done: Annotation<number[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
    });
    const work = async (s: { item: number }) => {
      peak = Math.max(peak, ++inFlight);
      await sleep(10);
      inFlight--;
      return { done: [s.item] };
    };
    const graph = () =>
      new StateGraph(State)
        .addNode("work", resilient(work, { maxConcurrency: { name, maxConcurrency: 3 } }))
        .addConditionalEdges(START, (s) => s.items.map((item) => new Send("work", { item })))
        .addEdge("work", END)
        .compile();
    const [a, b] = await Promise.all([graph().invoke({ items: [1, 2, 3, 4, 5, 6] }), graph().invoke({ items: [7, 8, 9, 10, 11, 12] })]);
    expect([...a.done, ...b.done].sort((x: number, y: number) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(peak).toBe(3);
    expect(new ConcurrencyLimit({ name, maxConcurrency: 3 }).stats()).toMatchObject({ peakInFlight: 3, acquired: 12, inFlight: 0 });
  });
});
