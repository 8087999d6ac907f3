import { AIMessage, type BaseMessage, HumanMessage, RemoveMessage, ToolMessage } from "@langchain/core/messages";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { Annotation, Command, END, MessagesAnnotation, START, Send, StateGraph, interrupt } from "@langchain/langgraph";
import fc from "fast-check";

import type { Transcript } from "../../support/graphs";

/**
 * What a node does, written the ways LangGraph.js users write nodes (including ways the docs advise
 * against): append, mutate state in place before returning, replace or remove by id, interrupt.
 */
export type NodeKind =
  | "append"
  | "appendToolCall"
  | "pushInPlace"
  | "editContentInPlace"
  | "editInPlaceSilently"
  | "editToolArgsInPlace"
  | "editKwargsInPlace"
  | "replaceById"
  | "removeLast"
  | "interrupt"
  | "interruptTwice"
  | "log";

export const NODE_KINDS: NodeKind[] = [
  "append",
  "appendToolCall",
  "pushInPlace",
  "editContentInPlace",
  "editInPlaceSilently",
  "editToolArgsInPlace",
  "editKwargsInPlace",
  "replaceById",
  "removeLast",
  "interrupt",
  "interruptTwice",
  "log",
];

export interface GraphSpec {
  /** Stages run in order; a stage of two nodes runs them as parallel branches joined by the next stage. */
  stages: NodeKind[][];
  /** After the last stage: this many `Send`s to a worker that appends (0 = none). */
  sends: number;
  /** The Send workers each call interrupt() first (parallel interrupts, issue 11 case 11). */
  interruptingWorkers: boolean;
  /** A subgraph stage (its nodes append and push in place) after the others. */
  subgraph: boolean;
  /** User turns on one thread. */
  turns: number;
  /** Stream with subgraphs: true. */
  streamSubgraphs: boolean;
}

export function graphSpecArbitrary(kinds: NodeKind[]): fc.Arbitrary<GraphSpec> {
  const kind = fc.constantFrom(...kinds);
  return fc.record({
    stages: fc.array(fc.oneof({ weight: 3, arbitrary: fc.tuple(kind) }, { weight: 1, arbitrary: fc.tuple(kind, kind) }), {
      minLength: 1,
      maxLength: 3,
    }),
    sends: fc.integer({ min: 0, max: 5 }),
    interruptingWorkers: fc.boolean(),
    subgraph: fc.boolean(),
    turns: fc.integer({ min: 1, max: 3 }),
    streamSubgraphs: fc.boolean(),
  });
}

const State = Annotation.Root({
  ...MessagesAnnotation.spec,
  log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});
type S = typeof State.State;

function nodeFn(kind: NodeKind, name: string) {
  let calls = 0;
  return (state: S) => {
    calls += 1;
    const tag = `${name}#${calls}`;
    const messages = state.messages;
    switch (kind) {
      case "append":
        return { messages: [new AIMessage({ content: `reply from ${tag}`, additional_kwargs: { meta: { depth: { n: calls } } } })] };
      case "appendToolCall": {
        const id = `call_${tag}`;
        return {
          messages: [
            new AIMessage({ content: "", tool_calls: [{ id, name: "lookup", args: { q: tag, opts: { deep: { list: [1, 2] } } } }] }),
            new ToolMessage({ content: `result ${tag}`, tool_call_id: id }),
          ],
        };
      }
      case "pushInPlace": {
        // Issue 11 case 1: push into the state's array, then return the same message.
        const m = new AIMessage(`pushed by ${tag}`);
        messages.push(m);
        return { messages: [m] };
      }
      case "editContentInPlace": {
        // Issue 11 case 2: edit a stored message in place and return it.
        if (messages.length === 0) return { log: [`${tag}: nothing to edit`] };
        messages[0].content = `edited by ${tag}`;
        return { messages: [messages[0]] };
      }
      case "editInPlaceSilently": {
        // Edits in place and returns only a log entry: the messages channel's version does not change.
        if (messages.length === 0) return { log: [`${tag}: nothing to edit`] };
        messages[messages.length - 1].content = `silently edited by ${tag}`;
        return { log: [tag] };
      }
      case "editToolArgsInPlace": {
        const ai = [...messages].reverse().find((m) => (m as AIMessage).tool_calls?.length) as AIMessage | undefined;
        if (!ai?.tool_calls?.length) return { log: [`${tag}: no tool call`] };
        (ai.tool_calls[0].args as Record<string, unknown>).opts = { deep: { list: [9], edited: tag } };
        return { messages: [ai] };
      }
      case "editKwargsInPlace": {
        const m = messages.at(-1);
        if (!m) return { log: [`${tag}: nothing to edit`] };
        m.additional_kwargs = { ...m.additional_kwargs, meta: { depth: { n: -calls, by: tag } } };
        return { messages: [m] };
      }
      case "replaceById": {
        const m = messages.at(-1);
        if (!m?.id) return { log: [`${tag}: nothing to replace`] };
        return { messages: [new AIMessage({ id: m.id, content: `replaced by ${tag}` })] };
      }
      case "removeLast": {
        const m = messages.at(-1);
        if (!m?.id || messages.length < 2) return { log: [`${tag}: nothing to remove`] };
        return { messages: [new RemoveMessage({ id: m.id })] };
      }
      case "interrupt":
        return { log: [`${tag}: ${String(interrupt({ question: `approve ${name}?` }))}`] };
      case "interruptTwice": {
        // Issue 11 case 7: two interrupts in one node, resumed twice (two __resume__ writes in one batch).
        const a = interrupt(`first question of ${name}`);
        const b = interrupt(`second question of ${name}`);
        return { log: [`${tag}: ${String(a)} then ${String(b)}`] };
      }
      default:
        return { log: [tag] };
    }
  };
}

function innerGraph() {
  let calls = 0;
  return new StateGraph(MessagesAnnotation)
    .addNode("inner_append", () => ({ messages: [new AIMessage(`inner ${++calls}`)] }))
    .addNode("inner_push", (s: { messages: BaseMessage[] }) => {
      const m = new AIMessage(`inner pushed ${calls}`);
      s.messages.push(m);
      return { messages: [m] };
    })
    .addEdge(START, "inner_append")
    .addEdge("inner_append", "inner_push")
    .compile();
}

/** Builds the graph a spec describes; every call builds fresh node state, so two runs behave alike. */
export function buildGraph(spec: GraphSpec, checkpointer: BaseCheckpointSaver) {
  // biome-ignore lint/suspicious/noExplicitAny: the builder's node-name types are built up dynamically
  const builder = new StateGraph(State) as any;
  const stageNames: string[][] = spec.stages.map((stage, i) => stage.map((kind, j) => `s${i}_${j}_${kind}`));
  spec.stages.forEach((stage, i) => {
    stage.forEach((kind, j) => {
      builder.addNode(stageNames[i][j], nodeFn(kind, stageNames[i][j]));
    });
  });
  if (spec.sends > 0) {
    const asks = spec.interruptingWorkers;
    builder.addNode("worker", (s: { n: number }) => {
      const answer = asks ? `: ${String(interrupt(`worker ${s.n} may go on?`))}` : "";
      return { messages: [new AIMessage({ content: `worker ${s.n}${answer}` })], log: [`worker ${s.n}${answer}`] };
    });
  }
  if (spec.subgraph) {
    builder.addNode("child", innerGraph());
  }
  builder.addNode("finish", (s: S) => ({ log: [`finish with ${s.messages.length} messages`] }));

  builder.addEdge(START, stageNames[0][0]);
  if (stageNames[0].length > 1) builder.addEdge(START, stageNames[0][1]);
  for (let i = 1; i < stageNames.length; i++) {
    for (const to of stageNames[i]) builder.addEdge(stageNames[i - 1], to);
  }
  let last = stageNames[stageNames.length - 1];
  if (spec.sends > 0) {
    const sends = spec.sends;
    for (const from of last) {
      builder.addConditionalEdges(from, () => Array.from({ length: sends }, (_, n) => new Send("worker", { n })));
    }
    last = ["worker"];
  }
  if (spec.subgraph) {
    builder.addEdge(last, "child");
    last = ["child"];
  }
  builder.addEdge(last, "finish");
  builder.addEdge("finish", END);
  return builder.compile({ checkpointer });
}

async function collect(stream: AsyncIterable<unknown>) {
  const out: unknown[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

/**
 * Runs a spec on one thread: each turn streams a user message (updates and values), then resumes
 * every interrupt with a Command until the run finishes (bounded); returns outputs, events, history.
 */
export async function runSpec(spec: GraphSpec, checkpointer: BaseCheckpointSaver): Promise<Transcript> {
  const graph = buildGraph(spec, checkpointer);
  const config = { configurable: { thread_id: "fuzz-thread" } };
  const streamOptions = { ...config, streamMode: ["updates", "values"] as ("updates" | "values")[], subgraphs: spec.streamSubgraphs };
  const outputs: unknown[] = [];
  const events: unknown[] = [];
  let answers = 0;
  for (let turn = 0; turn < spec.turns; turn++) {
    events.push(...(await collect(await graph.stream({ messages: [new HumanMessage(`turn ${turn}`)] }, streamOptions))));
    for (let resumes = 0; resumes < 6; resumes++) {
      const state = await graph.getState(config);
      outputs.push(state);
      const pending = state.tasks.flatMap((t: { interrupts: unknown[] }) => t.interrupts);
      if (pending.length === 0) break;
      answers += 1;
      events.push(...(await collect(await graph.stream(new Command({ resume: `answer ${answers}` }), streamOptions))));
    }
  }
  outputs.push(await graph.getState(config, { subgraphs: true }));
  const history: unknown[] = [];
  for await (const snapshot of graph.getStateHistory(config)) history.push(snapshot);
  return { outputs, events, history };
}
