import { Annotation, START, StateGraph } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import Database from "better-sqlite3";

import { patchLangGraph, unpatchLangGraph } from "../../src";
import { isAcceleratedSqliteSaver } from "../../src/patch/sqlite-saver";
import { temporaryDatabase } from "../support/temporary-database";

// A patched SqliteSaver follows the state of the application's better-sqlite3 connection: closed, it
// refuses as unpatched (hostile review, round 3: it kept writing the file); read-only, it keeps its own code.

const onlySqlite = { memorySaver: false, postgresSaver: false, stateMerger: false, caches: false, serializer: false };
const config = { configurable: { thread_id: "t" } };

function counter(saver: SqliteSaver) {
  return new StateGraph(Annotation.Root({ v: Annotation<number> }))
    .addNode("n", (s) => ({ v: (s.v ?? 0) + 1 }))
    .addEdge(START, "n")
    .compile({ checkpointer: saver });
}

async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    return `ok ${JSON.stringify(await run())}`;
  } catch (error) {
    return `error ${(error as Error).message}`;
  }
}

/** What each call gives after `db.close()`, and how many checkpoints the file holds afterwards. */
async function afterClose(patched: boolean) {
  if (patched) await patchLangGraph(onlySqlite);
  try {
    const file = temporaryDatabase(patched ? "closed-patched" : "closed-plain");
    const saver = SqliteSaver.fromConnString(file);
    await counter(saver).invoke({}, config);
    const accelerated = isAcceleratedSqliteSaver(saver);
    saver.db.close();
    const calls = {
      invoke: await outcome(() => counter(saver).invoke({}, config)),
      getTuple: await outcome(async () => (await saver.getTuple(config))?.checkpoint.channel_values),
      list: await outcome(async () => {
        const out = [];
        for await (const t of saver.list(config)) out.push(t.checkpoint.id);
        return out.length;
      }),
    };
    const check = new Database(file, { readonly: true });
    const rows = (check.prepare("SELECT count(*) AS n FROM checkpoints").get() as { n: number }).n;
    check.close();
    return { accelerated, calls, rows };
  } finally {
    unpatchLangGraph();
  }
}

describe("a patched SqliteSaver whose database the application closed", () => {
  it("refuses every call as the unpatched saver does and writes nothing more", async () => {
    const plain = await afterClose(false);
    const patched = await afterClose(true);
    expect(patched.accelerated).toBe(true);
    expect(plain.calls.invoke).toMatch(/^error .*not open/);
    expect(patched.calls).toEqual(plain.calls);
    expect(patched.rows).toBe(plain.rows);
  });
});

describe("a patched SqliteSaver on a read-only connection", () => {
  it("keeps its own code: reads work, writes are refused as unpatched", async () => {
    const file = temporaryDatabase("readonly");
    const writer = SqliteSaver.fromConnString(file);
    await counter(writer).invoke({}, config);
    writer.db.close();

    const run = async (patched: boolean) => {
      if (patched) await patchLangGraph(onlySqlite);
      try {
        const saver = new SqliteSaver(new Database(file, { readonly: true }));
        const read = await outcome(async () => (await saver.getTuple(config))?.checkpoint.channel_values);
        const write = await outcome(() => counter(saver).invoke({}, config));
        const accelerated = isAcceleratedSqliteSaver(saver);
        saver.db.close();
        return { read, write, accelerated };
      } finally {
        unpatchLangGraph();
      }
    };
    const plain = await run(false);
    const patched = await run(true);
    expect(plain.write).toMatch(/^error /);
    expect(patched.accelerated).toBe(false);
    expect({ read: patched.read, write: patched.write }).toEqual({ read: plain.read, write: plain.write });
  });
});
