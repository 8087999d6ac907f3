import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { END, MemorySaver, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";

import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";

import { RustPostgresSaver, RustSqliteSaver, patchLangGraph, unpatchLangGraph } from "../../src";
import { firstDifference } from "../serializer/same-value";
import { rustStoreOf } from "../../src/patch/memory-saver";
import { rustSaverOf } from "../../src/patch/postgres-saver";
import { freshSchema, postgresUrl } from "../support/postgres";
import { temporaryDatabase } from "../support/temporary-database";

/**
 * getTuple of our savers parses only a grown list's new elements and revives every element from a
 * private copy of its parse (src/checkpoint/decoded-lists.ts). Differential: every state a thread goes
 * through, read back with the whole history of checkpoints, forks and in-place changes by nodes and
 * by callers, is the same (same classes, own properties, descriptors and values) as with LangGraph's
 * own MemorySaver.
 */

const TURNS = 8;

/** A chat turn: the agent asks for a tool, the tool answers, the agent answers. Some turns edit old messages in place. */
function chatGraph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => {
      const messages = state.messages as BaseMessage[];
      const turn = messages.filter((m) => m.getType() === "human").length;
      const last = messages[messages.length - 1];
      // In place, as some nodes do: an old message's content, a tool call's args, kwargs.
      if (turn % 3 === 0 && messages.length > 4) {
        messages[0].content = `${String(messages[0].content)} (edited ${turn})`;
        const call = messages.find((m) => (m as AIMessage).tool_calls?.length) as AIMessage | undefined;
        if (call?.tool_calls) call.tool_calls[0].args.edited = turn;
        messages[1].additional_kwargs.seen = [turn];
      }
      if (last.getType() === "tool") {
        return {
          messages: [
            new AIMessage({
              content: [{ type: "text", text: `answer ${turn}` }],
              id: `answer-${turn}`,
              usage_metadata: { input_tokens: turn, output_tokens: 2, total_tokens: turn + 2 },
              response_metadata: { model: "scripted", turn },
            }),
          ],
        };
      }
      return {
        messages: [
          new AIMessage({ content: "", id: `call-${turn}`, tool_calls: [{ id: `tc-${turn}`, name: "search", args: { q: `q${turn}` } }] }),
        ],
      };
    })
    .addNode("tools", async (state) => {
      const call = state.messages[state.messages.length - 1] as AIMessage;
      const id = call.tool_calls?.[0]?.id as string;
      return {
        messages: [new ToolMessage({ content: `result for ${id}`, tool_call_id: id, id: `result-${id}`, artifact: { n: [1, 2] } })],
      };
    })
    .addEdge(START, "agent")
    .addConditionalEdges("agent", (state) => ((state.messages[state.messages.length - 1] as AIMessage).tool_calls?.length ? "tools" : END))
    .addEdge("tools", "agent")
    .compile({ checkpointer });
}

/** Everything a caller sees of a thread, with the values as they are (not normalized). */
async function session(checkpointer: BaseCheckpointSaver): Promise<{ states: unknown[]; history: unknown[]; fork: unknown[] }> {
  const graph = chatGraph(checkpointer);
  const config = { configurable: { thread_id: "t" } };
  const states: unknown[] = [];
  for (let turn = 0; turn < TURNS; turn++) {
    await graph.invoke({ messages: [new HumanMessage({ content: `question ${turn}`, id: `human-${turn}` })] }, config);
    const state = await graph.getState(config);
    states.push(state.values);
    // The caller changes what it was given, deeply; the next read must not see it.
    const messages = state.values.messages as BaseMessage[];
    messages[0].content = "changed by the caller";
    messages[messages.length - 1].additional_kwargs.caller = true;
    messages.push(new HumanMessage({ content: "pushed by the caller", id: "caller" }));
    states.push((await graph.getState(config)).values);
  }
  // The whole history after the thread moved on, newest first.
  const history: unknown[] = [];
  for await (const snapshot of graph.getStateHistory(config)) history.push([snapshot.values, snapshot.next]);
  // A fork from an old checkpoint, with updateState, then a turn on the fork.
  const snapshots = [];
  for await (const snapshot of graph.getStateHistory(config)) snapshots.push(snapshot);
  const old = snapshots[Math.floor(snapshots.length / 2)];
  const forked = await graph.updateState(old.config, { messages: [new HumanMessage({ content: "fork", id: "fork-1" })] });
  const fork: unknown[] = [(await graph.getState(forked)).values];
  await graph.invoke({ messages: [new HumanMessage({ content: "on the fork", id: "fork-2" })] }, forked);
  fork.push((await graph.getState(config)).values);
  return { states, history, fork };
}

function expectSame(actual: unknown, expected: unknown): void {
  const difference = firstDifference(expected, actual);
  if (difference) throw new Error(`differs from MemorySaver at ${difference}`);
}

/** An explicit bound (decoded lists are opt-in: see the last test). */
const ON = 32 * 2 ** 20;

describe("decoded lists, differentially against MemorySaver", () => {
  let reference: Awaited<ReturnType<typeof session>>;
  beforeAll(async () => {
    reference = await session(new MemorySaver());
  });

  it.each([
    ["RustSqliteSaver :memory:", () => new RustSqliteSaver(":memory:", { decodedListBytes: ON })],
    ["RustSqliteSaver file", () => new RustSqliteSaver(temporaryDatabase("decoded"), { decodedListBytes: ON })],
  ])("%s: every state, the history and a fork are what MemorySaver gives", async (_name, make) => {
    const saver = make();
    try {
      const ours = await session(saver);
      expectSame(ours.states, reference.states);
      // Checkpoints taken while a node was about to run depend on put timing for a file (see in-place-mutation.test.ts).
      const settled = (h: unknown[]) => h.filter((entry) => (entry as [unknown, string[]])[1].length === 0);
      if (saver.path === ":memory:") expectSame(ours.history, reference.history);
      else expectSame(settled(ours.history), settled(reference.history));
      expectSame(ours.fork, reference.fork);
      const stats = saver.cacheStats().decodedLists;
      // The path under test was taken: most getTuple reads of the messages list were served from remembered parses.
      expect(stats?.hits).toBeGreaterThan(TURNS);
      expect(stats?.bytes).toBeLessThanOrEqual(stats?.maxBytes as number);
    } finally {
      saver.close();
    }
  });

  it("patched MemorySaver gives what MemorySaver gives", async () => {
    await patchLangGraph();
    try {
      const saver = new MemorySaver();
      const ours = await session(saver);
      expectSame(ours, reference);
      // Decoded lists are opt-in: the patched class keeps them off.
      expect(rustStoreOf(saver as never).cacheStats().decodedLists).toMatchObject({ maxBytes: 0, entries: 0, hits: 0 });
    } finally {
      unpatchLangGraph();
    }
  });

  /** Checkpoints no node was about to run from (the others depend on put timing for a saver with I/O). */
  const settled = (h: unknown[]) => h.filter((entry) => (entry as [unknown, string[]])[1].length === 0);

  it("RustPostgresSaver (compact layout) gives what MemorySaver gives", async () => {
    const saver = new RustPostgresSaver(postgresUrl(), { schema: freshSchema("decoded_lists"), decodedListBytes: ON });
    await saver.setup();
    try {
      const ours = await session(saver);
      expectSame(ours.states, reference.states);
      expectSame(settled(ours.history), settled(reference.history));
      expectSame(ours.fork, reference.fork);
      expect(saver.cacheStats().decodedLists?.hits).toBeGreaterThan(TURNS);
    } finally {
      await saver.end();
    }
  });

  it("patched PostgresSaver gives what it gives unpatched", async () => {
    let hits: number | undefined;
    const run = async () => {
      const saver = PostgresSaver.fromConnString(postgresUrl(), { schema: freshSchema("decoded_lists_official") });
      await saver.setup();
      try {
        const result = await session(saver);
        hits = rustSaverOf(saver)?.cacheStats().decodedLists?.hits;
        return result;
      } finally {
        await saver.end();
      }
    };
    const expected = await run();
    await patchLangGraph();
    let actual: Awaited<ReturnType<typeof session>>;
    try {
      actual = await run();
    } finally {
      unpatchLangGraph();
    }
    expectSame(actual.states, expected.states);
    expectSame(settled(actual.history), settled(expected.history));
    expectSame(actual.fork, expected.fork);
    // Decoded lists are opt-in: the patched class keeps them off.
    expect(hits).toBe(0);
  });

  it("off by default (a 0 bound), with the same results as on", async () => {
    const saver = new RustSqliteSaver(":memory:");
    try {
      expect(saver.cacheStats().decodedLists?.maxBytes).toBe(0);
      expectSame(await session(saver), reference);
      expect(saver.cacheStats().decodedLists).toMatchObject({ entries: 0, hits: 0 });
    } finally {
      saver.close();
    }
    expect(() => new RustSqliteSaver(":memory:", { decodedListBytes: -1 })).toThrow(/decodedListBytes/);
  });
});
