import { AIMessage, HumanMessage, RemoveMessage, type BaseMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { InMemoryCache } from "@langchain/langgraph-checkpoint";
import {
  Annotation,
  Command,
  END,
  MessagesAnnotation,
  REMOVE_ALL_MESSAGES,
  Send,
  START,
  StateGraph,
  entrypoint,
  interrupt,
  task,
} from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { z } from "zod";

import type { Transcript } from "./graphs";
import { ScriptedToolCallingModel } from "./tool-calling-model";

async function collect(stream: AsyncIterable<unknown>) {
  const out: unknown[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

async function historyOf(graph: { getStateHistory(config: object): AsyncIterable<unknown> }, config: object) {
  const out: unknown[] = [];
  for await (const snapshot of graph.getStateHistory(config)) out.push(snapshot);
  return out;
}

/** createReactAgent with two tools and a tool-calling model, over three turns. */
export async function reactAgent(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  const search = tool(async ({ query }: { query: string }) => `found: ${query.length} chars`, {
    name: "search",
    description: "search the web",
    schema: z.object({ query: z.string() }),
  });
  const weather = tool(async () => "sunny, 21C", { name: "weather", description: "weather", schema: z.object({ query: z.string() }) });
  const agent = createReactAgent({ llm: new ScriptedToolCallingModel({}), tools: [search, weather], checkpointSaver: checkpointer });
  const config = { configurable: { thread_id: "react" } };
  const events: unknown[] = [];
  for (const q of ["use search please", "weather and search both", "just chat"]) {
    events.push(...(await collect(await agent.stream({ messages: [new HumanMessage(q)] }, { ...config, streamMode: "updates" }))));
  }
  return { outputs: [await agent.getState(config)], events, history: await historyOf(agent, config) };
}

/** Five workers sent with Send all append to `messages` in one superstep: the batched merge path. */
export async function sendFanOutMessages(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("worker", (s: { n: number }) => ({
      messages: [new AIMessage({ content: `worker ${s.n}`, id: `w-${s.n}` }), new AIMessage(`note ${s.n}`)],
    }))
    .addNode("summarize", (s) => ({ messages: [new AIMessage(`${s.messages.length} messages`)] }))
    .addConditionalEdges(START, () => [1, 2, 3, 4, 5].map((n) => new Send("worker", { n })))
    .addEdge("worker", "summarize")
    .addEdge("summarize", END)
    .compile({ checkpointer });
  const config = { configurable: { thread_id: "fan-messages" } };
  const events = await collect(await graph.stream({ messages: [new HumanMessage("go")] }, { ...config, streamMode: "values" }));
  const outputs = [await graph.invoke({ messages: [new HumanMessage("again")] }, config)];
  return { outputs, events, history: await historyOf(graph, config) };
}

/** Replacing by id, RemoveMessage and REMOVE_ALL_MESSAGES, from parallel writers and in sequence. */
export async function messageRemovals(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("seed", () => ({ messages: [1, 2, 3, 4].map((i) => new AIMessage({ content: `m${i}`, id: `m${i}` })) }))
    .addNode("remover", () => ({ messages: [new RemoveMessage({ id: "m2" })] }))
    .addNode("replacer", () => ({
      messages: [new AIMessage({ content: "m2 again", id: "m2" }), new AIMessage({ content: "m3 edited", id: "m3" })],
    }))
    .addNode("reset", (s) => ({
      messages: s.messages.length > 3 ? [new RemoveMessage({ id: REMOVE_ALL_MESSAGES }), new AIMessage("fresh")] : [],
    }))
    .addEdge(START, "seed")
    .addEdge("seed", "remover")
    .addEdge("seed", "replacer")
    .addEdge(["remover", "replacer"], "reset")
    .addEdge("reset", END)
    .compile({ checkpointer });
  const config = { configurable: { thread_id: "removals" } };
  const outputs = [await graph.invoke({ messages: [new HumanMessage("start")] }, config)];
  return { outputs, events: [], history: await historyOf(graph, config) };
}

/** A node with a cache policy: the second identical input is served from LangGraph's node cache. */
export async function nodeCaching(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  let runs = 0;
  const State = Annotation.Root({ x: Annotation<number>, y: Annotation<number> });
  const graph = new StateGraph(State)
    .addNode(
      "square",
      (s) => {
        runs += 1;
        return { y: s.x * s.x };
      },
      { cachePolicy: { ttl: 60 } },
    )
    .addEdge(START, "square")
    .compile({ checkpointer, cache: new InMemoryCache() });
  const outputs: unknown[] = [];
  for (const [thread, x] of [
    ["c1", 3],
    ["c2", 3],
    ["c3", 4],
  ] as const) {
    outputs.push(await graph.invoke({ x }, { configurable: { thread_id: thread } }));
  }
  outputs.push({ runs });
  return { outputs, events: [], history: await historyOf(graph, { configurable: { thread_id: "c2" } }) };
}

/** A node retried by its retry policy, and a node whose error ends the run (kept in the checkpoint). */
export async function retryAndError(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  let attempts = 0;
  const State = Annotation.Root({
    log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
    fail: Annotation<boolean>,
  });
  const graph = new StateGraph(State)
    .addNode(
      "flaky",
      () => {
        attempts += 1;
        if (attempts < 3) throw new Error(`transient ${attempts}`);
        return { log: [`flaky ok after ${attempts}`] };
      },
      { retryPolicy: { maxAttempts: 3, initialInterval: 1, backoffFactor: 1, jitter: false, retryOn: () => true } },
    )
    .addNode("strict", (s) => {
      if (s.fail) throw new Error("strict node refused");
      return { log: ["strict ok"] };
    })
    .addEdge(START, "flaky")
    .addEdge("flaky", "strict")
    .compile({ checkpointer });
  const config = { configurable: { thread_id: "errors" } };
  const outputs: unknown[] = [];
  try {
    await graph.invoke({ fail: true }, config);
  } catch (error) {
    outputs.push({ error: (error as Error).message });
  }
  outputs.push(await graph.getState(config));
  outputs.push(await graph.invoke(new Command({ update: { fail: false } }), config).catch((e: Error) => ({ error: e.message })));
  return { outputs, events: [], history: await historyOf(graph, config) };
}

/** Every stream mode at once: values, updates, debug, custom (config.writer) and messages (a chat model). */
export async function allStreamModes(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  const model = new FakeListChatModel({ responses: ["streamed reply one", "streamed reply two"] });
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("chat", async (s, config) => {
      config.writer?.({ progress: "calling model" });
      return { messages: [await model.invoke(s.messages, config)] };
    })
    .addNode("after", (_s, config) => {
      config.writer?.({ progress: "done" });
      return { messages: [new AIMessage("after")] };
    })
    .addEdge(START, "chat")
    .addEdge("chat", "after")
    .compile({ checkpointer });
  const config = { configurable: { thread_id: "streams" } };
  const events = await collect(
    await graph.stream(
      { messages: [new HumanMessage("hello")] },
      { ...config, streamMode: ["values", "updates", "debug", "custom", "messages"] },
    ),
  );
  return { outputs: [await graph.getState(config)], events, history: await historyOf(graph, config) };
}

/** The functional API: an entrypoint calling tasks, checkpointed across two invocations. */
export async function functionalApi(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  const double = task("double", async (n: number) => n * 2);
  const describe = task("describe", async (n: number) => `value ${n}`);
  const workflow = entrypoint({ name: "workflow", checkpointer }, async (n: number) => {
    const doubled = await double(n);
    const [a, b] = await Promise.all([describe(doubled), describe(doubled + 1)]);
    return { doubled, a, b };
  });
  const config = { configurable: { thread_id: "functional" } };
  const outputs = [await workflow.invoke(5, config), await workflow.invoke(7, config)];
  return { outputs, events: [], history: await historyOf(workflow, config) };
}

/** An interrupt inside a subgraph, resumed from the parent with Command. */
export async function subgraphInterrupt(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  const inner = new StateGraph(MessagesAnnotation)
    .addNode("ask", () => ({ messages: [new AIMessage(`approved: ${interrupt("approve inner step?")}`)] }))
    .addEdge(START, "ask")
    .compile();
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("child", inner)
    .addNode("final", (s: { messages: BaseMessage[] }) => ({ messages: [new AIMessage(`final after ${s.messages.length}`)] }))
    .addEdge(START, "child")
    .addEdge("child", "final")
    .compile({ checkpointer });
  const config = { configurable: { thread_id: "sub-hitl" } };
  const outputs: unknown[] = [await graph.invoke({ messages: [new HumanMessage("start")] }, config)];
  outputs.push(await graph.getState(config, { subgraphs: true }));
  outputs.push(await graph.invoke(new Command({ resume: "yes" }), config));
  return { outputs, events: [], history: await historyOf(graph, config) };
}

/** Three parallel tasks that each interrupt, resumed one by one. */
export async function parallelInterrupts(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  const State = Annotation.Root({ answers: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
  const graph = new StateGraph(State)
    .addNode("ask", (s: { n: number }) => ({ answers: [`${s.n}:${interrupt(`question ${s.n}`)}`] }))
    .addConditionalEdges(START, () => [1, 2, 3].map((n) => new Send("ask", { n })))
    .compile({ checkpointer });
  const config = { configurable: { thread_id: "parallel-hitl" } };
  const outputs: unknown[] = [];
  let result = (await graph.invoke({}, config)) as { __interrupt__?: Array<{ id: string }> };
  outputs.push(result);
  while (result.__interrupt__?.length) {
    result = (await graph.invoke(new Command({ resume: { [result.__interrupt__[0].id]: "ok" } }), config)) as typeof result;
    outputs.push(result);
  }
  return { outputs, events: [], history: await historyOf(graph, config) };
}

export const moreScenarios = {
  reactAgent,
  sendFanOutMessages,
  messageRemovals,
  nodeCaching,
  retryAndError,
  allStreamModes,
  functionalApi,
  subgraphInterrupt,
  parallelInterrupts,
};
