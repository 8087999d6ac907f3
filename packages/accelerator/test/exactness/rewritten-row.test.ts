import { HumanMessage } from "@langchain/core/messages";
import { type Checkpoint, type CheckpointMetadata, emptyCheckpoint } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { RustSqliteSaver } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

// A thread this process read is rewritten by another connection under the same checkpoint ids (a
// restore, another process): the next read must not trust what this process remembered of the row.
const ID1 = "00000000-0000-6000-8000-000000000001";
const ID2 = "00000000-0000-6000-8000-000000000002";
const input = { source: "input", step: -1, parents: {} } as CheckpointMetadata;
const loop = { source: "loop", step: 0, parents: {} } as CheckpointMetadata;
const checkpoint = (id: string, content: string, version: number): Checkpoint => ({
  ...emptyCheckpoint(),
  id,
  channel_values: { messages: [new HumanMessage({ content, id: "m1" }), new HumanMessage({ content: "second", id: "m2" })] },
  channel_versions: { messages: version },
});

type Saver = SqliteSaver | RustSqliteSaver;

async function scenario(make: (file: string) => Saver, newVersion: boolean, deleteFirst: boolean, readAfter = true): Promise<unknown> {
  const file = temporaryDatabase("rewritten");
  const a = make(file);
  const b = make(file);
  const config = { configurable: { thread_id: "t", checkpoint_ns: "" } };
  try {
    await a.put(config, checkpoint(ID1, "x", 1), input, { messages: 1 });
    await a.getTuple(config);
    const before = await a.getTuple(config);
    if (deleteFirst) await b.deleteThread("t");
    await b.put(config, checkpoint(ID1, "y", 1), input, { messages: 1 });
    // Read again after the rewrite, or (a run already under way) put from the tuple read before it.
    const read = readAfter ? await a.getTuple(config) : before;
    if (!read) throw new Error("no tuple");
    // The node puts back what the row held before the rewrite (a message replaced by id, say).
    const next: Checkpoint = {
      ...read.checkpoint,
      id: ID2,
      channel_values: { messages: [new HumanMessage({ content: "x", id: "m1" }), new HumanMessage({ content: "second", id: "m2" })] },
      channel_versions: { messages: newVersion ? 2 : 1 },
    };
    const stored = await a.put(read.config, next, loop, newVersion ? { messages: 2 } : {});
    const back = await a.getTuple(stored);
    if (!back) throw new Error("no tuple stored");
    return (back.checkpoint.channel_values.messages as HumanMessage[]).map((m) => m.content);
  } finally {
    for (const s of [a, b]) {
      if (s instanceof RustSqliteSaver) s.close();
      else s.db.close();
    }
  }
}

describe("a row rewritten by another connection under the same checkpoint ids", () => {
  it.each([
    [true, true],
    [false, true],
    [true, false],
    [false, false],
  ])(
    "RustSqliteSaver stores what it was given, as SqliteSaver does (new version: %s, thread deleted first: %s)",
    async (newVersion, deleteFirst) => {
      const official = await scenario((file) => SqliteSaver.fromConnString(file), newVersion, deleteFirst);
      expect(official).toEqual(["x", "second"]);
      expect(await scenario((file) => new RustSqliteSaver(file), newVersion, deleteFirst)).toEqual(official);
    },
  );

  it.each([
    [true, true],
    [false, true],
    [true, false],
    [false, false],
  ])(
    "a put from a tuple read before the rewrite stores what it was given, as SqliteSaver's does (new version: %s, thread deleted first: %s)",
    async (newVersion, deleteFirst) => {
      const official = await scenario((file) => SqliteSaver.fromConnString(file), newVersion, deleteFirst, false);
      expect(official).toEqual(["x", "second"]);
      expect(await scenario((file) => new RustSqliteSaver(file), newVersion, deleteFirst, false)).toEqual(official);
    },
  );
});
