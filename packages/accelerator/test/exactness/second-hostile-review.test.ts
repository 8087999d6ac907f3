import { Annotation, END, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { RustSqliteSaver } from "../../src";
import { acceleratedMemorySaverMethods, restoreMemorySavers } from "../../src/patch/memory-saver";
import { acceleratedSqliteSaverMethods, restoreSqliteSavers } from "../../src/patch/sqlite-saver";
import { temporaryDatabase } from "../support/temporary-database";

// Found by a hostile review of the merged work (the second one).
type Methods = Record<string, (...args: never[]) => unknown>;
const METHODS = ["getTuple", "list", "put", "putWrites", "deleteThread", "getDeltaChannelHistory"];

function patched(proto: Methods, methods: (originals: never) => object, restore: () => void): () => void {
  const originals = Object.fromEntries(METHODS.map((n) => [n, proto[n]]));
  Object.assign(proto, methods(originals as never));
  return () => {
    restore();
    Object.assign(proto, originals);
  };
}

async function inPlaceHistory(saver: BaseCheckpointSaver): Promise<string[]> {
  const State = Annotation.Root({ items: Annotation<string[]>({ reducer: (_a, b) => b, default: () => [] }) });
  const graph = new StateGraph(State)
    .addNode("a", (s) => {
      s.items.push("added-by-a");
      return { items: s.items };
    })
    .addNode("b", (s) => {
      s.items.push("added-by-b");
      return { items: s.items };
    })
    .addEdge(START, "a")
    .addEdge("a", "b")
    .addEdge("b", END)
    .compile({ checkpointer: saver });
  const config = { configurable: { thread_id: "t" } };
  await graph.invoke({ items: ["input"] }, config);
  const history: string[] = [];
  for await (const s of graph.getStateHistory(config)) history.push(`${s.metadata?.step}: ${JSON.stringify(s.values.items)}`);
  return history;
}

test("a patched SqliteSaver keeps the checkpoints before an in-place edit as they were, as the unpatched one does", async () => {
  const expected = await inPlaceHistory(SqliteSaver.fromConnString(temporaryDatabase("inplace-plain")));
  expect(expected).toContain('1: ["input","added-by-a"]');
  const undo = patched(SqliteSaver.prototype as unknown as Methods, acceleratedSqliteSaverMethods as never, restoreSqliteSavers);
  try {
    expect(await inPlaceHistory(SqliteSaver.fromConnString(temporaryDatabase("inplace-patched")))).toEqual(expected);
  } finally {
    undo();
  }
});

async function bytesBack(saver: BaseCheckpointSaver): Promise<unknown> {
  const State = Annotation.Root({ blob: Annotation<Uint8Array>({ reducer: (_a, b) => b, default: () => new Uint8Array() }) });
  const graph = new StateGraph(State)
    .addNode("n", () => ({ blob: new Uint8Array([104, 105]) }))
    .addEdge(START, "n")
    .addEdge("n", END)
    .compile({ checkpointer: saver });
  const config = { configurable: { thread_id: "u8" } };
  await graph.invoke({}, config);
  return (await graph.getState(config)).values.blob;
}

test("a Uint8Array channel value reads back as a Uint8Array (not a Buffer), as from MemorySaver", async () => {
  const expected = await bytesBack(new MemorySaver());
  expect(Object.getPrototypeOf(expected)).toBe(Uint8Array.prototype);
  for (const layout of ["compact", "official"] as const) {
    const got = await bytesBack(new RustSqliteSaver(":memory:", { layout }));
    expect(Object.getPrototypeOf(got)).toBe(Uint8Array.prototype);
    expect(got).toEqual(expected);
  }
  const undo = patched(MemorySaver.prototype as unknown as Methods, () => acceleratedMemorySaverMethods, restoreMemorySavers);
  try {
    const got = await bytesBack(new MemorySaver());
    expect(Object.getPrototypeOf(got)).toBe(Uint8Array.prototype);
    expect(JSON.stringify(got)).toBe(JSON.stringify(expected));
  } finally {
    undo();
  }
});
