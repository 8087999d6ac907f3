// The 3-node messages loop of the research notes: MessagesAnnotation, each node appends one ~1 KB
// AIMessage of word-like text, looping until the thread holds `steps` messages after the input.
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";

const WORDS = "the agent reads a tool result then plans its next step and writes a short answer for the user".split(" ");

export function prose(seed, bytes = 1024) {
  let out = "";
  for (let i = 0; out.length < bytes; i++) out += `${WORDS[(seed * 7 + i * 13) % WORDS.length]} `;
  return out.slice(0, bytes);
}

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
