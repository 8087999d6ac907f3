import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { acceleratedSqliteSaverMethods, isAcceleratedSqliteSaver, restoreSqliteSavers } from "../../src/patch/sqlite-saver";
import { scenarios } from "../support/graphs";
import { normalize } from "../support/normalize";
import { temporaryDatabase } from "../support/temporary-database";

type Methods = Record<string, (...args: never[]) => unknown>;

/** What patchLangGraph does for SqliteSaver, done by hand: swap the prototype methods, and undo. */
function accelerateSqliteSaver(): () => void {
  const proto = SqliteSaver.prototype as unknown as Methods;
  const originals = Object.fromEntries(
    ["getTuple", "list", "put", "putWrites", "deleteThread", "getDeltaChannelHistory"].map((n) => [n, proto[n]]),
  ) as Parameters<typeof acceleratedSqliteSaverMethods>[0];
  Object.assign(proto, acceleratedSqliteSaverMethods(originals));
  return () => {
    restoreSqliteSavers();
    Object.assign(proto, originals);
  };
}

async function historyOf(saver: SqliteSaver, threadId: string) {
  const out = [];
  for await (const t of saver.list({ configurable: { thread_id: threadId } })) out.push(t);
  return out;
}

describe("SqliteSaver on the Rust engine", () => {
  it.each(Object.entries(scenarios))("%s: same results patched; the file reads the same unpatched", async (_name, run) => {
    const expected = normalize(await run(SqliteSaver.fromConnString(temporaryDatabase("plain"))));
    const file = temporaryDatabase("patched");
    const undo = accelerateSqliteSaver();
    let written: unknown;
    let threads: string[] = [];
    let patchedHistory: unknown;
    try {
      const saver = SqliteSaver.fromConnString(file);
      written = normalize(await run(saver));
      expect(isAcceleratedSqliteSaver(saver)).toBe(true);
      threads = (saver.db.prepare("SELECT DISTINCT thread_id FROM checkpoints").all() as Array<{ thread_id: string }>).map(
        (r) => r.thread_id,
      );
      patchedHistory = normalize(await Promise.all(threads.map((t) => historyOf(saver, t))));
    } finally {
      undo();
    }
    expect(written).toEqual(expected);
    expect(threads.length).toBeGreaterThan(0);
    const unpatched = SqliteSaver.fromConnString(file);
    const plainHistory = normalize(await Promise.all(threads.map((t) => historyOf(unpatched, t))));
    const withoutWrites = (h: unknown) =>
      (h as Array<Array<Record<string, unknown>>>).map((ts) =>
        ts.map(({ pendingWrites, ...rest }) => ({ ...rest, writes: (pendingWrites as unknown[]).length })),
      );
    expect(withoutWrites(plainHistory)).toEqual(withoutWrites(patchedHistory));
    unpatched.db.close();
  });

  it("leaves an in-memory SqliteSaver on its own code", async () => {
    const undo = accelerateSqliteSaver();
    try {
      const saver = SqliteSaver.fromConnString(":memory:");
      await scenarios.updateStateFork(saver);
      expect(isAcceleratedSqliteSaver(saver)).toBe(false);
    } finally {
      undo();
    }
  });
});
