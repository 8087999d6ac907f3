import { HumanMessage } from "@langchain/core/messages";
import { type Checkpoint, type CheckpointMetadata, JsonPlusSerializer, emptyCheckpoint } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import Database from "better-sqlite3";

import { RustSqliteSaver } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

// Another connection commits to the file while this saver's put is pending or between its attempts
// (hostile review of the data-version check): the put still stores the checkpoint as it was given,
// exactly as SqliteSaver stores it, or fails with nothing written; it never stores what changed since.
const ID1 = "00000000-0000-6000-8000-000000000001";
const ID2 = "00000000-0000-6000-8000-000000000002";
const meta = { source: "loop", step: 0, parents: {} } as CheckpointMetadata;
const thread = (id: string, checkpointId?: string) => ({ configurable: { thread_id: id, checkpoint_ns: "", checkpoint_id: checkpointId } });
const msg = (i: number) => new HumanMessage({ content: `c${i}`, id: `m${i}` });
type Saver = SqliteSaver | RustSqliteSaver;
type Calls = { put: (request: unknown) => Promise<unknown> };

function close(saver: Saver): void {
  if (saver instanceof RustSqliteSaver) saver.close();
  else saver.db.close();
}

/** Runs `scenario` on two connections to one file, for SqliteSaver and for RustSqliteSaver. */
async function both<T>(
  scenario: (a: Saver, b: Saver) => Promise<T>,
  ours: (file: string) => RustSqliteSaver = (f) => new RustSqliteSaver(f),
) {
  const run = async (make: (file: string) => Saver) => {
    const file = temporaryDatabase("foreign");
    const a = make(file);
    const b = make(file);
    try {
      return await scenario(a, b);
    } finally {
      close(a);
      close(b);
    }
  };
  return { official: await run((f) => SqliteSaver.fromConnString(f)), rust: await run(ours) };
}

/** Makes another connection's commit land right after the saver's first put attempt is answered. */
function commitAfterFirstAttempt(saver: Saver, commit: () => Promise<unknown>): Promise<unknown> | undefined {
  if (!(saver instanceof RustSqliteSaver)) return commit();
  const calls = (saver as unknown as { calls: Calls }).calls;
  const put = calls.put;
  let attempts = 0;
  calls.put = async (request) => {
    const answer = await put(request);
    if (attempts++ === 0) await commit();
    return answer;
  };
  return undefined;
}

async function contents(saver: Saver, id = "t"): Promise<unknown[]> {
  const tuple = await saver.getTuple(thread(id));
  if (!tuple) throw new Error(`no tuple for thread ${id}`);
  return (tuple.checkpoint.channel_values.messages as HumanMessage[]).map((m) => m.content);
}

describe("another connection commits while a put is pending", () => {
  it("a retry answered at a newer data version is asked again and stores the checkpoint", async () => {
    const big = "o".repeat(40000);
    const checkpoint = (id: string): Checkpoint => ({
      ...emptyCheckpoint(),
      id,
      channel_values: { messages: [msg(1)], other: big },
      channel_versions: { messages: 1, other: 1 },
    });
    const { official, rust } = await both(
      async (a, b) => {
        await a.put(thread("t"), checkpoint(ID1), meta, { messages: 1, other: 1 });
        await commitAfterFirstAttempt(a, () => b.put(thread("u"), checkpoint(ID1), meta, { messages: 1, other: 1 }));
        await a.put(thread("t", ID1), checkpoint(ID2), meta, {});
        const tuple = await a.getTuple(thread("t"));
        return [tuple?.checkpoint.id, tuple?.checkpoint.channel_values.other === big, await contents(a)];
      },
      // A memory too small for `other`: that channel is unknown, `messages` vouched for.
      (f) => new RustSqliteSaver(f, { channelMemoryBytes: 20000 }),
    );
    expect(official).toEqual([ID2, true, ["c1"]]);
    expect(rust).toEqual(official);
  });

  it("a list pushed into while its increment's put is pending stores what it held at put time", async () => {
    const checkpoint = (id: string, messages: HumanMessage[], version: number): Checkpoint => ({
      ...emptyCheckpoint(),
      id,
      channel_values: { messages },
      channel_versions: { messages: version },
    });
    const { official, rust } = await both(async (a, b) => {
      await a.put(thread("t"), checkpoint(ID1, [msg(1)], 1), meta, { messages: 1 });
      await b.put(thread("u"), checkpoint(ID1, [msg(9)], 1), meta, { messages: 1 });
      const list = [msg(1), msg(2)];
      const pending = a.put(thread("t", ID1), checkpoint(ID2, list, 2), meta, { messages: 2 });
      list.push(msg(3));
      await pending;
      return contents(a);
    });
    expect(official).toEqual(["c1", "c2"]);
    expect(rust).toEqual(official);
  });

  it("a carried list pushed into while its put is pending stores what it held at put time", async () => {
    const { official, rust } = await both(async (a, b) => {
      const first: Checkpoint = {
        ...emptyCheckpoint(),
        id: ID1,
        channel_values: { messages: [msg(1)], other: "o1" },
        channel_versions: { messages: 1, other: 1 },
      };
      await a.put(thread("t"), first, meta, { messages: 1, other: 1 });
      await b.put(thread("u"), { ...emptyCheckpoint(), id: ID1 }, meta, {});
      const list = [msg(1)];
      const second: Checkpoint = {
        ...emptyCheckpoint(),
        id: ID2,
        channel_values: { messages: list, other: "o2" },
        channel_versions: { messages: 1, other: 2 },
      };
      const pending = a.put(thread("t", ID1), second, meta, { other: 2 });
      list.push(msg(3));
      await pending;
      return contents(a);
    });
    expect(official).toEqual(["c1"]);
    expect(rust).toEqual(official);
  });

  it.each([
    ["appended", [{ a: 1 }], [{ a: 1 }, { at: new Date(0) }]],
    [
      "replaced by id",
      [msg(1), msg(2), msg(3), msg(4)],
      [msg(1), msg(2), msg(3), new HumanMessage({ content: "c4", id: "m4", additional_kwargs: { at: new Date(0) } })],
    ],
  ])("a list whose new element has no snapshot (a Date) is stored after another connection's commit (%s)", async (_kind, before, after) => {
    const checkpoint = (id: string, items: unknown[], version: number): Checkpoint => ({
      ...emptyCheckpoint(),
      id,
      channel_values: { items },
      channel_versions: { items: version },
    });
    const { official, rust } = await both(async (a, b) => {
      await a.put(thread("t"), checkpoint(ID1, before, 1), meta, { items: 1 });
      await b.put(thread("u"), checkpoint(ID1, [{ x: 1 }], 1), meta, { items: 1 });
      await a.put(thread("t", ID1), checkpoint(ID2, after, 2), meta, { items: 2 });
      const tuple = await a.getTuple(thread("t"));
      return JSON.stringify(tuple?.checkpoint.channel_values);
    });
    expect(official).toMatch(/"at"/);
    expect(rust).toEqual(official);
  });

  it("a read that awaits its serde does not remember values under a version answered meanwhile", async () => {
    class SlowSerde extends JsonPlusSerializer {
      hook?: () => Promise<void>;
      async loadsTyped(type: string, data: Uint8Array | string) {
        const hook = this.hook;
        if (hook) {
          this.hook = undefined;
          await hook();
        }
        return super.loadsTyped(type, data);
      }
    }
    const input = { source: "input", step: -1, parents: {} } as CheckpointMetadata;
    const checkpoint = (id: string, content: string): Checkpoint => ({
      ...emptyCheckpoint(),
      id,
      channel_values: { messages: [new HumanMessage({ content, id: "m1" })] },
      channel_versions: { messages: 1 },
    });
    const run = async (make: (file: string, serde: SlowSerde) => Saver) => {
      const file = temporaryDatabase("foreign-serde");
      const serde = new SlowSerde();
      const a = make(file, serde);
      const b = make(file, new SlowSerde());
      try {
        await a.put(thread("t"), checkpoint(ID1, "x"), input, { messages: 1 });
        await a.put(thread("t2"), checkpoint(ID1, "z"), input, { messages: 1 });
        await a.getTuple(thread("t"));
        serde.hook = async () => {
          await b.put(thread("t"), checkpoint(ID1, "y"), input, { messages: 1 });
          await a.getTuple(thread("t2"));
        };
        const read = await a.getTuple(thread("t"));
        if (!read) throw new Error("no tuple");
        const stored = await a.put(read.config, { ...read.checkpoint, id: ID2 }, meta, {});
        const back = await a.getTuple(stored);
        if (!back) throw new Error("nothing stored");
        return [read, back].map((t) => (t.checkpoint.channel_values.messages as HumanMessage[])[0].content);
      } finally {
        close(a);
        close(b);
      }
    };
    const official = await run((f, serde) => new SqliteSaver(new Database(f), serde));
    expect(official).toEqual(["x", "x"]);
    expect(await run((f, serde) => new RustSqliteSaver(f, { serde }))).toEqual(official);
  });
});
