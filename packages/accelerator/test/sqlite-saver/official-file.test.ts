import Database from "better-sqlite3";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { RustSqliteSaver } from "../../src";
import { answeringChat, messagesAgent } from "../support/graphs";
import { normalize } from "../support/normalize";
import { temporaryDatabase } from "../support/temporary-database";
import { HumanMessage } from "@langchain/core/messages";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";

const chat = answeringChat;

async function history(checkpointer: BaseCheckpointSaver, threadId: string) {
  const out = [];
  for await (const t of checkpointer.list({ configurable: { thread_id: threadId } })) out.push(t);
  return out;
}

describe("a database file written by @langchain/langgraph-checkpoint-sqlite", () => {
  it("is read as the official saver reads it", async () => {
    const file = temporaryDatabase("official-written");
    const official = SqliteSaver.fromConnString(file);
    await messagesAgent(official);
    const ours = new RustSqliteSaver(file);
    try {
      const config = { configurable: { thread_id: "agent" } };
      expect(normalize(await ours.getTuple(config))).toEqual(normalize(await official.getTuple(config)));
      expect(normalize(await history(ours, "agent"))).toEqual(normalize(await history(official, "agent")));
      const filtered = { filter: { source: "input" } };
      const oursInputs = [];
      for await (const t of ours.list(config, filtered)) oursInputs.push(t);
      const officialInputs = [];
      for await (const t of official.list(config, filtered)) officialInputs.push(t);
      expect(oursInputs.length).toBe(4);
      expect(normalize(oursInputs)).toEqual(normalize(officialInputs));
    } finally {
      ours.close();
      official.db.close();
    }
  });

  it("is continued by RustSqliteSaver and stays readable by the official saver", async () => {
    const file = temporaryDatabase("continued");
    const config = { configurable: { thread_id: "t" } };
    const official = SqliteSaver.fromConnString(file);
    await chat(official).invoke({ messages: [new HumanMessage("first")] }, config);
    const officialLatest = await official.getTuple(config);
    official.db.close();

    const ours = new RustSqliteSaver(file);
    const state = await chat(ours).invoke({ messages: [new HumanMessage("second")] }, config);
    expect(state.messages.map((m: { content: unknown }) => m.content)).toEqual(["first", "answer #1", "second", "answer #3"]);
    const tuples = await history(ours, "t");
    expect(tuples.map((t) => t.metadata?.step)).toEqual([4, 3, 2, 1, 0, -1]);
    expect(tuples[3].config.configurable?.checkpoint_id).toBe(officialLatest?.config.configurable?.checkpoint_id);
    ours.close();

    const reopened = SqliteSaver.fromConnString(file);
    try {
      expect(normalize(await reopened.getTuple(officialLatest!.config))).toEqual(normalize(officialLatest));
      expect((await history(reopened, "t")).length).toBe(3);
      expect(reopened.db.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      reopened.db.close();
    }
  });

  it("keeps the official tables untouched when deleting other threads", async () => {
    const file = temporaryDatabase("delete");
    const official = SqliteSaver.fromConnString(file);
    await chat(official).invoke({ messages: [new HumanMessage("keep")] }, { configurable: { thread_id: "keep" } });
    await chat(official).invoke({ messages: [new HumanMessage("drop")] }, { configurable: { thread_id: "drop" } });
    const ours = new RustSqliteSaver(file);
    await ours.deleteThread("drop");
    ours.close();
    const db = new Database(file, { readonly: true });
    const threads = db.prepare("SELECT DISTINCT thread_id FROM checkpoints").all();
    db.close();
    official.db.close();
    expect(threads).toEqual([{ thread_id: "keep" }]);
  });
});
