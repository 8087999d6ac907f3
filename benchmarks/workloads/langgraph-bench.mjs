// LangGraph.js's own benchmark workloads, re-created from their description (libs/langgraph bench):
// "sequential_N" is a MessagesAnnotation graph of N no-op nodes in a chain; "react_agent_Nx" is
// createReactAgent whose fake model calls one tool N times (long query arguments) before answering.
import { randomUUID } from "node:crypto";

import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { MessagesAnnotation, StateGraph } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { z } from "zod";

export function sequentialGraph(nodes, checkpointer) {
  const builder = new StateGraph(MessagesAnnotation);
  let previous = "__start__";
  for (let i = 0; i < nodes; i++) {
    builder.addNode(`node_${i}`, () => ({}));
    builder.addEdge(previous, `node_${i}`);
    previous = `node_${i}`;
  }
  builder.addEdge(previous, "__end__");
  return builder.compile(checkpointer ? { checkpointer } : {});
}

/** Replays a fixed list of AI messages, one per call, as a tool-calling chat model would answer. */
class ScriptedModel extends BaseChatModel {
  constructor(responses) {
    super({});
    this.responses = responses;
    this.calls = 0;
  }
  _llmType() {
    return "scripted";
  }
  bindTools() {
    return this;
  }
  async _generate() {
    const message = this.responses[this.calls++ % this.responses.length];
    return { generations: [{ text: String(message.content), message }] };
  }
}

export function reactAgentGraph(toolCalls, checkpointer) {
  const search = tool(({ query }) => `result for query: ${query}`.repeat(10), {
    name: "search_tool",
    description: "A test tool",
    schema: z.object({ query: z.string() }),
  });
  const responses = [
    ...Array.from(
      { length: toolCalls },
      (_, i) =>
        new AIMessage({
          content: "",
          id: `ai-${i}`,
          tool_calls: [{ id: `call-${i}`, name: "search_tool", args: { query: `${randomUUID()}`.repeat(100) } }],
        }),
    ),
    new AIMessage({ content: "answer".repeat(100), id: "final" }),
  ];
  return createReactAgent({ llm: new ScriptedModel(responses), tools: [search], checkpointSaver: checkpointer });
}

export const workloads = {
  sequential_10: { build: (cp) => sequentialGraph(10, cp), input: () => ({ messages: [] }) },
  sequential_1000: { build: (cp) => sequentialGraph(1000, cp), input: () => ({ messages: [] }) },
  react_agent_10x: { build: (cp) => reactAgentGraph(10, cp), input: () => ({ messages: [new HumanMessage("hi?")] }) },
  react_agent_100x: { build: (cp) => reactAgentGraph(100, cp), input: () => ({ messages: [new HumanMessage("hi?")] }) },
};

/** Streams one fresh thread; `config` adds to the run's config (e.g. `callbacks`). Returns the chunk count. */
export async function runWorkload(graph, input, config = {}) {
  const chunks = [];
  for await (const chunk of await graph.stream(input, { ...config, configurable: { thread_id: randomUUID() }, recursionLimit: 1e9 }))
    chunks.push(chunk);
  return chunks.length;
}
