import Database from "better-sqlite3";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { deltaChannelHistoryTests, validate } from "@langchain/langgraph-checkpoint-validation";

import { RustSqliteSaver } from "../../src";
import { scenarios } from "../support/graphs";
import { normalize } from "../support/normalize";
import { temporaryDatabase } from "../support/temporary-database";

/** A thread's tuples as the official saver lists them, normalized. Pending writes of different tasks come
 * back in task-id order, and task ids are derived from checkpoint ids, which differ between two runs, so
 * they are compared as a set. */
async function history(saver: { list(c: object): AsyncGenerator<unknown> }, threadId: string) {
  const out = [];
  for await (const t of saver.list({ configurable: { thread_id: threadId } })) out.push(t);
  return (normalize(out) as Array<{ pendingWrites?: unknown[] }>).map((t) => ({
    ...t,
    pendingWrites: t.pendingWrites?.map((w) => JSON.stringify(w)).sort(),
  }));
}

describe("RustSqliteSaver with layout: official", () => {
  it.each(Object.entries(scenarios))("%s: the official saver reads what it wrote, identically", async (_name, run) => {
    const file = temporaryDatabase("official-layout");
    const ours = new RustSqliteSaver(file, { layout: "official" });
    const written = normalize(await run(ours));
    ours.close();

    const officialFile = temporaryDatabase("official-reference");
    const reference = SqliteSaver.fromConnString(officialFile);
    expect(written).toEqual(normalize(await run(reference)));

    const reader = SqliteSaver.fromConnString(file);
    const threads = (reader.db.prepare("SELECT DISTINCT thread_id FROM checkpoints").all() as Array<{ thread_id: string }>).map(
      (r) => r.thread_id,
    );
    expect(threads.length).toBeGreaterThan(0);
    for (const thread of threads) {
      const [got, want] = [await history(reader, thread), await history(reference, thread)];
      expect(got.map((t) => ({ ...t, pendingWrites: undefined }))).toEqual(want.map((t) => ({ ...t, pendingWrites: undefined })));
      expect(got.map((t) => t.pendingWrites?.length)).toEqual(want.map((t) => t.pendingWrites?.length));
    }
    const db = new Database(file, { readonly: true });
    const ownTables = db.prepare("SELECT COUNT(*) AS n FROM flg_checkpoints").get() as { n: number };
    db.close();
    reader.db.close();
    reference.db.close();
    expect(ownTables.n).toBe(0);
  });
});

// The official layout is the official saver's format and semantics (it stores the values it is given,
// whatever newVersions says), so the suite runs under the official saver's name and with its exemption.
// The default layout runs the same suite under its own name with nothing skipped (conformance.test.ts).
describe("official layout conformance", () => {
  const initializer = {
    checkpointerName: "@langchain/langgraph-checkpoint-sqlite",
    createCheckpointer: async () => new RustSqliteSaver(temporaryDatabase("official-conformance"), { layout: "official" as const }),
    destroyCheckpointer: async (saver: RustSqliteSaver) => saver.close(),
  };
  validate(initializer);
  deltaChannelHistoryTests(initializer);
});
