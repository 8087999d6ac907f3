import { HumanMessage } from "@langchain/core/messages";
import {
  type BaseCheckpointSaver,
  type Checkpoint,
  type CheckpointMetadata,
  JsonPlusSerializer,
  emptyCheckpoint,
} from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { MemorySaver } from "@langchain/langgraph";

import { RustPostgresSaver, RustSqliteSaver, patchLangGraph, unpatchLangGraph } from "../../src";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";
import { temporaryDatabase } from "../support/temporary-database";

// Rows rewritten under the same checkpoint ids: by another saver on the same database while this one
// serves the thread (a restore, another process), or by a put of a checkpoint stored before after a
// later checkpoint was built on it. Every saver must return what it was given, as the official ones do.
const ID1 = "00000000-0000-6000-8000-000000000001";
const ID2 = "00000000-0000-6000-8000-000000000002";
const ID3 = "00000000-0000-6000-8000-000000000003";
// Large enough to be stored as rows of their own, not inline.
const PADDING = "lorem ipsum dolor ".repeat(200);
const input = { source: "input", step: -1, parents: {} } as CheckpointMetadata;
const loop = { source: "loop", step: 0, parents: {} } as CheckpointMetadata;
const messages = (...contents: string[]) =>
  contents.map((content, i) => new HumanMessage({ content, id: `m${i + 1}`, additional_kwargs: { padding: PADDING } }));
const checkpoint = (id: string, values: HumanMessage[], version: number): Checkpoint => ({
  ...emptyCheckpoint(),
  id,
  channel_values: { messages: values },
  channel_versions: { messages: version },
});
const contents = (tuple: { checkpoint: Checkpoint } | undefined) =>
  (tuple?.checkpoint.channel_values.messages as HumanMessage[] | undefined)?.map((m) => m.content);

type Saver = Pick<BaseCheckpointSaver, "put" | "getTuple" | "list" | "deleteThread">;
/** Opens `count` savers on one database; `close` closes them and removes the database. */
type Family = (count: number) => Promise<{ savers: Saver[]; close(): Promise<void> }>;

async function rustPostgres(count: number, layout: "official" | "compact") {
  const schema = freshSchema("rewrite");
  const savers = Array.from({ length: count }, () => new RustPostgresSaver(postgresUrl(), { schema, layout }));
  await savers[0].setup();
  return {
    savers,
    close: async () => {
      await Promise.all(savers.map((s) => s.end()));
      await dropSchema(schema);
    },
  };
}

const families: Record<string, Family> = {
  PostgresSaver: async (count) => {
    const schema = freshSchema("rewrite");
    const savers = Array.from({ length: count }, () => PostgresSaver.fromConnString(postgresUrl(), { schema }));
    await savers[0].setup();
    return {
      savers,
      close: async () => {
        await Promise.all(savers.map((s) => s.end()));
        await dropSchema(schema);
      },
    };
  },
  RustPostgresSaver: (count) => rustPostgres(count, "official"),
  "RustPostgresSaver (compact layout)": (count) => rustPostgres(count, "compact"),
  SqliteSaver: async (count) => {
    const file = temporaryDatabase("rewrite");
    const savers = Array.from({ length: count }, () => SqliteSaver.fromConnString(file));
    return {
      savers,
      close: async () => {
        for (const s of savers) s.db.close();
      },
    };
  },
  RustSqliteSaver: async (count) => {
    const file = temporaryDatabase("rewrite");
    const savers = Array.from({ length: count }, () => new RustSqliteSaver(file));
    return {
      savers,
      close: async () => {
        for (const s of savers) s.close();
      },
    };
  },
};
/** One saver (MemorySaver instances share nothing), patched or not. */
const single =
  (patched: boolean): Family =>
  async (count) => {
    if (patched) expect((await patchLangGraph()).patched.map((p) => p.part)).toContain("memorySaver");
    const saver = new MemorySaver();
    return { savers: Array.from({ length: count }, () => saver), close: async () => void (patched && unpatchLangGraph()) };
  };
const config = { configurable: { thread_id: "t", checkpoint_ns: "" } };

/** Another saver rewrites the thread's first checkpoint while `a` serves it; `a` then puts its next step. */
async function rewrittenByAnother(family: Family, newVersion: boolean, deleteFirst: boolean, readAfter: boolean) {
  const { savers, close } = await family(2);
  const [a, b] = savers;
  try {
    await a.put(config, checkpoint(ID1, messages("x", "second"), 1), input, { messages: 1 });
    const before = await a.getTuple(config);
    if (deleteFirst) await b.deleteThread("t");
    await b.put(config, checkpoint(ID1, messages("y", "second"), 1), input, { messages: 1 });
    const read = readAfter ? await a.getTuple(config) : before;
    if (!read) throw new Error("no tuple");
    const next = { ...checkpoint(ID2, messages("x", "second", "third"), newVersion ? 2 : 1) };
    const stored = await a.put(read.config, next, loop, newVersion ? { messages: 2 } : {});
    return [contents(await a.getTuple(stored)), contents(await b.getTuple(stored))];
  } finally {
    await close();
  }
}

/**
 * A checkpoint is stored again with other values (by `again`: the same saver or another) after a later
 * one was built on it: an increment of its list (`grows`), or its value carried without a new version.
 */
async function parentStoredAgain(family: Family, sameSaver: boolean, grows: boolean) {
  const { savers, close } = await family(2);
  const [a, b] = savers;
  const again = sameSaver ? a : b;
  try {
    const first = await a.put(config, checkpoint(ID1, messages("x"), 1), input, { messages: 1 });
    const second = grows
      ? await a.put(first, checkpoint(ID2, messages("x", "y"), 2), loop, { messages: 2 })
      : await a.put(first, checkpoint(ID2, messages("x"), 1), loop, {});
    await again.put(config, checkpoint(ID1, messages("rewritten"), 1), input, { messages: 1 });
    const third = await a.put(second, checkpoint(ID3, messages("x", "y", "z"), 3), loop, { messages: 3 });
    return [
      contents(await a.getTuple(second)),
      contents(await b.getTuple(second)),
      contents(await b.getTuple(third)),
      contents(await a.getTuple(first)),
    ];
  } finally {
    await close();
  }
}

/** Both at once: one branch grew the list on the checkpoint stored again, a later fork carries its value. */
async function forkedParentStoredAgain(family: Family) {
  const { savers, close } = await family(2);
  const [a, b] = savers;
  try {
    const first = await a.put(config, checkpoint(ID1, messages("x"), 1), input, { messages: 1 });
    const grown = await a.put(first, checkpoint(ID2, messages("x", "y"), 2), loop, { messages: 2 });
    const fork = await a.put(first, checkpoint(ID3, messages("x"), 1), loop, {});
    await b.put(config, checkpoint(ID1, messages("rewritten"), 1), input, { messages: 1 });
    return await Promise.all([grown, fork, first].map(async (c) => [contents(await a.getTuple(c)), contents(await b.getTuple(c))]));
  } finally {
    await close();
  }
}

const pairs = [
  ["RustPostgresSaver", "PostgresSaver"],
  // The compact layout stores a value changed in place under its old version, as SqliteSaver does.
  ["RustPostgresSaver (compact layout)", "SqliteSaver"],
  ["RustSqliteSaver", "SqliteSaver"],
] as const;

const bools = [true, false];
const rewriteCases = bools.flatMap((newVersion) =>
  bools.flatMap((deleteFirst) => bools.map((readAfter) => [newVersion, deleteFirst, readAfter])),
);
const reputCases = bools.flatMap((sameSaver) => bools.map((grows) => [sameSaver, grows]));
describe("rows rewritten under the same checkpoint ids", () => {
  describe.each(pairs)("%s against %s", (ours, reference) => {
    const rewrite = async (newVersion: boolean, deleteFirst: boolean, readAfter: boolean) => {
      const expected = await rewrittenByAnother(families[reference], newVersion, deleteFirst, readAfter);
      // Without a new version the official savers differ: PostgresSaver keeps the value stored under it.
      if (newVersion) expect(expected[0]).toEqual(["x", "second", "third"]);
      expect(await rewrittenByAnother(families[ours], newVersion, deleteFirst, readAfter)).toEqual(expected);
    };
    it.each(rewriteCases)("by another saver while one serves the thread (new version: %s, deleted first: %s, read again: %s)", rewrite);

    const reput = async (sameSaver: boolean, grows: boolean) => {
      const expected = await parentStoredAgain(families[reference], sameSaver, grows);
      const second = grows ? ["x", "y"] : ["x"];
      expect(expected.slice(0, 3)).toEqual([second, second, ["x", "y", "z"]]);
      expect(await parentStoredAgain(families[ours], sameSaver, grows)).toEqual(expected);
    };
    it.each(reputCases)("a checkpoint stored again after a later one was built on it (same saver: %s, its list grew: %s)", reput);

    it("a checkpoint stored again after one branch grew its list and a later fork carried it", async () => {
      const expected = await forkedParentStoredAgain(families[reference]);
      expect(expected.slice(0, 2)).toEqual([
        [
          ["x", "y"],
          ["x", "y"],
        ],
        [["x"], ["x"]],
      ]);
      expect(await forkedParentStoredAgain(families[ours])).toEqual(expected);
    });
  });
});

describe("MemorySaver, patched, against MemorySaver: a checkpoint stored again after a later one was built on it", () => {
  it.each(bools)("its list grew: %s", async (grows) => {
    const expected = await parentStoredAgain(single(false), true, grows);
    expect(await parentStoredAgain(single(true), true, grows)).toEqual(expected);
  });
});

// Found by a hostile review of the re-put hand-over; each against what the savers were given.
describe.each(["RustSqliteSaver", "RustPostgresSaver (compact layout)"])("%s: re-puts, hostile review", (ours) => {
  const A = "00000000-0000-6000-8000-00000000000a";
  const B = "00000000-0000-6000-8000-00000000000b";
  const C = "00000000-0000-6000-8000-00000000000c";
  const at = (thread: string, id?: string) => ({
    configurable: { thread_id: thread, checkpoint_ns: "", ...(id ? { checkpoint_id: id } : {}) },
  });
  const putOn =
    (saver: Saver, thread = "t") =>
    (parent: string | undefined, id: string, values: string[], version: number, isNew: boolean) =>
      saver.put(at(thread, parent), checkpoint(id, messages(...values), version), loop, isNew ? { messages: version } : {});
  const read = async (saver: Saver, thread: string, id: string) => contents(await saver.getTuple(at(thread, id)));
  /** Runs `scenario` on `count` fresh savers of the family under test, closed afterwards. */
  const onSavers = async (count: number, scenario: (savers: Saver[]) => Promise<void>) => {
    const { savers, close } = await families[ours](count);
    try {
      await scenario(savers);
    } finally {
      await close();
    }
  };

  it("a checkpoint that now carries a value it once stored itself can inherit another's row", async () => {
    await onSavers(1, async ([saver]) => {
      const put = putOn(saver);
      await put(undefined, A, ["x"], 1, true);
      await put(A, B, ["x", "y"], 2, true);
      await saver.getTuple(at("t", A));
      await put(A, B, ["x"], 1, false);
      await put(undefined, A, ["z"], 1, true);
      expect([await read(saver, "t", A), await read(saver, "t", B)]).toEqual([["z"], ["x"]]);
    });
  });

  it("an increment whose base was handed to a later checkpoint still reads (and so does list)", async () => {
    await onSavers(1, async ([saver]) => {
      const put = putOn(saver);
      await put(undefined, A, ["x"], 1, true);
      await put(A, B, ["x", "y"], 2, true);
      await saver.getTuple(at("t", A));
      await put(A, C, ["x"], 1, false);
      await put(undefined, A, ["z"], 1, true);
      const all: unknown[] = [];
      for await (const tuple of saver.list(at("t"))) all.push(contents(tuple));
      expect(all).toEqual([["x"], ["x", "y"], ["z"]]);
    });
  });

  it("checkpoint ids out of time order (a child's id sorts before its parent's)", async () => {
    await onSavers(1, async ([saver]) => {
      const put = putOn(saver);
      await put(undefined, "z", ["x"], 1, true);
      await put("z", "y", ["x", "y"], 2, true);
      expect(await read(saver, "t", "y")).toEqual(["x", "y"]);
    });
  });

  it("a value vouched for by version is carried only from the row it was remembered from", async () => {
    await onSavers(1, async ([saver]) => {
      const put = putOn(saver);
      await put(undefined, A, ["x"], 1, true);
      await put(A, B, ["x"], 1, false);
      await put(undefined, A, ["z"], 1, true);
      await put(B, C, ["z"], 1, false);
      expect([await read(saver, "t", B), await read(saver, "t", C)]).toEqual([["x"], ["z"]]);
    });
  });

  it("a put carrying a value in flight with another saver's put of that value's checkpoint again", async () => {
    await onSavers(2, async ([a, b]) => {
      const wrong: string[] = [];
      for (let i = 0; i < 30; i++) {
        const thread = `t${i}`;
        await putOn(a, thread)(undefined, A, ["x"], 1, true);
        await Promise.all([
          putOn(a, thread)(A, C, ["x"], 1, false),
          new Promise((resolve) => setTimeout(resolve, i % 3)).then(() => putOn(b, thread)(undefined, A, ["z"], 1, true)),
        ]);
        const carried = await read(b, thread, C);
        if (JSON.stringify(carried) !== '["x"]') wrong.push(`${thread}: ${JSON.stringify(carried)}`);
      }
      expect(wrong).toEqual([]);
    });
  });
});

// A put proves a carried value against what the memory remembers, then serializes its checkpoint (an
// await): the rows it vouches for are the ones it proved against, even when a read meanwhile teaches the
// memory a row rewritten under the same ids.
/** Two savers on one new database, the first with `serde`; `close` ends them and removes it. */
const proofRaceFamilies: Record<string, (serde: JsonPlusSerializer) => Promise<{ a: Saver; b: Saver; close(): Promise<void> }>> = {
  "RustPostgresSaver (compact layout)": async (serde) => {
    const schema = freshSchema("proof-race");
    const a = new RustPostgresSaver(postgresUrl(), { schema, layout: "compact", serde });
    const b = new RustPostgresSaver(postgresUrl(), { schema, layout: "compact" });
    await a.setup();
    return {
      a,
      b,
      close: async () => {
        await Promise.all([a.end(), b.end()]);
        await dropSchema(schema);
      },
    };
  },
  RustSqliteSaver: async (serde) => {
    const file = temporaryDatabase("proof-race");
    const a = new RustSqliteSaver(file, { serde });
    const b = new RustSqliteSaver(file);
    return {
      a,
      b,
      close: async () => {
        a.close();
        b.close();
      },
    };
  },
};

describe.each(Object.keys(proofRaceFamilies))("%s: a read between a put's proof and its store call", (family) => {
  /** A serde whose dumpsTyped waits for `open()`, holding a put between its proof and its store call. */
  class GatedSerde extends JsonPlusSerializer {
    private gate: Promise<void> | undefined;
    open: () => void = () => {};
    close(): void {
      this.gate = new Promise((resolve) => {
        this.open = resolve;
      });
    }
    async dumpsTyped(value: unknown): Promise<[string, Uint8Array]> {
      await this.gate;
      return super.dumpsTyped(value);
    }
  }

  it("the put vouches for the row it proved its value against, not the one read meanwhile", async () => {
    const serde = new GatedSerde();
    const { a, b, close } = await proofRaceFamilies[family](serde);
    try {
      const first = await a.put(config, checkpoint(ID1, messages("x"), 1), input, { messages: 1 });
      await b.put(config, checkpoint(ID1, messages("rewritten"), 1), input, { messages: 1 });
      serde.close();
      const carrying = a.put(first, checkpoint(ID2, messages("x"), 1), loop, {});
      expect(contents(await a.getTuple(first))).toEqual(["rewritten"]);
      serde.open();
      const stored = await carrying;
      expect([contents(await a.getTuple(stored)), contents(await b.getTuple(stored))]).toEqual([["x"], ["x"]]);
    } finally {
      serde.open();
      await close();
    }
  });
});
