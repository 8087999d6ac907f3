import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import type { StateSnapshot } from "@langchain/langgraph";

import { RustSqliteSaver } from "../../src";
import { normalize } from "../support/normalize";
import { temporaryDatabase } from "../support/temporary-database";

function chat(saver: RustSqliteSaver) {
  return new StateGraph(MessagesAnnotation)
    .addNode("model", (s) => ({ messages: [new AIMessage(`answer ${s.messages.length} `.repeat(30))] }))
    .addEdge(START, "model")
    .compile({ checkpointer: saver });
}

async function historyOf(graph: ReturnType<typeof chat>, config: object) {
  const out: StateSnapshot[] = [];
  for await (const s of graph.getStateHistory(config)) out.push(s);
  return out;
}

describe("state history after pruning", () => {
  it("returns the kept checkpoints exactly as they were, with values rebuilt from rebased increments", async () => {
    const saver = new RustSqliteSaver(temporaryDatabase("history"));
    const graph = chat(saver);
    const config = { configurable: { thread_id: "chat" } };
    for (let i = 0; i < 12; i++) await graph.invoke({ messages: [new HumanMessage(`question ${i}`)] }, config);
    const before = await historyOf(graph, config);

    const report = await saver.prune({ keepLast: 4 });
    const after = await historyOf(graph, config);
    const state = await graph.getState(config);
    saver.close();

    expect(report.checkpoints).toBe(before.length - 4);
    expect(report.values).toBeGreaterThan(0);
    expect(after).toHaveLength(4);
    // Only the link to the pruned parent differs: the oldest kept checkpoint now has no stored parent row.
    expect(normalize(after)).toEqual(normalize(before.slice(0, 4)));
    expect(state.values.messages).toHaveLength(24);
  });

  it("deletes whole threads with strategy delete, only when they are older than the cutoff", async () => {
    const saver = new RustSqliteSaver(temporaryDatabase("delete"));
    const graph = chat(saver);
    await graph.invoke({ messages: [new HumanMessage("old")] }, { configurable: { thread_id: "a" } });
    await graph.invoke({ messages: [new HumanMessage("old")] }, { configurable: { thread_id: "b" } });
    expect((await saver.prune({ strategy: "delete", olderThan: 60_000 })).threads).toBe(0);
    const report = await saver.prune({ strategy: "delete", threadIds: ["a"] });
    expect(report.threads).toBe(1);
    expect(await saver.getTuple({ configurable: { thread_id: "a" } })).toBeUndefined();
    expect(await saver.getTuple({ configurable: { thread_id: "b" } })).toBeDefined();
    saver.close();
  });

  it("prunes in the background when retention is configured, and stops on close", async () => {
    const reports: number[] = [];
    const saver = new RustSqliteSaver(temporaryDatabase("background"), {
      retention: { keepLast: 2, every: 10, onPrune: (r) => reports.push(r.checkpoints) },
    });
    const graph = chat(saver);
    const config = { configurable: { thread_id: "bg" } };
    for (let i = 0; i < 5; i++) await graph.invoke({ messages: [new HumanMessage(`q${i}`)] }, config);
    const afterWrites = reports.length;
    while (reports.length < afterWrites + 2) await new Promise((r) => setTimeout(r, 10));
    expect(reports.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(await historyOf(graph, config)).toHaveLength(2);
    saver.close();
    const seen = reports.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(reports.length).toBe(seen);
  });

  it("rejects a policy that would keep nothing", async () => {
    const saver = new RustSqliteSaver(":memory:");
    await expect(saver.prune({ keepLast: 0 })).rejects.toThrow(/keepLast must be an integer of at least 1/);
    await expect(saver.prune({})).rejects.toThrow(/needs keepLast or olderThan/);
    await expect(saver.prune({ keepLast: 1, strategy: "all" as "delete" })).rejects.toThrow(/strategy must be/);
    saver.close();
  });
});
