import Database from "better-sqlite3";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";

import { RustSqliteSaver } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

const STEPS = 60;

/** The 3-node messages loop: each node appends one ~1 KB message, for STEPS supersteps. */
async function runLoop(checkpointer: BaseCheckpointSaver) {
  const text = "lorem ipsum dolor sit amet consectetur ".repeat(26);
  const node = (name: string) => () => ({ messages: [new AIMessage({ content: `${name}: ${text}`, name })] });
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("a", node("a"))
    .addNode("b", node("b"))
    .addNode("c", node("c"))
    .addEdge(START, "a")
    .addEdge("a", "b")
    .addEdge("b", "c")
    .addConditionalEdges("c", (s) => (s.messages.length >= STEPS ? "__end__" : "a"))
    .compile({ checkpointer });
  return graph.invoke({ messages: [new HumanMessage("go")] }, { configurable: { thread_id: "loop" }, recursionLimit: 1000 });
}

function bytesOf(file: string, sql: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return Number((db.prepare(sql).get() as { n: number | null }).n ?? 0);
  } finally {
    db.close();
  }
}

describe("what RustSqliteSaver stores", () => {
  it("stores a growing messages list by its new part: bytes grow linearly, not quadratically", async () => {
    const officialFile = temporaryDatabase("growth-official");
    const oursFile = temporaryDatabase("growth-ours");
    const official = SqliteSaver.fromConnString(officialFile);
    const ours = new RustSqliteSaver(oursFile);
    const expected = await runLoop(official);
    const final = await runLoop(ours);
    expect(final.messages.length).toBe(expected.messages.length);
    const finalStateBytes = JSON.stringify(final.messages).length;
    ours.close();
    official.db.close();

    const officialBytes = bytesOf(officialFile, "SELECT SUM(length(checkpoint)) AS n FROM checkpoints");
    const ourValueBytes = bytesOf(oursFile, "SELECT SUM(length(data)) AS n FROM flg_blobs");
    const increments = bytesOf(oursFile, "SELECT COUNT(*) AS n FROM flg_blobs WHERE base_owner_id IS NOT NULL");
    expect(increments).toBeGreaterThan(STEPS - 5);
    // Every message is stored about once; the official saver stores the whole list at every step.
    expect(ourValueBytes).toBeLessThan(finalStateBytes * 1.5);
    expect(officialBytes).toBeGreaterThan(finalStateBytes * 10);
  });

  it("writes a channel only when newVersions says it changed", async () => {
    const file = temporaryDatabase("versions");
    const saver = new RustSqliteSaver(file);
    await runLoop(saver);
    saver.close();
    const rows = bytesOf(file, "SELECT COUNT(*) AS n FROM flg_blobs WHERE channel = 'messages'");
    const checkpoints = bytesOf(file, "SELECT COUNT(*) AS n FROM flg_checkpoints");
    // One value row per step that changed `messages`, plus the input checkpoint's unversioned default
    // `[]` (SqliteSaver stores it too); the START checkpoint adds none.
    expect(rows).toBeLessThanOrEqual(checkpoints);
    expect(rows).toBeGreaterThanOrEqual(STEPS - 1);
  });

  it("keeps storing increments when each user turn is a new run resumed from the file", async () => {
    const file = temporaryDatabase("turns");
    const config = { configurable: { thread_id: "chat" } };
    const chat = (saver: BaseCheckpointSaver) =>
      new StateGraph(MessagesAnnotation)
        .addNode("model", (s) => ({ messages: [new AIMessage(`answer ${s.messages.length}`)] }))
        .addEdge(START, "model")
        .compile({ checkpointer: saver });
    let saver = new RustSqliteSaver(file);
    for (let turn = 0; turn < 10; turn++) {
      if (turn === 5) {
        saver.close();
        saver = new RustSqliteSaver(file);
      }
      await chat(saver).invoke({ messages: [new HumanMessage(`turn ${turn}`)] }, config);
    }
    const state = await chat(saver).getState(config);
    saver.close();
    expect(state.values.messages).toHaveLength(20);
    // Only the first run of each process stores the list whole; every later step stores its increment.
    expect(bytesOf(file, "SELECT COUNT(*) AS n FROM flg_blobs WHERE channel = 'messages' AND base_owner_id IS NULL")).toBe(1);
  });

  it("stores full values when increments are switched off", async () => {
    const file = temporaryDatabase("no-increments");
    const saver = new RustSqliteSaver(file, { storeIncrements: false });
    await runLoop(saver);
    saver.close();
    expect(bytesOf(file, "SELECT COUNT(*) AS n FROM flg_blobs WHERE base_owner_id IS NOT NULL")).toBe(0);
  });
});
