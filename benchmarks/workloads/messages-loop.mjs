// The 3-node messages loop of the research notes: MessagesAnnotation, each node appends one ~1 KB
// AIMessage of realistic prose (benchmarks/lib/text.mjs), looping until the thread holds `steps` messages
// after the input.
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";

import { prose } from "../lib/text.mjs";

export { prose };

/**
 * Builds the loop; `onStep(index)` is called once per superstep. With `awaitIo` each node first waits
 * one macrotask, as a node doing network I/O would, so timers get a chance to run between steps.
 */
export function messagesLoop({ steps, checkpointer, onStep = () => {}, awaitIo = false }) {
  let count = 0;
  const node = (name) => async () => {
    if (awaitIo) await new Promise((resolve) => setImmediate(resolve));
    count += 1;
    onStep(count);
    return { messages: [new AIMessage({ content: prose(count), name, id: `msg-${count}` })] };
  };
  return new StateGraph(MessagesAnnotation)
    .addNode("a", node("a"))
    .addNode("b", node("b"))
    .addNode("c", node("c"))
    .addEdge(START, "a")
    .addEdge("a", "b")
    .addEdge("b", "c")
    .addConditionalEdges("c", (s) => (s.messages.length > steps ? "__end__" : "a"))
    .compile(checkpointer ? { checkpointer } : {});
}

export async function runMessagesLoop(options) {
  const graph = messagesLoop(options);
  const result = await graph.invoke(
    { messages: [new HumanMessage({ content: "start", id: "input" })] },
    { configurable: { thread_id: options.threadId ?? "loop" }, recursionLimit: options.steps * 2 + 10 },
  );
  return result.messages.map((m) => m.content);
}
