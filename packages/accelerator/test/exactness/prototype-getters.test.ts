import { AIMessage, BaseMessage, HumanMessage } from "@langchain/core/messages";
import { MemorySaver, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { RustSqliteSaver, patchLangGraph, unpatchLangGraph } from "../../src";
import { firstDifference } from "../serializer/same-value";

/**
 * Hostile review round 4, finding 7: LangChain's Serializable.toJSON reads getters on the prototype
 * chain (lc_attributes, lc_aliases, lc_secrets, lc_id...). Redefined between two turns, they change the
 * bytes of messages nobody touched: LangGraph's own savers store those bytes at the next put, so ours
 * must serialize again instead of carrying the stored bytes (channel memory), and must revive with the
 * getter in effect at each read (decoded lists).
 */

function graph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => ({
      messages: [new AIMessage({ content: `answer ${state.messages.length}`, id: `a${state.messages.length}` })],
    }))
    .addEdge(START, "agent")
    .compile({ checkpointer });
}

function withGetter<T>(key: string, get: () => unknown, body: () => Promise<T>): Promise<T> {
  const proto = BaseMessage.prototype;
  const before = Object.getOwnPropertyDescriptor(proto, key);
  Object.defineProperty(proto, key, { configurable: true, get });
  return body().finally(() => {
    if (before) Object.defineProperty(proto, key, before);
    else delete (proto as unknown as Record<string, unknown>)[key];
  });
}

/** Three turns; the middle one with `lc_attributes` redefined on BaseMessage.prototype; then the thread's state and history. */
async function session(checkpointer: BaseCheckpointSaver) {
  const app = graph(checkpointer);
  const config = { configurable: { thread_id: "t" } };
  await app.invoke({ messages: [new HumanMessage({ content: "one", id: "h1" })] }, config);
  await app.getState(config);
  await withGetter(
    "lc_attributes",
    () => ({ additional_kwargs: { flagged: true } }),
    () => app.invoke({ messages: [new HumanMessage({ content: "two", id: "h2" })] }, config),
  );
  await app.invoke({ messages: [new HumanMessage({ content: "three", id: "h3" })] }, config);
  const state = await app.getState(config);
  const history: unknown[] = [];
  for await (const snapshot of app.getStateHistory(config)) history.push(snapshot.values);
  return { values: state.values, history };
}

describe("a prototype getter that toJSON reads, redefined between turns", () => {
  let reference: Awaited<ReturnType<typeof session>>;
  beforeAll(async () => {
    reference = await session(new MemorySaver());
    // The case is real: LangGraph's saver stored the getter's kwargs for the old messages too.
    const flagged = (reference.values.messages as BaseMessage[]).map((m) => m.additional_kwargs.flagged === true);
    expect(flagged.slice(0, 2)).toEqual([true, true]);
  });

  it.each([
    ["RustSqliteSaver (decoded lists off)", () => new RustSqliteSaver(":memory:", { decodedListBytes: 0 })],
    ["RustSqliteSaver (defaults)", () => new RustSqliteSaver(":memory:")],
  ])("%s stores what MemorySaver stores", async (_name, make) => {
    const saver = make();
    try {
      const ours = await session(saver);
      const difference = firstDifference(reference, ours);
      if (difference) throw new Error(`differs from MemorySaver at ${difference}`);
    } finally {
      saver.close();
    }
  });

  it.each([
    ["MemorySaver", () => new MemorySaver()],
    ["SqliteSaver", () => SqliteSaver.fromConnString(":memory:")],
  ])("patched %s stores what MemorySaver stores", async (_name, make) => {
    await patchLangGraph();
    try {
      const ours = await session(make());
      const difference = firstDifference(reference, ours);
      if (difference) throw new Error(`differs from MemorySaver at ${difference}`);
    } finally {
      unpatchLangGraph();
    }
  });
});
