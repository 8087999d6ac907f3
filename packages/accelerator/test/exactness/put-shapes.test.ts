import { AIMessage, HumanMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { Annotation, END, MemorySaver, MessagesAnnotation, START, Send, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver, Checkpoint, CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { RustPostgresSaver, RustSqliteSaver, patchLangGraph, unpatchLangGraph } from "../../src";
import { normalize } from "../support/normalize";
import { freshSchema, postgresUrl } from "../support/postgres";
import { temporaryDatabase } from "../support/temporary-database";

type Make = () => Promise<BaseCheckpointSaver>;

const compactVariants: Record<string, Make> = {
  "RustSqliteSaver :memory:": async () => new RustSqliteSaver(":memory:"),
  "RustSqliteSaver file": async () => new RustSqliteSaver(temporaryDatabase("shapes")),
  "RustPostgresSaver compact": async () => {
    const saver = new RustPostgresSaver(postgresUrl(), { schema: freshSchema("shapes"), layout: "compact" });
    await saver.setup();
    return saver;
  },
};

async function close(saver: BaseCheckpointSaver): Promise<void> {
  if (saver instanceof RustSqliteSaver) saver.close();
  else if (saver instanceof RustPostgresSaver) await saver.end();
}

function chat(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(MessagesAnnotation)
    .addNode("chat", async (s) => ({
      messages: [new AIMessage({ content: `answer to ${s.messages.length}`, id: `a${s.messages.length}` })],
    }))
    .addEdge(START, "chat")
    .addEdge("chat", END)
    .compile({ checkpointer });
}

/** updateState(..., "__copy__") of a thread's first checkpoint: LangGraph puts it with no parent and empty newVersions. */
async function copyOfFirstCheckpoint(saver: BaseCheckpointSaver) {
  const graph = chat(saver);
  const config = { configurable: { thread_id: "copy" } };
  await graph.invoke({ messages: [new HumanMessage({ content: "hi", id: "h" })] }, config);
  const history = [];
  for await (const s of graph.getStateHistory(config)) history.push(s);
  const forked = await graph.updateState(history[history.length - 1].config, undefined, "__copy__");
  const state = await graph.getState(forked);
  const resumed = await graph.invoke(null, forked);
  return normalize({ next: state.next, tasks: state.tasks.map((t) => t.name), values: state.values, resumed });
}

/** A Send fan-out: LangGraph's tasks channel and a reducer channel's default are values without versions. */
async function sendFanOut(saver: BaseCheckpointSaver) {
  const State = Annotation.Root({ items: Annotation<number[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
  const graph = new StateGraph(State)
    .addNode("fan", async () => ({}))
    .addNode("work", async (x: { i: number }) => ({ items: [x.i] }))
    .addEdge(START, "fan")
    .addConditionalEdges("fan", () => [new Send("work", { i: 1 }), new Send("work", { i: 2 })])
    .addEdge("work", END)
    .compile({ checkpointer: saver });
  const config = { configurable: { thread_id: "fan" } };
  await graph.invoke({}, config);
  const values = [];
  for await (const t of saver.list(config)) values.push(t.checkpoint.channel_values);
  return normalize(values);
}

const checkpoint = (id: string, values: Record<string, unknown>, versions: Record<string, number>): Checkpoint => ({
  v: 4,
  id,
  ts: "2026-01-01T00:00:00.000Z",
  channel_values: values,
  channel_versions: versions,
  versions_seen: {},
});
const metadata: CheckpointMetadata = { source: "loop", step: 1, parents: {} };
const at = (id?: string): RunnableConfig => ({ configurable: { thread_id: "direct", checkpoint_ns: "", checkpoint_id: id } });

describe.each(Object.entries(compactVariants))("%s: checkpoints whose parent cannot supply a value", (_name, make) => {
  let saver: BaseCheckpointSaver;
  beforeEach(async () => {
    saver = await make();
  });
  afterEach(async () => close(saver));

  it("a __copy__ fork of a thread's first checkpoint keeps its pending __start__ task, as MemorySaver's does", async () => {
    expect(await copyOfFirstCheckpoint(saver)).toEqual(await copyOfFirstCheckpoint(new MemorySaver()));
  });

  it("a put naming a parent that is not stored keeps every value it was given", async () => {
    await saver.put(at(), checkpoint("00000000-0000-6000-8000-000000000001", { a: "x" }, { a: 1 }), metadata, { a: 1 });
    // Not stored under any version: stored from the checkpoint rather than dropped.
    const config = await saver.put(
      at("00000000-0000-6000-8000-0000000000ff"),
      checkpoint("00000000-0000-6000-8000-000000000002", { a: "x", b: "kept", c: ["whole"] }, { a: 1, b: 7, c: 3 }),
      metadata,
      {},
    );
    expect((await saver.getTuple(config))?.checkpoint.channel_values).toEqual({ a: "x", b: "kept", c: ["whole"] });
  });

  it("without a parent, a value newVersions does not name and nothing stores is not kept (the conformance rule)", async () => {
    const config = await saver.put(at(), checkpoint("00000000-0000-6000-8000-000000000003", { foo: "bar" }, { foo: 1 }), metadata, {});
    expect((await saver.getTuple(config))?.checkpoint.channel_values).toEqual({});
  });

  it("values without a version (LangGraph's tasks channel, reducer defaults) are kept, as SqliteSaver keeps them", async () => {
    const official = SqliteSaver.fromConnString(temporaryDatabase("shapes-ref"));
    try {
      expect(await sendFanOut(saver)).toEqual(await sendFanOut(official));
    } finally {
      official.db.close();
    }
  });
});

describe("subclasses of patched classes keep the signatures the classes had", () => {
  class AuditedMemorySaver extends MemorySaver {
    puts = 0;
    // MemorySaver's own put takes three arguments.
    async put(config: RunnableConfig, cp: Checkpoint, meta: CheckpointMetadata): Promise<RunnableConfig> {
      this.puts += 1;
      return super.put(config, cp, meta);
    }
  }

  async function run(saver: AuditedMemorySaver) {
    const graph = chat(saver);
    const config = { configurable: { thread_id: "sub" } };
    for (const q of ["one", "two"]) await graph.invoke({ messages: [new HumanMessage({ content: q, id: q })] }, config);
    const history = [];
    for await (const s of graph.getStateHistory(config)) history.push(s);
    return normalize({ history, puts: saver.puts });
  }

  it("a MemorySaver subclass calling super.put(config, checkpoint, metadata) works patched as unpatched", async () => {
    const expected = await run(new AuditedMemorySaver());
    await patchLangGraph();
    try {
      expect(await run(new AuditedMemorySaver())).toEqual(expected);
    } finally {
      unpatchLangGraph();
    }
  });
});
