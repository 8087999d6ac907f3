import Database from "better-sqlite3";
import type { RunnableConfig } from "@langchain/core/runnables";
import { type BaseCheckpointSaver, emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";

import { RustPostgresSaver, RustSqliteSaver } from "../../src";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";
import { temporaryDatabase } from "../support/temporary-database";

/** Three checkpoints whose `messages` list grows by one element each (stored as increments); their ids. */
async function threeSteps(saver: BaseCheckpointSaver): Promise<string[]> {
  const ids: string[] = [];
  let config: RunnableConfig = { configurable: { thread_id: "t", checkpoint_ns: "" } };
  const messages: string[] = [];
  for (let step = 0; step < 3; step++) {
    messages.push(`m${step}`);
    const checkpoint = {
      ...emptyCheckpoint(),
      id: uuid6(step),
      channel_values: { messages: [...messages] },
      channel_versions: { messages: step + 1 },
    };
    config = await saver.put(config, checkpoint, { source: "loop", step, parents: {} }, { messages: step + 1 });
    ids.push(checkpoint.id);
  }
  return ids;
}

const at = (id: string) => ({ configurable: { thread_id: "t", checkpoint_ns: "", checkpoint_id: id } });

/** Damages the rows by hand (`sql` gets the ids), then every read must fail with an error, never loop. */
async function expectErrorsNotLoops(saver: BaseCheckpointSaver, ids: string[], damage: (sql: string, args: string[]) => Promise<void>) {
  await damage("UPDATE {blobs} SET base_owner_id = $1 WHERE owner_id = $2", [ids[2], ids[1]]);
  await expect(saver.getTuple(at(ids[2]))).rejects.toThrow(/"messages".*"t".*cycle|cycle.*"t"/s);
  await damage("UPDATE {blobs} SET base_owner_id = $1 WHERE owner_id = $2", [ids[0], ids[1]]);
  await damage("UPDATE {checkpoints} SET parent_checkpoint_id = $1 WHERE checkpoint_id = $2", [ids[2], ids[0]]);
  await expect(saver.getDeltaChannelHistory({ config: at(ids[2]), channels: ["absent"] })).rejects.toThrow(/cycle/);
}

describe("no stored data makes a read loop (issue 11 case 3: guarded chain walks)", () => {
  it("RustSqliteSaver: a cyclic value chain and a cyclic parent chain are errors naming thread and channel", async () => {
    const file = temporaryDatabase("cyclic");
    const saver = new RustSqliteSaver(file);
    const db = new Database(file);
    try {
      const ids = await threeSteps(saver);
      await expectErrorsNotLoops(saver, ids, async (sql, args) => {
        const text = sql.replace("{blobs}", "flg_blobs").replace("{checkpoints}", "flg_checkpoints").replace(/\$\d/g, "?");
        db.prepare(text).run(...args);
      });
      await expect(saver.prune({ keepLast: 1 })).resolves.toBeDefined();
    } finally {
      db.close();
      saver.close();
    }
  });

  it("RustPostgresSaver compact layout: the same", async () => {
    const schema = freshSchema("cyclic");
    const saver = new RustPostgresSaver(postgresUrl(), { schema, layout: "compact" });
    try {
      await saver.setup();
      const ids = await threeSteps(saver);
      await expectErrorsNotLoops(saver, ids, (sql, args) =>
        withPg(async (c) => {
          await c.query(sql.replace("{blobs}", `"${schema}".flg_blobs`).replace("{checkpoints}", `"${schema}".flg_checkpoints`), args);
        }),
      );
    } finally {
      await saver.end();
      await dropSchema(schema);
    }
  });
});
