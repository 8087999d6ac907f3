import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import Database from "better-sqlite3";
import pg from "pg";

import { patchLangGraph, unpatchLangGraph } from "../../src";
import { isAcceleratedSqliteSaver } from "../../src/patch/sqlite-saver";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";
import { temporaryDatabase } from "../support/temporary-database";

// A patched SqliteSaver or PostgresSaver writes with the serde the saver has at each call, as the
// unpatched one does: a JsonPlusSerializer subclass or an instance with its own `_dumps` (for the
// checkpoint head and metadata too), one assigned after the first call, a spy on the instance.
// Compared row for row with the unpatched class (hostile review of round 29, faults 4-6).

const onlySqlite = { memorySaver: false, postgresSaver: false, stateMerger: false, caches: false, serializer: false };
const onlyPostgres = { memorySaver: false, sqliteSaver: false, stateMerger: false, caches: false, serializer: false };

type Dumps = (this: JsonPlusSerializer, obj: unknown) => Uint8Array;
const upstreamDumps = (JsonPlusSerializer.prototype as unknown as { _dumps: Dumps })._dumps;
/** JsonPlusSerializer's bytes, pretty-printed. */
const prettyDumps: Dumps = function (obj) {
  return new TextEncoder().encode(JSON.stringify(JSON.parse(new TextDecoder().decode(upstreamDumps.call(this, obj))), null, 1));
};
/** An instance of JsonPlusSerializer with a `_dumps` of its own. */
function withOwnDumps(dumps: Dumps): JsonPlusSerializer {
  const serde = new JsonPlusSerializer();
  (serde as unknown as { _dumps: Dumps })._dumps = dumps;
  return serde;
}
class Pretty extends JsonPlusSerializer {
  _dumps(obj: unknown) {
    return prettyDumps.call(this, obj);
  }
}
/** Every "secret" in the bytes becomes "***": visible in PostgreSQL's jsonb metadata, which drops formatting. */
class Redacting extends JsonPlusSerializer {
  _dumps(obj: unknown) {
    return new TextEncoder().encode(new TextDecoder().decode(upstreamDumps.call(this, obj)).replace(/secret/g, "***"));
  }
}

const checkpoint = (id: string, messages: unknown[], v: number) =>
  ({
    v: 4,
    id,
    ts: "2024-01-01T00:00:00.000Z",
    channel_values: { messages },
    channel_versions: { messages: v },
    versions_seen: {},
  }) as never;
const config = (thread: string, parent?: string) => ({
  configurable: { thread_id: thread, checkpoint_ns: "", ...(parent ? { checkpoint_id: parent } : {}) },
});

type Saver = SqliteSaver | PostgresSaver;

/** A warm-up put on another thread (so the store is up), then two puts on thread "t"; `between` runs between them. */
async function twoPuts(saver: Saver, between?: (saver: Saver) => void): Promise<void> {
  await saver.put(
    config("warm-up"),
    checkpoint("00000", [new HumanMessage({ content: "w", id: "w" })], 1),
    { source: "input", step: -1, parents: {} } as never,
    {
      messages: 1,
    },
  );
  const human = new HumanMessage({ content: "hi, a secret", id: "h1" });
  const metadata = (step: number) => ({ source: step < 0 ? "input" : "loop", step, parents: {}, note: "secret" }) as never;
  await saver.put(config("t"), checkpoint("00001", [human], 1), metadata(-1), { messages: 1 });
  between?.(saver);
  const answer = new AIMessage({ content: "the secret", id: "a1" });
  await saver.put(config("t", "00001"), checkpoint("00002", [human, answer], 2), metadata(0), { messages: 2 });
}

describe("patched SqliteSaver", () => {
  async function rows(patched: boolean, make: (file: string) => SqliteSaver, between?: (saver: Saver) => void) {
    if (patched) await patchLangGraph(onlySqlite);
    const file = temporaryDatabase(patched ? "serde-patched" : "serde-unpatched");
    try {
      const saver = make(file);
      await twoPuts(saver, between);
      expect(isAcceleratedSqliteSaver(saver)).toBe(patched);
      saver.db.close();
      const db = new Database(file, { readonly: true });
      const out = db
        .prepare(
          "SELECT checkpoint_id, type, CAST(checkpoint AS TEXT) AS c, CAST(metadata AS TEXT) AS m FROM checkpoints ORDER BY checkpoint_id",
        )
        .all();
      db.close();
      return out;
    } finally {
      if (patched) unpatchLangGraph();
    }
  }

  test.each([
    ["a subclass overriding _dumps", () => new Pretty()],
    ["an instance with its own _dumps", () => withOwnDumps(prettyDumps)],
  ])("with %s: the same checkpoint and metadata bytes", async (_, serde) => {
    const make = (file: string) => new SqliteSaver(new Database(file), serde());
    const unpatched = await rows(false, make);
    expect(String((unpatched[1] as { m: string }).m)).toContain("\n");
    expect(await rows(true, make)).toEqual(unpatched);
  });

  test("a serde assigned after the first put is the one that writes", async () => {
    const make = (file: string) => SqliteSaver.fromConnString(file);
    const between = (saver: Saver) => {
      saver.serde = new Pretty();
    };
    const unpatched = await rows(false, make, between);
    expect(await rows(true, make, between)).toEqual(unpatched);
  });
});

describe("patched PostgresSaver", () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  async function rows(schema: string) {
    return withPg(async (c) => ({
      blobs: (
        await c.query(
          `SELECT thread_id, channel, version, type, encode(blob, 'escape') AS b FROM "${schema}".checkpoint_blobs ORDER BY 1, 2, 3`,
        )
      ).rows,
      checkpoints: (await c.query(`SELECT thread_id, checkpoint_id, metadata::text AS m FROM "${schema}".checkpoints ORDER BY 1, 2`)).rows,
    }));
  }

  /** The scenario on a fresh schema, unpatched then patched; the rows of each. */
  async function bothWays(name: string, scenario: (pool: pg.Pool, schema: string) => Promise<void>) {
    const out = [];
    for (const patched of [false, true]) {
      const schema = freshSchema(`${name}_${patched ? "p" : "u"}`);
      schemas.push(schema);
      if (patched) await patchLangGraph(onlyPostgres);
      const pool = new pg.Pool({ connectionString: postgresUrl() });
      try {
        await scenario(pool, schema);
        out.push(await rows(schema));
      } finally {
        await pool.end();
        if (patched) unpatchLangGraph();
      }
    }
    return out;
  }

  const saverOn = async (pool: pg.Pool, schema: string, serde?: JsonPlusSerializer) => {
    const saver = new PostgresSaver(pool, serde, { schema });
    await saver.setup();
    return saver;
  };

  test("a subclass overriding _dumps writes the metadata too", async () => {
    const [unpatched, patched] = await bothWays("redact", async (pool, schema) => twoPuts(await saverOn(pool, schema, new Redacting())));
    expect(JSON.stringify(unpatched.checkpoints)).toContain("***");
    expect(patched).toEqual(unpatched);
  });

  test("an instance with its own _dumps assigned after the first put", async () => {
    const [unpatched, patched] = await bothWays("reassign", async (pool, schema) =>
      twoPuts(await saverOn(pool, schema), (saver) => {
        saver.serde = withOwnDumps(prettyDumps);
      }),
    );
    expect(patched).toEqual(unpatched);
  });

  test("a second saver on the same pool and schema with an instance of its own", async () => {
    const [unpatched, patched] = await bothWays("share", async (pool, schema) => {
      await twoPuts(await saverOn(pool, schema));
      const other = await saverOn(pool, schema, withOwnDumps(prettyDumps));
      await other.put(
        config("other"),
        checkpoint("00003", [new HumanMessage({ content: "o", id: "o" })], 3),
        { source: "input", step: -1, parents: {} } as never,
        {
          messages: 3,
        },
      );
    });
    expect(patched).toEqual(unpatched);
  });

  test("a spy on the default instance's dumpsTyped sees every value", async () => {
    const seen: string[][] = [];
    for (const patched of [false, true]) {
      const schema = freshSchema(`spy_${patched ? "p" : "u"}`);
      schemas.push(schema);
      if (patched) await patchLangGraph(onlyPostgres);
      const pool = new pg.Pool({ connectionString: postgresUrl() });
      try {
        await twoPuts(await saverOn(pool, schema));
        const spied = await saverOn(pool, schema);
        const spy = jest.spyOn(spied.serde, "dumpsTyped");
        await spied.put(
          config("spied"),
          checkpoint("00004", [new HumanMessage({ content: "s", id: "s" })], 4),
          { source: "input", step: -1, parents: {} } as never,
          {
            messages: 4,
          },
        );
        seen.push(spy.mock.calls.map(([value]) => JSON.stringify(value)));
      } finally {
        await pool.end();
        if (patched) unpatchLangGraph();
      }
    }
    // The patched saver may call it more often (its first call's copies, the checkpoint head), never less.
    expect(seen[0].length).toBeGreaterThan(0);
    for (const value of seen[0]) expect(seen[1]).toContain(value);
  });
});
