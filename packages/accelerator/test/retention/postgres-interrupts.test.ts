import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { Command, END, MessagesAnnotation, START, Send, StateGraph, interrupt } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";

import { isAcceleratedPostgresSaver } from "../../src/patch/postgres-saver";
import { openSaver, saverKinds } from "./postgres-savers";

type ToolCall = { id: string; name: string; args: { n: number } };

/** An AIMessage with three tool calls; each call runs as its own task and asks a human first. */
function agentWithInterruptingTools(saver: BaseCheckpointSaver, runs: Map<string, number>) {
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", (s) => {
      if (s.messages.some((m) => m instanceof ToolMessage)) return { messages: [new AIMessage("all done")] };
      const calls: ToolCall[] = [1, 2, 3].map((n) => ({ id: `call-${n}`, name: "deploy", args: { n } }));
      return { messages: [new AIMessage({ content: "", tool_calls: calls })] };
    })
    .addNode("tool", (call: ToolCall) => {
      const answer = interrupt({ approve: call.id });
      runs.set(call.id, (runs.get(call.id) ?? 0) + 1);
      return { messages: [new ToolMessage({ tool_call_id: call.id, content: `${call.id} ${answer}` })] };
    })
    .addEdge(START, "agent")
    .addConditionalEdges("agent", (s) => {
      const last = s.messages.at(-1) as AIMessage;
      return last.tool_calls?.length ? last.tool_calls.map((c) => new Send("tool", c)) : END;
    })
    .addEdge("tool", "agent")
    .compile({ checkpointer: saver });
}

describe("pruning a PostgreSQL human-in-the-loop thread between resumes", () => {
  const cases = saverKinds.flatMap((kind) => (["keep_last", "keep_latest"] as const).map((strategy) => [kind, strategy] as const));
  it.each(cases)("%s, %s: every tool runs exactly once and the thread finishes", async (kind, strategy) => {
    const { saver, prune, close } = await openSaver(kind, "hitl");
    try {
      const runs = new Map<string, number>();
      const graph = agentWithInterruptingTools(saver, runs);
      const config = { configurable: { thread_id: "hitl" } };
      type Interrupted = { __interrupt__?: Array<{ id: string; value: { approve: string } }> };
      let result = (await graph.invoke({ messages: [new HumanMessage("deploy three services")] }, config)) as Interrupted;
      if (kind === "patched PostgresSaver") expect(isAcceleratedPostgresSaver(saver)).toBe(true);

      let removed = 0;
      for (let round = 0; round < 3; round++) {
        const pending = result.__interrupt__ ?? [];
        expect(pending.map((p) => p.value.approve)).toEqual(["call-1", "call-2", "call-3"].slice(round));
        const report = await prune({ keepLast: 1, strategy });
        removed += report.checkpoints;
        // What the thread needs to resume is still there: the interrupted tool tasks read back.
        const state = await graph.getState(config);
        expect(state.next).toContain("tool");
        result = (await graph.invoke(new Command({ resume: { [pending[0].id]: "approved" } }), config)) as Interrupted;
      }
      expect(removed).toBeGreaterThan(0);

      const final = await graph.getState(config);
      expect(final.next).toEqual([]);
      expect((final.values.messages.at(-1) as AIMessage).content).toBe("all done");
      expect(Object.fromEntries(runs)).toEqual({ "call-1": 1, "call-2": 1, "call-3": 1 });
      const results = final.values.messages.filter((m: unknown) => m instanceof ToolMessage).map((m: ToolMessage) => m.content);
      expect(results.sort()).toEqual(["call-1 approved", "call-2 approved", "call-3 approved"]);
      // Pruned once more when done, the thread keeps its newest checkpoint and reads back whole.
      await prune({ keepLast: 1, strategy });
      const after = await graph.getState(config);
      expect(after.values.messages.map((m: { content: unknown }) => m.content)).toEqual(
        final.values.messages.map((m: { content: unknown }) => m.content),
      );
    } finally {
      await close();
    }
  });
});
