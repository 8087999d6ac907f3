import fs from "node:fs";

import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";

import { RustSqliteSaver } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

const meta = { source: "input" as const, step: -1, parents: {} };

function checkpointWith(values: Record<string, unknown>) {
  const versions = Object.fromEntries(Object.keys(values).map((k) => [k, 1]));
  return { ...emptyCheckpoint(), id: uuid6(0), channel_values: values, channel_versions: versions };
}

describe("bad input gets a clear error and leaves stored data untouched", () => {
  let saver: RustSqliteSaver;
  beforeEach(() => {
    saver = new RustSqliteSaver(temporaryDatabase("errors"));
  });
  afterEach(() => {
    if (!saver.closed) saver.close();
  });

  it("names the channel and thread of a value the serializer cannot handle, and stores nothing", async () => {
    const cp = checkpointWith({ good: "ok", bad: { n: BigInt(1) } });
    await expect(saver.put({ configurable: { thread_id: "t1" } }, cp, meta, cp.channel_versions)).rejects.toThrow(
      /channel "bad" of thread "t1"/,
    );
    expect(await saver.getTuple({ configurable: { thread_id: "t1" } })).toBeUndefined();
  });

  it("names the channel and task of a write the serializer cannot handle", async () => {
    const cp = checkpointWith({ a: 1 });
    const config = await saver.put({ configurable: { thread_id: "t2" } }, cp, meta, cp.channel_versions);
    await expect(
      saver.putWrites(
        config,
        [
          ["ok", 1],
          ["bad", BigInt(2)],
        ],
        "task-9",
      ),
    ).rejects.toThrow(/channel "bad" of task "task-9" in thread "t2"/);
    expect((await saver.getTuple(config))?.pendingWrites).toEqual([]);
  });

  it("rejects a missing thread_id with a hint on how to pass it", async () => {
    const cp = checkpointWith({});
    await expect(saver.put({ configurable: {} }, cp, meta, {})).rejects.toThrow(/thread_id is missing.*configurable/);
    await expect(saver.putWrites({ configurable: { thread_id: "x" } }, [], "t")).rejects.toThrow(/checkpoint_id is missing/);
  });

  it("fails every call on a closed saver with an error naming the file", async () => {
    saver.close();
    await expect(saver.getTuple({ configurable: { thread_id: "t" } })).rejects.toThrow(/is closed/);
    await expect(saver.getTuple({ configurable: { thread_id: "t" } })).rejects.toThrow(saver.path);
  });

  it("refuses a file that is not a SQLite database, naming it, and leaves it as it was", () => {
    const file = temporaryDatabase("not-a-db");
    const junk = Buffer.alloc(8192, "this is not sqlite ");
    fs.writeFileSync(file, junk);
    expect(() => new RustSqliteSaver(file)).toThrow(/not a SQLite database/);
    expect(() => new RustSqliteSaver(file)).toThrow(file);
    expect(fs.readFileSync(file).equals(junk)).toBe(true);
  });

  it("reports a corrupt database file by name", () => {
    const file = temporaryDatabase("corrupt");
    const good = new RustSqliteSaver(file);
    good.close();
    const bytes = fs.readFileSync(file);
    bytes.fill(0x5a, 100, Math.min(bytes.length, 4096));
    fs.writeFileSync(file, bytes);
    expect(() => new RustSqliteSaver(file)).toThrow(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}.*(corrupt|not a SQLite database|malformed)`),
    );
  });

  it("rejects an unknown layout before opening anything", () => {
    const file = temporaryDatabase("bad-layout");
    expect(() => new RustSqliteSaver(file, { layout: "fancy" as "official" })).toThrow(
      /layout must be "compact" or "official", got "fancy"/,
    );
    expect(fs.existsSync(file)).toBe(false);
  });

  it("rejects an unknown synchronous mode", () => {
    expect(() => new RustSqliteSaver(":memory:", { synchronous: "sometimes" as "full" })).toThrow(/synchronous must be/);
  });
});
