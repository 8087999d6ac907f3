import { AIMessage, type BaseMessage, HumanMessage } from "@langchain/core/messages";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";

import type { Transcript } from "./graphs";

/**
 * Graphs whose nodes change the state they were handed in place, as the docs advise against and
 * users do anyway. Every saver must store exactly what LangGraph gave it at each put.
 */
type Mutation = (messages: BaseMessage[], turn: number) => Partial<typeof MessagesAnnotation.State>;

async function run(checkpointer: BaseCheckpointSaver, mutate: Mutation, turns = 3): Promise<Transcript> {
  let turn = 0;
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("chat", async (state) => mutate(state.messages, ++turn))
    .addEdge(START, "chat")
    .addEdge("chat", END)
    .compile({ checkpointer });
  const config = { configurable: { thread_id: "mutating" } };
  const outputs: unknown[] = [];
  for (let i = 0; i < turns; i++) {
    outputs.push(await graph.invoke({ messages: [new HumanMessage({ content: `question ${i}`, id: `q${i}` })] }, config));
  }
  const history: unknown[] = [];
  for await (const snapshot of graph.getStateHistory(config)) history.push(snapshot);
  return { outputs, events: [], history };
}

const reply = (turn: number, extra: Partial<ConstructorParameters<typeof AIMessage>[0] & object> = {}) =>
  new AIMessage({ content: `answer ${turn}`, id: `a${turn}`, ...extra });

export const mutatingScenarios: Record<string, (saver: BaseCheckpointSaver) => Promise<Transcript>> = {
  /** Pushes the reply into state.messages, then returns it as well (issue case 1). */
  pushThenReturn: (saver) =>
    run(saver, (messages, turn) => {
      const m = reply(turn);
      messages.push(m);
      return { messages: [m] };
    }),
  /** Edits a stored message's content in place and returns it (issue case 2). */
  editContentThenReturn: (saver) =>
    run(saver, (messages, turn) => {
      messages[0].content = `edited ${turn}`;
      return { messages: [messages[0], reply(turn)] };
    }),
  /** Edits a stored message deep down (kwargs, metadata, tool call args, name, content blocks). */
  editDeepThenReturnOther: (saver) =>
    run(saver, (messages, turn) => {
      const first = messages[0];
      first.additional_kwargs.edits = [...((first.additional_kwargs.edits as number[]) ?? []), turn];
      (first.response_metadata as Record<string, unknown>).seen = turn;
      first.name = `user-${turn}`;
      const earlier = messages.find((m) => m.id === "a1") as AIMessage | undefined;
      if (earlier?.tool_calls?.[0]) earlier.tool_calls[0].args.q = `changed ${turn}`;
      if (earlier && Array.isArray(earlier.content)) (earlier.content[0] as { text: string }).text = `block ${turn}`;
      return {
        messages: [
          turn === 1
            ? reply(turn, { content: [{ type: "text", text: "block 1" }], tool_calls: [{ id: "c1", name: "lookup", args: { q: "x" } }] })
            : reply(turn),
        ],
      };
    }),
  /**
   * Edits nested fields of a message stored two turns before (its metadata, its kwargs' copy of a tool
   * call), returning only a new reply: the old message was loaded from the store this turn.
   */
  editNestedOfOldThenReturnOther: (saver) =>
    run(
      saver,
      (messages, turn) => {
        const old = messages.find((m) => m.id === "a1") as AIMessage | undefined;
        if (old && turn >= 3) {
          (old.response_metadata as Record<string, unknown>).nested = { turn, deep: [turn] };
          (old.lc_kwargs.tool_calls as Array<{ args: Record<string, unknown> }>)[0].args.q = `kwargs ${turn}`;
        }
        return {
          messages: [turn === 1 ? reply(turn, { tool_calls: [{ id: "c1", name: "lookup", args: { q: "x" } }] }) : reply(turn)],
        };
      },
      4,
    ),
  /** Replaces an old element of the list in place by an equal-looking message with other content. */
  replaceElementThenReturnOther: (saver) =>
    run(saver, (messages, turn) => {
      if (turn >= 2) messages[1] = new AIMessage({ content: `replaced ${turn}`, id: messages[1].id });
      return { messages: [reply(turn)] };
    }),
  /** Wraps an old message in a Proxy whose `content` reads differently. */
  proxyOldMessage: (saver) =>
    run(saver, (messages, turn) => {
      if (turn >= 2) {
        const target = messages[0];
        messages[0] = new Proxy(target, {
          get: (t, key, receiver) => (key === "content" ? `proxied ${turn}` : Reflect.get(t, key, receiver)),
        });
      }
      return { messages: [reply(turn)] };
    }),
  /** Turns an old message's content into an own getter (same value once, then another). */
  getterOnOldMessage: (saver) =>
    run(saver, (messages, turn) => {
      if (turn >= 2) {
        const value = `got ${turn}`;
        Object.defineProperty(messages[0], "content", { get: () => value, enumerable: true, configurable: true });
      }
      return { messages: [reply(turn)] };
    }),
  /** Changes a stored message in place and returns nothing: the channel keeps its version. */
  mutateWithoutReturning: (saver) =>
    run(saver, (messages, turn) => {
      messages[0].content = `silently edited ${turn}`;
      return {};
    }),
};
