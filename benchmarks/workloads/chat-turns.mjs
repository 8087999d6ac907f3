// A chat service's loop: one thread, one invoke per user turn. Each turn appends a human message of
// 300 B, the agent's tool call, the tool's result of 800 B and the agent's answer of 600 B (4 messages,
// 3 supersteps: agent, tools, agent), all realistic prose (benchmarks/lib/text.mjs). The graph is the
// ReAct shape LangGraph users write: an agent node calling a chat model (a scripted BaseChatModel, no
// latency), a conditional edge on its tool calls, and @langchain/langgraph's ToolNode running the tool.
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode } from "@langchain/langgraph/prebuilt";
import { z } from "zod";

import { prose } from "../lib/text.mjs";

export const HUMAN_BYTES = 300;
export const TOOL_RESULT_BYTES = 800;
export const ANSWER_BYTES = 600;

/**
 * Answers from the conversation alone (so every run of a turn gives the same messages): after a human
 * message, one call of `search_docs` with a query; after the tool's result, a 600-byte answer.
 */
class ScriptedAgentModel extends BaseChatModel {
  _llmType() {
    return "scripted-agent";
  }
  bindTools() {
    return this;
  }
  async _generate(messages) {
    const turn = messages.filter((m) => m.getType() === "human").length - 1;
    const last = messages[messages.length - 1];
    const message =
      last.getType() === "tool"
        ? new AIMessage({ content: prose(3e6 + turn, ANSWER_BYTES), id: `answer-${turn}` })
        : new AIMessage({
            content: "",
            id: `call-${turn}`,
            tool_calls: [{ id: `tool-call-${turn}`, name: "search_docs", args: { query: prose(4e6 + turn, 60), turn } }],
          });
    return { generations: [{ text: typeof message.content === "string" ? message.content : "", message }] };
  }
}

const searchDocs = tool(({ turn }) => prose(2e6 + turn, TOOL_RESULT_BYTES), {
  name: "search_docs",
  description: "Searches the documentation and returns the passages found.",
  schema: z.object({ query: z.string(), turn: z.number() }),
});

export function chatGraph(checkpointer) {
  const model = new ScriptedAgentModel({});
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addNode("tools", new ToolNode([searchDocs]))
    .addEdge(START, "agent")
    .addConditionalEdges("agent", (state) => (state.messages[state.messages.length - 1].tool_calls?.length ? "tools" : END))
    .addEdge("tools", "agent")
    .compile(checkpointer ? { checkpointer } : {});
}

export const humanMessage = (turn) => new HumanMessage({ content: prose(1e6 + turn, HUMAN_BYTES), id: `human-${turn}` });

/** What a thread holds, to compare runs: type, content and tool calls of each message (tool messages get random ids). */
export const contents = (messages) =>
  messages.map((m) => [m.getType(), m.content, m.tool_calls?.map((c) => [c.id, c.name, c.args]) ?? null]);

/**
 * Runs `turns` turns on one fresh thread. With a `checkpointer` each turn passes only the new human
 * message; without one (`floor`), the same graph gets the whole history as input, as a service that keeps
 * the history itself would. `callbacks` are added to each run; `onTurn(turn, ms)` gets each turn's wall
 * time. Returns `contents()` of the thread's messages after the last turn.
 */
export async function runChatTurns({ turns, checkpointer, threadId = "chat", callbacks, onGraph = () => {}, onTurn = () => {} }) {
  const graph = chatGraph(checkpointer);
  onGraph(graph);
  const config = { configurable: { thread_id: threadId }, callbacks };
  let history = [];
  for (let i = 0; i < turns; i++) {
    const input = checkpointer ? [humanMessage(i)] : [...history, humanMessage(i)];
    const t0 = process.hrtime.bigint();
    const result = await graph.invoke({ messages: input }, config);
    onTurn(i, Number(process.hrtime.bigint() - t0) / 1e6);
    history = result.messages;
  }
  return contents(history);
}
