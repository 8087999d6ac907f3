import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointTuple,
  JsonPlusSerializer,
  type PendingWrite,
} from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { unverifiedVersions } from "../../src/checkpoint/json-plus-copies";
import { RustPostgresSaver, RustSqliteSaver, getPatchStatus, getSerializerStats, patchLangGraph, unpatchLangGraph } from "../../src";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";
import { temporaryDatabase } from "../support/temporary-database";
import { firstDifference } from "./same-value";

const ONLY_SERIALIZER = { memorySaver: false, sqliteSaver: false, postgresSaver: false, stateMerger: false, caches: false };
const upstreamLoadsTyped = JsonPlusSerializer.prototype.loadsTyped;

/** Turns of a tool-using chat: the human asks, the agent calls a tool, the tool answers, the agent answers. */
function chatGraph(checkpointer: BaseCheckpointSaver) {
  const model = new FakeListChatModel({ responses: ["first answer", "second answer", "third answer"] });
  let turn = 0;
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => {
      turn++;
      const call = new AIMessage({
        content: "",
        id: `call-${turn}`,
        tool_calls: [{ id: `c${turn}`, name: "search", args: { q: `turn ${turn}` }, type: "tool_call" }],
        usage_metadata: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
      });
      const result = new ToolMessage({ content: `result ${turn}`, tool_call_id: `c${turn}`, name: "search", id: `tool-${turn}` });
      return { messages: [call, result, await model.invoke(state.messages)] };
    })
    .addEdge(START, "agent")
    .compile({ checkpointer });
}

async function runTurns(saver: BaseCheckpointSaver, threadId: string) {
  const graph = chatGraph(saver);
  const config = { configurable: { thread_id: threadId } };
  for (let i = 0; i < 3; i++) await graph.invoke({ messages: [new HumanMessage({ content: `question ${i}`, id: `h${i}` })] }, config);
  return config;
}

/** The thread's latest tuple and its history, read while patched and again unpatched: identical. */
async function expectSameReadsPatchedAndNot(saver: BaseCheckpointSaver, config: RunnableConfig) {
  const read = async () => {
    const tuple = await saver.getTuple(config);
    const history: CheckpointTuple[] = [];
    for await (const t of saver.list(config)) history.push(t);
    return { tuple, history };
  };
  await patchLangGraph(ONLY_SERIALIZER);
  getSerializerStats({ reset: true });
  let patched: Awaited<ReturnType<typeof read>>;
  try {
    patched = await read();
  } finally {
    unpatchLangGraph();
  }
  const stats = getSerializerStats();
  expect(JsonPlusSerializer.prototype.loadsTyped).toBe(upstreamLoadsTyped);
  const unpatched = await read();
  expect(firstDifference(unpatched, patched)).toBeUndefined();
  expect(stats.decoded).toBeGreaterThan(10);
  expect(stats.upstream).toBe(0);
  const messages = (patched.tuple?.checkpoint.channel_values.messages ?? []) as unknown[];
  expect(messages).toHaveLength(12);
  expect(messages[1]).toBeInstanceOf(AIMessage);
  expect((messages[1] as AIMessage).tool_calls?.[0].args).toEqual({ q: "turn 1" });
}

/** A checkpointer of the user's own, storing JsonPlusSerializer's bytes in maps (as MongoDB or Redis savers do). */
class MapSaver extends BaseCheckpointSaver {
  private checkpoints = new Map<string, Array<{ id: string; parent?: string; checkpoint: Uint8Array; metadata: Uint8Array }>>();
  private writes = new Map<string, Array<[string, string, string, Uint8Array]>>();

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.thread_id as string;
    const rows = this.checkpoints.get(threadId) ?? [];
    const id = config.configurable?.checkpoint_id as string | undefined;
    const row = id ? rows.find((r) => r.id === id) : rows.at(-1);
    return row ? this.tuple(threadId, row) : undefined;
  }

  private async tuple(threadId: string, row: { id: string; parent?: string; checkpoint: Uint8Array; metadata: Uint8Array }) {
    const writes = this.writes.get(`${threadId}:${row.id}`) ?? [];
    return {
      config: { configurable: { thread_id: threadId, checkpoint_ns: "", checkpoint_id: row.id } },
      checkpoint: (await this.serde.loadsTyped("json", row.checkpoint)) as Checkpoint,
      metadata: (await this.serde.loadsTyped("json", row.metadata)) as CheckpointMetadata,
      parentConfig: row.parent ? { configurable: { thread_id: threadId, checkpoint_ns: "", checkpoint_id: row.parent } } : undefined,
      pendingWrites: await Promise.all(
        writes.map(async ([t, c, k, v]) => [t, c, await this.serde.loadsTyped(k, v)] as [string, string, unknown]),
      ),
    };
  }

  async *list(config: RunnableConfig): AsyncGenerator<CheckpointTuple> {
    const threadId = config.configurable?.thread_id as string;
    for (const row of [...(this.checkpoints.get(threadId) ?? [])].reverse()) yield this.tuple(threadId, row);
  }

  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, _versions: ChannelVersions) {
    const threadId = config.configurable?.thread_id as string;
    const rows = this.checkpoints.get(threadId) ?? [];
    this.checkpoints.set(threadId, rows);
    const [, c] = await this.serde.dumpsTyped(checkpoint);
    const [, m] = await this.serde.dumpsTyped(metadata);
    rows.push({ id: checkpoint.id, parent: config.configurable?.checkpoint_id, checkpoint: c, metadata: m });
    return { configurable: { thread_id: threadId, checkpoint_ns: "", checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string) {
    const key = `${config.configurable?.thread_id}:${config.configurable?.checkpoint_id}`;
    const list = this.writes.get(key) ?? [];
    this.writes.set(key, list);
    for (const [channel, value] of writes) {
      const [kind, bytes] = await this.serde.dumpsTyped(value);
      list.push([taskId, channel, kind, bytes]);
    }
  }

  async deleteThread(threadId: string) {
    this.checkpoints.delete(threadId);
  }
}

afterEach(() => unpatchLangGraph());

describe("the serializer patch part", () => {
  it("is reported by getPatchStatus, can be switched off, and is restored by unpatchLangGraph", async () => {
    const report = await patchLangGraph(ONLY_SERIALIZER);
    expect(report.patched.filter((p) => p.part === "serializer").map((p) => p.target)).toEqual(["JsonPlusSerializer"]);
    expect(getPatchStatus().patched.some((p) => p.part === "serializer")).toBe(true);
    expect(JsonPlusSerializer.prototype.loadsTyped).not.toBe(upstreamLoadsTyped);
    unpatchLangGraph();
    expect(JsonPlusSerializer.prototype.loadsTyped).toBe(upstreamLoadsTyped);
    const off = await patchLangGraph({ ...ONLY_SERIALIZER, serializer: false });
    expect(off.patched).toEqual([]);
    expect(off.skipped).toContainEqual({
      part: "serializer",
      target: "JsonPlusSerializer",
      reason: "switched off by the option serializer: false",
    });
    expect(JsonPlusSerializer.prototype.loadsTyped).toBe(upstreamLoadsTyped);
  });

  it("names versions it was not verified with, so that their copies keep upstream's code", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flg-versions-"));
    for (const [pkg, version] of [
      ["@langchain/langgraph-checkpoint", "1.3.0"],
      ["@langchain/core", "1.4.0"],
    ]) {
      fs.mkdirSync(path.join(dir, "node_modules", pkg), { recursive: true });
      fs.writeFileSync(path.join(dir, "node_modules", pkg, "package.json"), JSON.stringify({ name: pkg, version }));
    }
    expect(unverifiedVersions(path.join(dir, "index.js"))).toBe(
      "upstream decodes: @langchain/langgraph-checkpoint 1.3.0 (the decoder is verified for 1.2.2)",
    );
    expect(unverifiedVersions(require.resolve("@langchain/langgraph-checkpoint"))).toBeUndefined();
  });

  it("the official SqliteSaver reads the same values through it", async () => {
    const saver = SqliteSaver.fromConnString(temporaryDatabase("serializer"));
    const config = await runTurns(saver, "sqlite-thread");
    await expectSameReadsPatchedAndNot(saver, config);
  });

  it("the official PostgresSaver reads the same values through it", async () => {
    const schema = freshSchema("serializer");
    const saver = PostgresSaver.fromConnString(postgresUrl(), { schema });
    try {
      await saver.setup();
      const config = await runTurns(saver, "pg-thread");
      await expectSameReadsPatchedAndNot(saver, config);
    } finally {
      await saver.end();
      await dropSchema(schema);
    }
  });

  it("a saver of the user's own on JsonPlusSerializer reads the same values through it", async () => {
    const saver = new MapSaver();
    const config = await runTurns(saver, "own-thread");
    await expectSameReadsPatchedAndNot(saver, config);
  });

  it("a subclass overriding _loads, loadsTyped or _reviver keeps its own code", async () => {
    class Marking extends JsonPlusSerializer {
      async _loads(data: string) {
        const value = (await super._loads(data)) as Record<string, unknown>;
        value.marked = true;
        return value;
      }
    }
    class OwnLoadsTyped extends JsonPlusSerializer {
      async loadsTyped(type: string, data: Uint8Array | string) {
        return { own: await super.loadsTyped(type, data) };
      }
    }
    class OwnReviver extends JsonPlusSerializer {
      _reviver(value: unknown) {
        return value;
      }
    }
    await patchLangGraph(ONLY_SERIALIZER);
    const bytes = new TextEncoder().encode(JSON.stringify({ a: 1 }));
    getSerializerStats({ reset: true });
    expect(await new Marking().loadsTyped("json", bytes)).toEqual({ a: 1, marked: true });
    expect(await new OwnLoadsTyped().loadsTyped("json", bytes)).toEqual({ own: { a: 1 } });
    await new OwnReviver().loadsTyped("json", bytes);
    // None of them reached the decoder (OwnLoadsTyped's super call included: its instance is not JsonPlusSerializer's).
    expect(getSerializerStats()).toEqual({ decoded: 0, upstream: 0 });
    expect(await new JsonPlusSerializer().loadsTyped("json", bytes)).toEqual({ a: 1 });
    expect(getSerializerStats()).toEqual({ decoded: 1, upstream: 0 });
    const instance = new JsonPlusSerializer();
    (instance as unknown as { _loads: unknown })._loads = async () => "own";
    expect(await instance.loadsTyped("json", bytes)).toBe("own");
  });

  it("hands what it does not construct itself to upstream: same value or same error", async () => {
    await patchLangGraph(ONLY_SERIALIZER);
    const serde = new JsonPlusSerializer();
    getSerializerStats({ reset: true });
    const secret = JSON.stringify({ lc: 1, type: "secret", id: ["OPENAI_API_KEY"] });
    const secretInKwargs = JSON.stringify({
      lc: 1,
      type: "constructor",
      id: ["langchain_core", "messages", "AIMessage"],
      kwargs: { content: { lc: 1, type: "secret", id: ["OPENAI_API_KEY"] } },
    });
    const unknownClass = JSON.stringify({ lc: 1, type: "constructor", id: ["langchain_core", "tools", "DynamicTool"], kwargs: {} });
    const notAllowed = JSON.stringify({ lc: 1, type: "constructor", id: ["langchain_openai", "ChatOpenAI"], kwargs: {} });
    expect(await serde.loadsTyped("json", secret)).toEqual(await upstreamLoadsTyped.call(serde, "json", secret));
    const outcomes: string[] = [];
    for (const text of [secretInKwargs, unknownClass, notAllowed]) {
      const theirs = await upstreamLoadsTyped.call(serde, "json", text).then(
        (value) => ({ value }),
        (e: Error) => ({ error: e.message }),
      );
      const ours = await serde.loadsTyped("json", text).then(
        (value) => ({ value }),
        (e: Error) => ({ error: e.message }),
      );
      expect(firstDifference(theirs, ours)).toBeUndefined();
      outcomes.push("error" in ours ? ours.error : "value");
    }
    expect(outcomes).toEqual([expect.stringContaining("Missing secret"), "value", expect.stringContaining("Invalid namespace")]);
    expect(getSerializerStats()).toEqual({ decoded: 1, upstream: 3 });
  });

  it("every read gets fresh objects: changing one read's messages does not change the next", async () => {
    const saver = new RustSqliteSaver(temporaryDatabase("fresh"));
    try {
      const config = await runTurns(saver, "fresh-thread");
      getSerializerStats({ reset: true });
      const first = await saver.getTuple(config);
      const messages = first?.checkpoint.channel_values.messages as AIMessage[];
      messages[1].tool_calls?.push({ id: "x", name: "x", args: {} });
      (messages[0] as { content: unknown }).content = "changed";
      const second = await saver.getTuple(config);
      const again = second?.checkpoint.channel_values.messages as AIMessage[];
      expect(again[0].content).toBe("question 0");
      expect(again[1].tool_calls).toHaveLength(1);
      expect(again[1]).not.toBe(messages[1]);
      expect(getSerializerStats().decoded).toBeGreaterThan(0);
    } finally {
      saver.close();
    }
  });

  it("RustPostgresSaver decodes with it and reads what PostgresSaver reads from the same rows", async () => {
    const schema = freshSchema("serializer-rust");
    const official = PostgresSaver.fromConnString(postgresUrl(), { schema });
    const ours = new RustPostgresSaver(postgresUrl(), { schema, layout: "official" });
    try {
      await official.setup();
      await ours.setup();
      const config = await runTurns(ours, "rust-pg-thread");
      getSerializerStats({ reset: true });
      const mine = await ours.getTuple(config);
      expect(getSerializerStats().decoded).toBeGreaterThan(0);
      const theirs = await official.getTuple(config);
      expect(firstDifference(theirs?.checkpoint.channel_values, mine?.checkpoint.channel_values)).toBeUndefined();
      expect(mine?.checkpoint.channel_values.messages).toHaveLength(12);
    } finally {
      await ours.end();
      await official.end();
      await dropSchema(schema);
    }
  });

  it("our savers decode with it without patchLangGraph, and keep a custom serde's own code", async () => {
    class Counting extends JsonPlusSerializer {
      loads = 0;
      async _loads(data: string) {
        this.loads++;
        return super._loads(data);
      }
    }
    const serde = new Counting();
    const saver = new RustSqliteSaver(temporaryDatabase("custom-serde"), { serde });
    try {
      const config = await runTurns(saver, "custom");
      getSerializerStats({ reset: true });
      serde.loads = 0;
      const tuple = await saver.getTuple(config);
      expect(serde.loads).toBeGreaterThan(0);
      expect(getSerializerStats().decoded).toBe(0);
      expect(tuple?.checkpoint.channel_values.messages).toHaveLength(12);
    } finally {
      saver.close();
    }
  });
});
