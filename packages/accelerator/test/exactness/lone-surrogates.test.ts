import { AIMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver } from "@langchain/langgraph";
import type { BaseCheckpointSaver, Checkpoint } from "@langchain/langgraph-checkpoint";
import fc from "fast-check";

import { RustLLMCache, RustNodeCache, RustPostgresSaver, RustSqliteSaver, patchLangGraph, unpatchLangGraph } from "../../src";
import { decodeKey, encodeKey } from "../../src/utf16-keys";
import { freshSchema, postgresUrl } from "../support/postgres";
import { temporaryDatabase } from "../support/temporary-database";

// Two thread ids that differ only in a lone surrogate: napi's UTF-8 conversion maps both to "user-\uFFFD".
const ALICE = "user-\ud83c";
const BOB = "user-\ud83d";

const cp = (id: string, owner: string): Checkpoint => ({
  v: 4,
  id,
  ts: "2026-01-01T00:00:00.000Z",
  channel_values: { owner },
  channel_versions: { owner: 1 },
  versions_seen: {},
});
const config = (thread: string, ns = ""): RunnableConfig => ({ configurable: { thread_id: thread, checkpoint_ns: ns } });

async function twoUsers(saver: BaseCheckpointSaver) {
  await saver.put(
    config(ALICE),
    cp("00000000-0000-6000-8000-00000000000a", "alice"),
    { source: "input", step: 0, parents: {} },
    { owner: 1 },
  );
  await saver.put(
    config(BOB, "\ud800ns"),
    cp("00000000-0000-6000-8000-00000000000b", "bob"),
    { source: "input", step: 0, parents: {} },
    {
      owner: 1,
    },
  );
  await saver.putWrites(
    { configurable: { ...config(BOB, "\ud800ns").configurable, checkpoint_id: "00000000-0000-6000-8000-00000000000b" } },
    [["owner", "w"]],
    "task-\udfff",
  );
  const alice = await saver.getTuple(config(ALICE));
  const bob = await saver.getTuple(config(BOB, "\ud800ns"));
  const listed = [];
  for await (const t of saver.list({})) listed.push([t.config.configurable?.thread_id, t.config.configurable?.checkpoint_ns]);
  return {
    alice: alice?.checkpoint.channel_values.owner,
    bob: bob?.checkpoint.channel_values.owner,
    bobWrites: bob?.pendingWrites,
    bobConfig: bob?.config.configurable,
    listed: listed.sort(),
  };
}

describe("keys that differ only in lone surrogates stay distinct", () => {
  it("the key encoding is injective and the identity on ordinary keys", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        expect(decodeKey(encodeKey(a))).toBe(a);
        expect((encodeKey(a) as unknown as { isWellFormed(): boolean }).isWellFormed()).toBe(true);
        expect(encodeKey(a).includes("\u0000")).toBe(false);
        if (a !== b) expect(encodeKey(a)).not.toBe(encodeKey(b));
      }),
      { seed: 9, numRuns: 2000 },
    );
    expect(encodeKey("thread-42 ✓ 👍")).toBe("thread-42 ✓ 👍");
  });

  const savers: Record<string, () => Promise<BaseCheckpointSaver>> = {
    "RustSqliteSaver :memory:": async () => new RustSqliteSaver(":memory:"),
    "RustSqliteSaver file": async () => new RustSqliteSaver(temporaryDatabase("surrogates")),
    "RustPostgresSaver compact": async () => {
      const s = new RustPostgresSaver(postgresUrl(), { schema: freshSchema("surrogates"), layout: "compact" });
      await s.setup();
      return s;
    },
  };

  it.each(Object.keys(savers))("%s keeps two users' threads apart, as MemorySaver does", async (name) => {
    const expected = await twoUsers(new MemorySaver());
    expect(expected.alice).toBe("alice");
    const saver = await savers[name]();
    try {
      expect(await twoUsers(saver)).toEqual(expected);
    } finally {
      if (saver instanceof RustSqliteSaver) saver.close();
      else await (saver as RustPostgresSaver).end();
    }
  });

  it("a patched MemorySaver keeps them apart as the unpatched one does", async () => {
    const expected = await twoUsers(new MemorySaver());
    await patchLangGraph();
    try {
      expect(await twoUsers(new MemorySaver())).toEqual(expected);
    } finally {
      unpatchLangGraph();
    }
  });

  it("layouts shared with the official savers refuse such keys with an error naming the field", async () => {
    const sqlite = new RustSqliteSaver(temporaryDatabase("surrogates-official"), { layout: "official" });
    const pg = new RustPostgresSaver(postgresUrl(), { schema: freshSchema("surrogates_official"), layout: "official" });
    await pg.setup();
    try {
      for (const saver of [sqlite, pg]) {
        await expect(
          saver.put(
            config(ALICE),
            cp("00000000-0000-6000-8000-00000000000c", "a"),
            { source: "input", step: 0, parents: {} },
            { owner: 1 },
          ),
        ).rejects.toThrow(/thread_id "user-\\ud83c" holds a lone surrogate/);
        expect(await saver.getTuple(config("user-"))).toBeUndefined();
      }
      await expect(
        pg.put(config("nul\u0000thread"), cp("00000000-0000-6000-8000-00000000000d", "a"), { source: "input", step: 0, parents: {} }, {}),
      ).rejects.toThrow(/thread_id "nul\\u0000thread" holds a NUL character/);
    } finally {
      sqlite.close();
      await pg.end();
    }
  });

  it("RustLLMCache and RustNodeCache never return one prompt's answer for another", async () => {
    const llm = new RustLLMCache();
    await llm.update(ALICE, "model", [{ text: "for alice" }]);
    expect(await llm.lookup(BOB, "model")).toBeNull();
    await llm.update(BOB, "model", [{ text: "for bob", message: new AIMessage("for bob") } as never]);
    expect((await llm.lookup(ALICE, "model"))?.[0].text).toBe("for alice");

    const node = new RustNodeCache();
    await node.set([{ key: [["ns"], ALICE], value: { who: "alice" } }]);
    expect(await node.get([[["ns"], BOB]])).toEqual([]);
    expect(await node.get([[["ns"], ALICE]])).toEqual([{ key: [["ns"], ALICE], value: { who: "alice" } }]);
  });
});
