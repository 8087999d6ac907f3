import { spawn } from "node:child_process";
import path from "node:path";

import { emptyCheckpoint, uuid6, type CheckpointTuple } from "@langchain/langgraph-checkpoint";

import { RustPostgresSaver } from "../../src";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";

function runWriter(schema: string, layout: string, threadId: string, count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      path.join(__dirname, "fixtures", "thread-writer.cjs"),
      postgresUrl(),
      schema,
      layout,
      threadId,
      String(count),
    ]);
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`writer ${threadId} exited ${code}: ${err}`))));
  });
}

async function all(saver: RustPostgresSaver, threadId: string): Promise<CheckpointTuple[]> {
  const out = [];
  for await (const t of saver.list({ configurable: { thread_id: threadId, checkpoint_ns: "" } })) out.push(t);
  return out;
}

describe.each(["official", "compact"] as const)("%s layout, many writers", (layout) => {
  let schema: string;
  let saver: RustPostgresSaver;
  beforeAll(async () => {
    schema = freshSchema(`many_${layout}`);
    saver = new RustPostgresSaver(postgresUrl(), { schema, layout });
    await saver.setup();
  });
  afterAll(async () => {
    await saver.end();
    await dropSchema(schema);
  });

  it("four processes writing 1,000 checkpoints each to their own thread: all stored and readable", async () => {
    const threads = ["p0", "p1", "p2", "p3"];
    const outputs = await Promise.all(threads.map((t) => runWriter(schema, layout, t, 1000)));
    expect(outputs.map((o) => o.trim())).toEqual(threads.map((t) => `done ${t}`));
    for (const thread of threads) {
      const history = await all(saver, thread);
      expect(history).toHaveLength(1000);
      history.forEach((tuple, i) => {
        const step = 999 - i;
        expect(tuple.checkpoint.channel_values.step).toBe(step);
        const log = tuple.checkpoint.channel_values.log as string[];
        expect(log).toHaveLength(step + 1);
        expect(log[step]).toBe(`${thread} entry ${step}`);
        expect(tuple.pendingWrites).toEqual([[`task-${step}`, "step", step + 1]]);
      });
    }
  });

  it("two writers racing on one thread: every checkpoint either writer stored is there, whole", async () => {
    const threadId = "shared";
    const writers = [0, 1].map(() => new RustPostgresSaver(postgresUrl(), { schema, layout }));
    const stored: string[][] = [[], []];
    await Promise.all(
      writers.map(async (writer, w) => {
        let config = { configurable: { thread_id: threadId, checkpoint_ns: "" } };
        const log: string[] = [];
        let version: number | undefined;
        for (let step = 0; step < 150; step++) {
          log.push(`writer ${w} step ${step}`);
          // Versions come from the saver, as LangGraph asks for them.
          version = writer.getNextVersion(version);
          const checkpoint = { ...emptyCheckpoint(), id: uuid6(w), channel_values: { log: [...log] }, channel_versions: { log: version } };
          config = (await writer.put(config, checkpoint, { source: "loop", step, parents: {} }, { log: version })) as typeof config;
          stored[w].push(checkpoint.id);
        }
      }),
    );
    for (const writer of writers) await writer.end();
    const history = await all(saver, threadId);
    expect(history).toHaveLength(300);
    const byId = new Map(history.map((t) => [t.checkpoint.id, t]));
    stored.forEach((ids, w) => {
      ids.forEach((id, step) => {
        const log = byId.get(id)?.checkpoint.channel_values.log as string[];
        expect(log).toHaveLength(step + 1);
        expect(log.every((entry, i) => entry === `writer ${w} step ${i}`)).toBe(true);
      });
    });
  });
});

describe("official layout: two writers storing different values under the same versions", () => {
  it("the second gets a clear error and stores nothing; the first checkpoint stays as it was", async () => {
    const schema = freshSchema("clash");
    const saver = new RustPostgresSaver(postgresUrl(), { schema });
    await saver.setup();
    try {
      const base = { configurable: { thread_id: "clash", checkpoint_ns: "" } };
      const first = { ...emptyCheckpoint(), id: uuid6(0), channel_values: { log: ["from writer A"] }, channel_versions: { log: 1 } };
      const second = { ...emptyCheckpoint(), id: uuid6(1), channel_values: { log: ["from writer B"] }, channel_versions: { log: 1 } };
      await saver.put(base, first, { source: "loop", step: 0, parents: {} }, { log: 1 });
      await expect(saver.put(base, second, { source: "loop", step: 0, parents: {} }, { log: 1 })).rejects.toThrow(
        `RustPostgresSaver: thread "clash": checkpoint "${second.id}" not stored: log (version 1) already stored with a different value`,
      );
      expect(await saver.getTuple({ configurable: { ...base.configurable, checkpoint_id: second.id } })).toBeUndefined();
      const kept = await saver.getTuple({ configurable: { ...base.configurable, checkpoint_id: first.id } });
      expect(kept?.checkpoint.channel_values.log).toEqual(["from writer A"]);
    } finally {
      await saver.end();
      await dropSchema(schema);
    }
  });
});
