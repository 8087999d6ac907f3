import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import {
  Annotation,
  Command,
  DeltaChannel,
  END,
  MessagesAnnotation,
  Send,
  START,
  StateGraph,
  interrupt,
  messagesDeltaReducer,
} from "@langchain/langgraph";

/** What one scenario produced: outputs, stream events and the state history of every thread it used. */
export interface Transcript {
  outputs: unknown[];
  events: unknown[];
  history: unknown[];
}

async function historyOf(graph: { getStateHistory(config: object): AsyncIterable<unknown> }, config: object) {
  const out: unknown[] = [];
  for await (const snapshot of graph.getStateHistory(config)) out.push(snapshot);
  return out;
}

async function collect(stream: AsyncIterable<unknown>) {
  const out: unknown[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

const words = (i: number) => `reply ${i}: ${"lorem ipsum dolor sit amet ".repeat(8)}`;

/** A chat agent: model -> tool -> model ..., each turn appending messages, over several invocations. */
export async function messagesAgent(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  let turn = 0;
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("model", async (state) => {
      turn += 1;
      const last = state.messages[state.messages.length - 1];
      if (last instanceof ToolMessage || turn % 3 === 0) return { messages: [new AIMessage(words(turn))] };
      return {
        messages: [new AIMessage({ content: "", tool_calls: [{ id: `call_${turn}`, name: "lookup", args: { q: turn } }] })],
      };
    })
    .addNode("tool", async (state) => {
      const call = (state.messages[state.messages.length - 1] as AIMessage).tool_calls?.[0];
      return { messages: [new ToolMessage({ content: `result for ${call?.args.q}`, tool_call_id: call?.id ?? "" })] };
    })
    .addEdge(START, "model")
    .addConditionalEdges("model", (s) => ((s.messages.at(-1) as AIMessage).tool_calls?.length ? "tool" : END))
    .addEdge("tool", "model")
    .compile({ checkpointer });
  const config = { configurable: { thread_id: "agent" } };
  const outputs: unknown[] = [];
  const events: unknown[] = [];
  for (let i = 0; i < 4; i++) {
    events.push(
      ...(await collect(await graph.stream({ messages: [new HumanMessage(`question ${i}`)] }, { ...config, streamMode: "updates" }))),
    );
    outputs.push(await graph.getState(config));
  }
  return { outputs, events, history: await historyOf(graph, config) };
}

const Fan = Annotation.Root({
  topic: Annotation<string>,
  items: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** Parallel branches: static fan-out to three nodes plus dynamic `Send`s, all writing one reducer channel. */
export async function parallelBranches(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  const graph = new StateGraph(Fan)
    .addNode("plan", () => ({ items: ["plan"] }))
    .addNode("a", (s) => ({ items: [`a:${s.topic}`] }))
    .addNode("b", (s) => ({ items: [`b:${s.topic}`] }))
    .addNode("worker", (s: { topic: string }) => ({ items: [`worker:${s.topic}`] }))
    .addNode("join", (s) => ({ items: [`join:${s.items.length}`] }))
    .addEdge(START, "plan")
    .addConditionalEdges("plan", (s) => [
      new Send("worker", { topic: `${s.topic}-1` }),
      new Send("worker", { topic: `${s.topic}-2` }),
      "a",
      "b",
    ])
    .addEdge(["a", "b", "worker"], "join")
    .addEdge("join", END)
    .compile({ checkpointer });
  const config = { configurable: { thread_id: "fan" } };
  const events = await collect(await graph.stream({ topic: "x" }, { ...config, streamMode: ["values", "updates"] }));
  const outputs = [await graph.invoke({ topic: "y" }, config)];
  return { outputs, events, history: await historyOf(graph, config) };
}

/** A subgraph node: its checkpoints live in a child namespace. */
export async function subgraph(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  const inner = new StateGraph(MessagesAnnotation)
    .addNode("inner_a", () => ({ messages: [new AIMessage("inner a")] }))
    .addNode("inner_b", () => ({ messages: [new AIMessage("inner b")] }))
    .addEdge(START, "inner_a")
    .addEdge("inner_a", "inner_b")
    .compile();
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("before", () => ({ messages: [new AIMessage("before")] }))
    .addNode("child", inner)
    .addNode("after", () => ({ messages: [new AIMessage("after")] }))
    .addEdge(START, "before")
    .addEdge("before", "child")
    .addEdge("child", "after")
    .compile({ checkpointer });
  const config = { configurable: { thread_id: "sub" } };
  const events = await collect(
    await graph.stream({ messages: [new HumanMessage("go")] }, { ...config, streamMode: "updates", subgraphs: true }),
  );
  const outputs = [await graph.getState(config, { subgraphs: true })];
  return { outputs, events, history: await historyOf(graph, config) };
}

const Approval = Annotation.Root({
  request: Annotation<string>,
  answers: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** Human in the loop: two interrupts, each resumed with a `Command`. */
export async function interruptAndResume(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  const graph = new StateGraph(Approval)
    .addNode("ask", (s) => ({ answers: [String(interrupt({ question: `approve ${s.request}?` }))] }))
    .addNode("confirm", () => ({ answers: [String(interrupt("really?"))] }))
    .addEdge(START, "ask")
    .addEdge("ask", "confirm")
    .addEdge("confirm", END)
    .compile({ checkpointer });
  const config = { configurable: { thread_id: "hitl" } };
  const outputs: unknown[] = [];
  outputs.push(await graph.invoke({ request: "deploy" }, config));
  outputs.push(await graph.getState(config));
  outputs.push(await graph.invoke(new Command({ resume: "yes" }), config));
  outputs.push(await graph.invoke(new Command({ resume: "sure" }), config));
  outputs.push(await graph.getState(config));
  return { outputs, events: [], history: await historyOf(graph, config) };
}

const Counter = Annotation.Root({
  log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** `updateState` on an earlier checkpoint forks the thread; the fork then runs on. */
export async function updateStateFork(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  const graph = new StateGraph(Counter)
    .addNode("one", () => ({ log: ["one"] }))
    .addNode("two", () => ({ log: ["two"] }))
    .addNode("three", () => ({ log: ["three"] }))
    .addEdge(START, "one")
    .addEdge("one", "two")
    .addEdge("two", "three")
    .addEdge("three", END)
    .compile({ checkpointer });
  const config = { configurable: { thread_id: "fork" } };
  const outputs: unknown[] = [await graph.invoke({ log: ["start"] }, config)];
  const history = await historyOf(graph, config);
  const afterOne = (history as Array<{ next: string[]; config: object }>).find((s) => s.next.includes("two"));
  const forked = await graph.updateState(afterOne!.config, { log: ["edited"] }, "one");
  outputs.push(await graph.invoke(null, forked));
  outputs.push(await graph.getState(config));
  return { outputs, events: [], history: await historyOf(graph, config) };
}

const DeltaMessages = Annotation.Root({
  messages: new DeltaChannel(messagesDeltaReducer, { snapshotFrequency: 3 }) as unknown as ReturnType<typeof Annotation<BaseMessage[]>>,
});

/** Messages kept in LangGraph's DeltaChannel: loading a thread replays ancestor writes via getDeltaChannelHistory. */
export async function deltaChannelMessages(checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  const graph = new StateGraph(DeltaMessages)
    .addNode("model", (s: { messages: BaseMessage[] }) => ({ messages: [new AIMessage(`answer ${s.messages.length}`)] }))
    .addNode("echo", (s: { messages: BaseMessage[] }) => ({ messages: [new AIMessage(`echo ${s.messages.length}`)] }))
    .addEdge(START, "model")
    .addEdge("model", "echo")
    .compile({ checkpointer });
  const config = { configurable: { thread_id: "delta" } };
  const outputs: unknown[] = [];
  for (let i = 0; i < 5; i++) outputs.push(await graph.invoke({ messages: [new HumanMessage(`turn ${i}`)] }, config));
  outputs.push(await graph.getState(config));
  return { outputs, events: [], history: await historyOf(graph, config) };
}

export const scenarios = { messagesAgent, parallelBranches, subgraph, interruptAndResume, updateStateFork, deltaChannelMessages };

/** One node answering every turn with `answer #<messages so far>`: the smallest chat thread, for layout tests. */
export function answeringChat(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(MessagesAnnotation)
    .addNode("model", (s) => ({ messages: [new AIMessage(`answer #${s.messages.length}`)] }))
    .addEdge(START, "model")
    .addEdge("model", END)
    .compile({ checkpointer });
}
