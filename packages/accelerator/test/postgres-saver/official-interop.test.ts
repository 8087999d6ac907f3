import { HumanMessage } from "@langchain/core/messages";
import { Send } from "@langchain/langgraph";
import { type BaseCheckpointSaver, TASKS, emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";

import { RustPostgresSaver } from "../../src";
import { answeringChat, messagesAgent } from "../support/graphs";
import { normalize } from "../support/normalize";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";

const chat = answeringChat;

async function history(checkpointer: BaseCheckpointSaver, threadId: string) {
  const out = [];
  for await (const t of checkpointer.list({ configurable: { thread_id: threadId } })) out.push(t);
  return out;
}

const contents = (state: { messages: { content: unknown }[] }) => state.messages.map((m) => m.content);

describe("a database shared with the official PostgresSaver", () => {
  let schema: string;
  let official: PostgresSaver;
  const savers: RustPostgresSaver[] = [];
  const open = (layout?: "official" | "compact") => {
    const saver = new RustPostgresSaver(postgresUrl(), { schema, layout });
    savers.push(saver);
    return saver;
  };

  beforeEach(async () => {
    schema = freshSchema("interop");
    official = PostgresSaver.fromConnString(postgresUrl(), { schema });
    await official.setup();
  });

  afterEach(async () => {
    for (const s of savers.splice(0)) await s.end();
    await official.end();
    await dropSchema(schema);
  });

  it("reads what PostgresSaver wrote exactly as PostgresSaver reads it", async () => {
    await messagesAgent(official);
    const ours = open();
    await ours.setup();
    const config = { configurable: { thread_id: "agent" } };
    expect(normalize(await ours.getTuple(config))).toEqual(normalize(await official.getTuple(config)));
    expect(normalize(await history(ours, "agent"))).toEqual(normalize(await history(official, "agent")));
    const inputs = async (saver: BaseCheckpointSaver) => {
      const out = [];
      for await (const t of saver.list(config, { filter: { source: "input" } })) out.push(t);
      return out;
    };
    expect((await inputs(ours)).length).toBe(4);
    expect(normalize(await inputs(ours))).toEqual(normalize(await inputs(official)));
  });

  it("reads pre-v4 checkpoints PostgresSaver stored as PostgresSaver does (pending sends from the parent's writes)", async () => {
    // Checkpoints of LangGraph.js before checkpoint format v4 kept the sends a step produced as the parent's writes.
    const thread = { configurable: { thread_id: "v3", checkpoint_ns: "" } };
    const v3 = (id: string, versions: Record<string, number>) => ({
      ...emptyCheckpoint(),
      v: 3,
      id,
      channel_values: { count: versions.count },
      channel_versions: versions,
    });
    const ids = [uuid6(-1), uuid6(-1), uuid6(-1)];
    const meta = (step: number) => ({ source: "loop" as const, step, parents: {} });
    const first = await official.put(thread, v3(ids[0], { count: 1 }), meta(0), { count: 1 });
    await official.putWrites(
      first,
      [
        [TASKS, new Send("worker", { n: 1 })],
        [TASKS, new Send("worker", { n: 2 })],
      ],
      "task-a",
    );
    const second = await official.put(first, v3(ids[1], { count: 2 }), meta(1), { count: 2 });
    await official.putWrites(second, [["count", 3]], "task-b");
    await official.put(second, v3(ids[2], { count: 3 }), meta(2), { count: 3 });

    for (const layout of ["official", "compact"] as const) {
      const ours = open(layout);
      for (const id of ids) {
        const config = { configurable: { ...thread.configurable, checkpoint_id: id } };
        expect(normalize(await ours.getTuple(config))).toEqual(normalize(await official.getTuple(config)));
      }
      expect(normalize(await history(ours, "v3"))).toEqual(normalize(await history(official, "v3")));
    }
    // The second checkpoint got the sends; the third, whose parent sent nothing, no tasks channel at all.
    const withSends = await official.getTuple({ configurable: { ...thread.configurable, checkpoint_id: ids[1] } });
    expect(withSends?.checkpoint.channel_values[TASKS]).toHaveLength(2);
    const withoutSends = await official.getTuple({ configurable: { ...thread.configurable, checkpoint_id: ids[2] } });
    expect(withoutSends?.checkpoint.channel_values).not.toHaveProperty(TASKS);
  });

  it("setup() on a database PostgresSaver set up changes nothing of its tables, and the reverse", async () => {
    const before = await withPg((c) =>
      c.query(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1 ORDER BY 1, 2",
        [schema],
      ),
    );
    const ours = open();
    await ours.setup();
    await ours.setup();
    const after = await withPg((c) =>
      c.query(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name NOT LIKE 'flg_%' ORDER BY 1, 2",
        [schema],
      ),
    );
    expect(after.rows).toEqual(before.rows);
    const versions = await withPg((c) => c.query(`SELECT v FROM "${schema}".checkpoint_migrations ORDER BY v`));
    expect(versions.rows.map((r) => r.v)).toEqual([0, 1, 2, 3, 4]);

    // A fresh schema set up by us first is accepted by the official saver as already migrated.
    const second = freshSchema("ours-first");
    const mine = new RustPostgresSaver(postgresUrl(), { schema: second });
    savers.push(mine);
    await mine.setup();
    const theirs = PostgresSaver.fromConnString(postgresUrl(), { schema: second });
    await theirs.setup();
    const config = { configurable: { thread_id: "t" } };
    await chat(theirs).invoke({ messages: [new HumanMessage("hi")] }, config);
    expect(contents((await chat(mine).getState(config)).values)).toEqual(["hi", "answer #1"]);
    await theirs.end();
    await dropSchema(second);
  });

  it("continues a PostgresSaver thread, and PostgresSaver reads the continuation back (default layout)", async () => {
    const config = { configurable: { thread_id: "t" } };
    await chat(official).invoke({ messages: [new HumanMessage("first")] }, config);
    const ours = open();
    const state = await chat(ours).invoke({ messages: [new HumanMessage("second")] }, config);
    expect(contents(state)).toEqual(["first", "answer #1", "second", "answer #3"]);
    // The official saver, unpatched, reads every checkpoint we wrote as we read it.
    expect(normalize(await history(official, "t"))).toEqual(normalize(await history(ours, "t")));
    expect(contents((await chat(official).getState(config)).values)).toEqual(["first", "answer #1", "second", "answer #3"]);
    // And continues it in turn.
    const third = await chat(official).invoke({ messages: [new HumanMessage("third")] }, config);
    expect(contents(third)).toEqual(["first", "answer #1", "second", "answer #3", "third", "answer #5"]);
    expect(normalize(await history(ours, "t"))).toEqual(normalize(await history(official, "t")));
  });

  it("compact layout continues a PostgresSaver thread; switching back to the default layout keeps it whole for PostgresSaver", async () => {
    const config = { configurable: { thread_id: "t" } };
    await chat(official).invoke({ messages: [new HumanMessage("first")] }, config);
    const compact = open("compact");
    const afterCompact = await chat(compact).invoke({ messages: [new HumanMessage("second")] }, config);
    expect(contents(afterCompact)).toEqual(["first", "answer #1", "second", "answer #3"]);
    expect((await history(compact, "t")).length).toBe((await history(official, "t")).length + 3);

    // Our default layout continues from the compact checkpoint, storing the values it carries.
    const back = open("official");
    const state = await chat(back).invoke({ messages: [new HumanMessage("third")] }, config);
    expect(contents(state)).toEqual(["first", "answer #1", "second", "answer #3", "third", "answer #5"]);
    expect(contents((await chat(official).getState(config)).values)).toEqual(contents(state));
  });
});

describe("a fork made with updateState (time travel)", () => {
  it("keeps the edit, and PostgresSaver reads the fork with it", async () => {
    const schema = freshSchema("fork");
    const ours = new RustPostgresSaver(postgresUrl(), { schema });
    await ours.setup();
    const official = PostgresSaver.fromConnString(postgresUrl(), { schema });
    try {
      const graph = chat(ours);
      const config = { configurable: { thread_id: "fork" } };
      await graph.invoke({ messages: [new HumanMessage("one")] }, config);
      await graph.invoke({ messages: [new HumanMessage("two")] }, config);
      const snapshots = [];
      for await (const s of graph.getStateHistory(config)) snapshots.push(s);
      const afterFirstTurn = snapshots.find((s) => s.values.messages?.length === 2 && s.next.length === 0)!;
      const forked = await graph.updateState(afterFirstTurn.config, { messages: [new HumanMessage("edited")] });
      const state = await graph.invoke(null, forked);
      expect(contents(state)).toEqual(["one", "answer #1", "edited"]);
      const resumed = await graph.invoke({ messages: [new HumanMessage("three")] }, config);
      expect(contents(resumed)).toEqual(["one", "answer #1", "edited", "three", "answer #4"]);
      expect(contents((await chat(official).getState(config)).values)).toEqual(contents(resumed));
    } finally {
      await ours.end();
      await official.end();
      await dropSchema(schema);
    }
  });
});
