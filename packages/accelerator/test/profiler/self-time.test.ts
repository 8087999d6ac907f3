import { HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { Annotation, START, StateGraph } from "@langchain/langgraph";
import { z } from "zod";
import { createProfiler } from "../../src/profiler";
import { PROFILER_MODES, recording } from "../support/profiler-modes";
import { ScheduledChatModel, sleep } from "../support/profiler-models";

const Log = Annotation.Root({
  ran: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

describe.each(PROFILER_MODES)("profiler self time, %s", (mode) => {
  test("self time excludes nested model and tool calls, and the parts add up to the node's total", async () => {
    const model = new ScheduledChatModel(12);
    const lookup = tool(
      async ({ q }: { q: string }) => {
        await sleep(8);
        return `found ${q}`;
      },
      { name: "lookup", description: "looks up", schema: z.object({ q: z.string() }) },
    );
    const graph = new StateGraph(Log)
      .addNode("work", async () => {
        await sleep(10);
        await model.invoke([new HumanMessage("hi")]);
        await lookup.invoke({ q: "x" });
        await Promise.all([model.invoke([new HumanMessage("a")]), model.invoke([new HumanMessage("b")])]);
        return { ran: ["work"] };
      })
      .addEdge(START, "work")
      .compile();
    const profiler = createProfiler({ otel: false });
    await recording(mode, profiler, async (wrap) => {
      for (let i = 0; i < 3; i++) await graph.invoke({ ran: [] }, wrap({}));
    });
    const s = profiler.summary();
    const work = s.nodes.find((n) => n.node === "work");
    expect(work?.count).toBe(3);
    const m = s.models.find((x) => x.name === "ScheduledChatModel");
    expect(m).toMatchObject({ count: 9, inputTokens: 9 * 3 });
    expect(s.tools.find((t) => t.name === "lookup")?.count).toBe(3);
    if (!work) throw new Error("no work node");
    // Windows from the recorded timestamps: self + nested (model calls in parallel counted once) = total.
    expect(Math.abs(work.selfMs + work.modelMs + work.toolMs - work.totalMs)).toBeLessThan(0.01 * work.totalMs + 0.5);
    // The parallel pair of model calls overlaps, so the node's model time is below the sum of call durations.
    expect(work.modelMs).toBeLessThan(m?.totalMs ?? 0);
    expect(work.selfMs).toBeGreaterThanOrEqual(3 * 9);
    expect(work.toolMs).toBeGreaterThanOrEqual(3 * 7);
    for (const rec of profiler.store.data.modelCalls) {
      const task = profiler.store.data.tasks.find((t) => t.id === rec.taskId);
      expect(task && rec.start >= task.start && (rec.end as number) <= (task.end as number)).toBe(true);
    }
  });
});
