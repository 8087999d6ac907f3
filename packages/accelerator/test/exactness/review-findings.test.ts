import { AIMessage, HumanMessage, RemoveMessage } from "@langchain/core/messages";
import { Annotation, END, MemorySaver, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";

import { RustSqliteSaver, patchLangGraph, unpatchLangGraph } from "../../src";

/**
 * Faults a hostile review found in the first shadow-based change detection, each on the savers whose
 * calls resolve without I/O (so LangGraph calls them exactly when it calls MemorySaver).
 */
type Scenario = (saver: BaseCheckpointSaver) => Promise<unknown>;

const config = { configurable: { thread_id: "t" } };

const scenarios: Record<string, Scenario> = {
  /** A node renames a stored message's id in place: the merge increment must use the ids it stored. */
  renamedMessageId: async (saver) => {
    const g = new StateGraph(MessagesAnnotation)
      .addNode("b", (s) => {
        s.messages[0].id = "z";
        return { messages: [new AIMessage({ content: "n", id: "n" })] };
      })
      .addEdge(START, "b")
      .addEdge("b", END)
      .compile({ checkpointer: saver });
    await g.invoke({ messages: ["m0", "m1", "m2"].map((id) => new HumanMessage({ content: id, id })) }, config);
    return ((await g.getState(config)).values.messages as HumanMessage[]).map((m) => `${m.id}=${m.content}`);
  },
  /** A custom list that keeps RemoveMessage objects as data: replaying it as a reducer update would execute them. */
  removeMessageAsData: async (saver) => {
    const S = Annotation.Root({ l: Annotation<unknown[]>({ reducer: (_a, b) => b, default: () => [] }) });
    const g = new StateGraph(S)
      .addNode("a", () => ({ l: ["m0", "m1", "m2", "m3"].map((id) => new HumanMessage({ content: id, id })) }))
      .addNode("b", (s) => ({ l: [...s.l.slice(0, 3), new RemoveMessage({ id: "__remove_all__" })] }))
      .addEdge(START, "a")
      .addEdge("a", "b")
      .addEdge("b", END)
      .compile({ checkpointer: saver });
    await g.invoke({}, config);
    return ((await g.getState(config)).values.l as HumanMessage[]).map((m) => `${m.getType()}:${m.id}`);
  },
  /** A message subclass whose kwarg lives behind an inherited accessor (#private state). */
  kwargBehindAccessor: async (saver) => {
    // Named HumanMessage (a property key names the class) so that LangChain revives it as one.
    const Tracked = {
      HumanMessage: class extends HumanMessage {
        #status = "new";
        get status() {
          return this.#status;
        }
        set status(v: string) {
          this.#status = v;
        }
      },
    }.HumanMessage;
    type Tracked = InstanceType<typeof Tracked>;
    const g = new StateGraph(MessagesAnnotation)
      .addNode("b", (s) => {
        (s.messages[0] as Tracked).status = "done";
        return {};
      })
      .addNode("c", () => ({ messages: [new AIMessage({ content: "y", id: "y" })] }))
      .addEdge(START, "b")
      .addEdge("b", "c")
      .addEdge("c", END)
      .compile({ checkpointer: saver });
    await g.invoke({ messages: [new Tracked({ content: "hi", id: "h", status: "new" } as never)] }, config);
    return ((await g.getState(config)).values.messages[0] as unknown as { lc_kwargs: { status: string } }).lc_kwargs.status;
  },
  /** Built-ins that hide behind a toStringTag of "Object" (a Map subclass, an Error made by Object.create). */
  disguisedBuiltIns: async (saver) => {
    class TagMap extends Map<string, number> {
      get [Symbol.toStringTag]() {
        return "Object";
      }
    }
    const error = () => {
      const e = Object.create(Error.prototype);
      Object.defineProperty(e, "message", { value: "one", writable: true });
      return e;
    };
    const g = new StateGraph(Annotation.Root({ m: Annotation<Map<string, number>>(), e: Annotation<Error>(), k: Annotation<number>() }))
      .addNode("a", () => ({ m: new TagMap([["a", 1]]) as Map<string, number>, e: error() }))
      .addNode("b", (s) => {
        s.m.set("b", 2);
        s.e.message = "two";
        return {};
      })
      .addNode("c", () => ({ k: 1 }))
      .addEdge(START, "a")
      .addEdge("a", "b")
      .addEdge("b", "c")
      .addEdge("c", END)
      .compile({ checkpointer: saver });
    await g.invoke({ k: 0 }, config);
    const v = (await g.getState(config)).values;
    return { map: JSON.stringify(v.m), message: v.e.message };
  },
  /** A getter with a side effect is read as often as the reference reads it. */
  getterReads: async (saver) => {
    let reads = 0;
    const g = new StateGraph(Annotation.Root({ v: Annotation<{ n: number }>(), k: Annotation<number>() }))
      .addNode("a", () => ({
        v: {
          get n() {
            reads += 1;
            return reads;
          },
        },
      }))
      .addNode("b", () => ({ k: 1 }))
      .addEdge(START, "a")
      .addEdge("a", "b")
      .addEdge("b", END)
      .compile({ checkpointer: saver });
    await g.invoke({ k: 0 }, config);
    const stored: unknown[] = [];
    for await (const s of g.getStateHistory(config)) stored.push((s.values.v as { n?: number } | undefined)?.n ?? null);
    return { stored, reads };
  },
};

describe.each(Object.entries(scenarios))("review finding %s", (_name, scenario) => {
  it("RustSqliteSaver :memory: stores what MemorySaver stores", async () => {
    const saver = new RustSqliteSaver(":memory:");
    try {
      expect(await scenario(saver)).toEqual(await scenario(new MemorySaver()));
    } finally {
      saver.close();
    }
  });

  it("patched MemorySaver stores what MemorySaver stores", async () => {
    const expected = await scenario(new MemorySaver());
    await patchLangGraph();
    try {
      expect(await scenario(new MemorySaver())).toEqual(expected);
    } finally {
      unpatchLangGraph();
    }
  });
});
