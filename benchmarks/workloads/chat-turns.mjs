// A chat loop over turns: each turn invokes the graph with one new human message on the same thread;
// the graph's one node calls a chat model (@langchain/core's FakeListChatModel, no sleep) and appends
// its answer, so every turn is one model call, one superstep and its checkpoints.
import { HumanMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";

import { prose } from "./messages-loop.mjs";

export function chatGraph(checkpointer) {
  const model = new FakeListChatModel({ responses: Array.from({ length: 16 }, (_, i) => prose(i, 600)) });
  return new StateGraph(MessagesAnnotation)
    .addNode("chat", async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addEdge(START, "chat")
    .compile({ checkpointer });
}

/** Runs `turns` turns on one fresh thread (`callbacks` added to each run); returns the contents of the thread's messages. */
export async function runChatTurns({ turns, checkpointer, threadId = "chat", callbacks, onGraph = () => {} }) {
  const graph = chatGraph(checkpointer);
  onGraph(graph);
  const config = { configurable: { thread_id: threadId }, callbacks };
  let result;
  for (let i = 0; i < turns; i++)
    result = await graph.invoke({ messages: [new HumanMessage({ content: prose(1000 + i, 200), id: `h-${i}` })] }, config);
  return result.messages.map((m) => m.content);
}
