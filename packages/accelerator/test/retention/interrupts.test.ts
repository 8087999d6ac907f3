import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { Command, END, MessagesAnnotation, Send, START, StateGraph, interrupt } from "@langchain/langgraph";

import { RustSqliteSaver } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

type ToolCall = { id: string; name: string; args: { n: number } };

/** An AIMessage with three tool calls; each call runs as its own task and asks a human first. */
function agentWithInterruptingTools(saver: RustSqliteSaver, runs: Map<string, number>) {
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

describe("pruning between resumes of a human-in-the-loop thread", () => {
  it.each([["keep_last" as const], ["keep_latest" as const]])(
    "with %s, every tool runs exactly once and the thread finishes",
    async (strategy) => {
      const saver = new RustSqliteSaver(temporaryDatabase("hitl"));
      const runs = new Map<string, number>();
      const graph = agentWithInterruptingTools(saver, runs);
      const config = { configurable: { thread_id: "hitl" } };
      type Interrupted = { __interrupt__?: Array<{ id: string; value: { approve: string } }> };
      let result = (await graph.invoke({ messages: [new HumanMessage("deploy three services")] }, config)) as Interrupted;

      for (let round = 0; round < 3; round++) {
        const pending = result.__interrupt__ ?? [];
        expect(pending.map((p) => p.value.approve)).toEqual([`call-1`, `call-2`, `call-3`].slice(round));
        const report = await saver.prune({ keepLast: 1, strategy });
        if (round === 0) expect(report.checkpoints).toBeGreaterThan(0);
        result = (await graph.invoke(new Command({ resume: { [pending[0].id]: "approved" } }), config)) as Interrupted;
      }

      const final = await graph.getState(config);
      saver.close();
      expect(final.next).toEqual([]);
      expect((final.values.messages.at(-1) as AIMessage).content).toBe("all done");
      expect(Object.fromEntries(runs)).toEqual({ "call-1": 1, "call-2": 1, "call-3": 1 });
      const results = final.values.messages.filter((m: unknown) => m instanceof ToolMessage).map((m: ToolMessage) => m.content);
      expect(results.sort()).toEqual(["call-1 approved", "call-2 approved", "call-3 approved"]);
    },
  );
});
