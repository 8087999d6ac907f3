import { InMemoryCache } from "@langchain/core/caches";
import { HumanMessage } from "@langchain/core/messages";
import { Annotation, Command, END, MemorySaver, START, Send, StateGraph, interrupt } from "@langchain/langgraph";
import { createProfiler } from "../../src/profiler";
import { ScheduledChatModel, sleep } from "../support/profiler-models";

const Log = Annotation.Root({
  ran: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** Every node appends its name to `log` when LangGraph runs it. */
function fanOutGraph(log: string[]) {
  const sub = new StateGraph(Log)
    .addNode("inner", async () => {
      log.push("inner");
      return {};
    })
    .addEdge(START, "inner")
    .compile();
  return new StateGraph(Log)
    .addNode("a", async () => {
      log.push("a");
      return { ran: ["a"] };
    })
    .addNode("b1", async () => {
      log.push("b1");
      await sleep(15);
      return { ran: ["b1"] };
    })
    .addNode("b2", async () => {
      log.push("b2");
      await sleep(15);
      return { ran: ["b2"] };
    })
    .addNode("w", async (x: { i: number }) => {
      log.push("w");
      return { ran: [`w${x.i}`] };
    })
    .addNode("sub", async (state: typeof Log.State, config) => {
      log.push("sub");
      return sub.invoke(state, config);
    })
    .addEdge(START, "a")
    .addEdge("a", "b1")
    .addEdge("a", "b2")
    .addConditionalEdges("b1", () => [new Send("w", { i: 1 }), new Send("w", { i: 2 }), new Send("w", { i: 3 })])
    .addEdge("w", "sub")
    .addEdge("sub", END)
    .compile({ checkpointer: new MemorySaver() });
}

describe("profiler callback handler on real graphs", () => {
  test("parallel branches, Send and a subgraph: node counts and supersteps equal LangGraph's own record", async () => {
    const log: string[] = [];
    const graph = fanOutGraph(log);
    const profiler = createProfiler();
    const config = { configurable: { thread_id: "fan" } };
    await graph.invoke({ ran: [] }, profiler.withCallbacks(config));
    await graph.invoke({ ran: [] }, profiler.withCallbacks(config));
    const s = profiler.summary();

    // What LangGraph ran, as the nodes logged it.
    const ranCount = (name: string) => log.filter((r) => r === name).length;
    for (const node of ["a", "b1", "b2", "w", "sub", "inner"]) {
      const summary = s.nodes.find((n) => n.node === node);
      expect({ node, calls: summary?.count }).toEqual({ node, calls: ranCount(node) });
    }
    expect(s.nodes.find((n) => n.node === "w")?.count).toBe(6);

    // Supersteps: every checkpoint of the thread lists the tasks of the next step (newest run first).
    const top = s.graphRuns.filter((g) => !g.parentRunId);
    expect(top).toHaveLength(2);
    top.reverse();
    const history = [];
    for await (const snap of graph.getStateHistory(config)) history.push(snap);
    const lastRunStart = history.findIndex((h) => h.metadata?.source === "input");
    const expected = history
      .slice(0, lastRunStart)
      .filter((h) => h.tasks.length > 0 && (h.metadata?.step ?? -1) >= 0)
      .map((h) => ({ step: (h.metadata?.step as number) + 1, nodes: h.tasks.map((t) => t.name).sort() }))
      .sort((x, y) => x.step - y.step);
    const recorded = top[0].supersteps
      .filter((st) => !st.nodes.includes("__start__"))
      .map((st) => ({ step: st.step, nodes: [...st.nodes].sort() }));
    expect(recorded).toEqual(expected);

    // b1 and b2 ran in the same superstep at the same time.
    const parallel = top[0].supersteps.find((st) => st.nodes.includes("b1"));
    expect(parallel?.nodes.sort()).toEqual(["b1", "b2"]);
    expect(parallel?.parallelism).toBe(2);

    // The subgraph is a graph run of its own under the top-level run, inside the "sub" task's window.
    const subRun = s.graphRuns.find((g) => g.parentRunId === top[0].id);
    expect(subRun?.supersteps.flatMap((st) => st.nodes)).toContain("inner");
    const subRaw = profiler.store.data.graphRuns.find((g) => g.id === subRun?.id);
    const subTask = profiler.store.data.tasks.find((t) => t.id === subRaw?.parentTaskId);
    expect(subTask?.node).toBe("sub");
    expect(subRun && subTask && subRun.start >= subTask.start && subRun.end <= (subTask.end as number)).toBe(true);
    expect(s.nodes.find((n) => n.node === "sub")?.subgraphMs).toBeGreaterThan(0);
    expect(profiler.report()).toContain("b1");
  });

  test("streaming: time to first token and token count of a streamed model call", async () => {
    const model = new ScheduledChatModel(5);
    const graph = new StateGraph(Log)
      .addNode("chat", async () => {
        let text = "";
        for await (const chunk of await model.stream([new HumanMessage("one two three")])) text += chunk.content;
        return { ran: [text] };
      })
      .addEdge(START, "chat")
      .compile();
    const profiler = createProfiler();
    const chunks = [];
    for await (const c of await graph.stream({ ran: [] }, profiler.withCallbacks({ streamMode: "messages" as const }))) chunks.push(c);
    expect(chunks.length).toBe(4); // "reply:", " one", " two", " three"
    const [call] = profiler.store.data.modelCalls;
    expect(call.tokens).toBe(4);
    expect(call.firstTokenAt).toBeGreaterThan(call.start);
    expect(call.firstTokenAt).toBeLessThanOrEqual(call.end as number);
    expect(profiler.summary().models[0].ttft?.count).toBe(1);
  });

  test("interrupts and resume: the interrupted attempt and the resumed one, in two graph runs", async () => {
    const graph = new StateGraph(Log)
      .addNode("ask", async () => {
        const answer = interrupt("question?") as string;
        return { ran: [`ask:${answer}`] };
      })
      .addNode("after", async () => ({ ran: ["after"] }))
      .addEdge(START, "ask")
      .addEdge("ask", "after")
      .compile({ checkpointer: new MemorySaver() });
    const profiler = createProfiler();
    const config = { configurable: { thread_id: "hitl" } };
    await graph.invoke({ ran: [] }, profiler.withCallbacks(config));
    const out = await graph.invoke(new Command({ resume: "yes" }), profiler.withCallbacks(config));
    expect(out.ran).toEqual(["ask:yes", "after"]);
    const s = profiler.summary();
    const ask = s.nodes.find((n) => n.node === "ask");
    expect(ask).toMatchObject({ count: 2, interrupts: 1, errors: 0 });
    expect(s.nodes.find((n) => n.node === "after")?.count).toBe(1);
    expect(s.graphRuns.map((g) => g.status)).toEqual(["ok", "ok"]);
    const tasks = profiler.store.data.tasks.filter((t) => t.node === "ask");
    expect(tasks.map((t) => t.status)).toEqual(["interrupted", "ok"]);
  });

  test("errors and retries: attempts, retries and errors of a node with a retry policy; a failed run", async () => {
    let calls = 0;
    const graph = new StateGraph(Log)
      .addNode(
        "flaky",
        async () => {
          calls++;
          if (calls <= 2) throw new Error(`flaky failure ${calls}`);
          return { ran: ["flaky"] };
        },
        { retryPolicy: { maxAttempts: 3, initialInterval: 1, jitter: false, retryOn: () => true } },
      )
      .addEdge(START, "flaky")
      .compile();
    const profiler = createProfiler();
    await graph.invoke({ ran: [] }, profiler.withCallbacks({}));
    const flaky = profiler.summary().nodes.find((n) => n.node === "flaky");
    expect(calls).toBe(3);
    expect(flaky).toMatchObject({ count: 3, tasks: 1, retries: 2, errors: 2 });

    const broken = new StateGraph(Log)
      .addNode("boom", async () => {
        throw new Error("boom failed");
      })
      .addEdge(START, "boom")
      .compile();
    await expect(broken.invoke({ ran: [] }, profiler.withCallbacks({}))).rejects.toThrow("boom failed");
    const s = profiler.summary();
    expect(s.graphRuns.at(-1)?.status).toBe("error");
    expect(profiler.store.data.tasks.find((t) => t.node === "boom")?.error).toContain("boom failed");
  });

  test("model cache hits, repeated prompts and rate-limit errors", async () => {
    const cached = new ScheduledChatModel(0);
    cached.cache = new InMemoryCache();
    const limited = new ScheduledChatModel(0, [1, 2]);
    const graph = new StateGraph(Log)
      .addNode("ask", async () => {
        await cached.invoke([new HumanMessage("same")]);
        await cached.invoke([new HumanMessage("same")]);
        for (let i = 0; i < 3; i++) await limited.invoke([new HumanMessage("again")]).catch(() => undefined);
        return { ran: ["ask"] };
      })
      .addEdge(START, "ask")
      .compile();
    const profiler = createProfiler();
    await graph.invoke({ ran: [] }, profiler.withCallbacks({}));
    const s = profiler.summary();
    const m = s.models.find((x) => x.name === "ScheduledChatModel");
    expect(m).toMatchObject({ count: 5, cacheHits: 1, errors: 2, rateLimited: 2, repeatedPrompts: 3 });
    expect(cached.calls).toBe(1);
    expect(profiler.advice().map((a) => a.rule)).toContain("rate-limits");
  });
});
