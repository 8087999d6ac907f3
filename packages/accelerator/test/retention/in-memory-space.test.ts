import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";

import { RustSqliteSaver } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

describe("an in-memory database's space", () => {
  it("memoryBytes grows with the threads stored and falls after a prune, without a vacuum", async () => {
    const saver = new RustSqliteSaver(":memory:");
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("model", (s) => ({ messages: [new AIMessage(`reply ${s.messages.length} `.repeat(100))] }))
      .addEdge(START, "model")
      .compile({ checkpointer: saver });
    const empty = saver.memoryBytes as number;
    for (let t = 0; t < 10; t++) {
      for (let i = 0; i < 15; i++) {
        await graph.invoke({ messages: [new HumanMessage(`q${i} `.repeat(100))] }, { configurable: { thread_id: `t${t}` } });
      }
    }
    const full = saver.memoryBytes as number;
    const report = await saver.prune({ keepLast: 1 });
    const pruned = saver.memoryBytes as number;
    const latest = await graph.getState({ configurable: { thread_id: "t3" } });
    saver.close();
    expect(report.threads).toBe(10);
    // 150 turns of ~1.4 KB messages (stored as increments), every checkpoint kept: well past the empty schema.
    expect(full).toBeGreaterThan(empty + 2 ** 19);
    expect(pruned).toBeLessThan(full * 0.6);
    expect(latest.values.messages).toHaveLength(30);
  });

  it("is null for a file", () => {
    const saver = new RustSqliteSaver(temporaryDatabase("memory-bytes"));
    expect(saver.memoryBytes).toBeNull();
    saver.close();
  });
});
