import { emptyCheckpoint, uuid6, type Checkpoint } from "@langchain/langgraph-checkpoint";

import { RustPostgresSaver } from "../../src";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";

const config = (threadId: string, checkpointId?: string) => ({
  configurable: { thread_id: threadId, checkpoint_ns: "", checkpoint_id: checkpointId },
});

function checkpoint(values: Record<string, unknown>): Checkpoint {
  const cp = emptyCheckpoint();
  cp.id = uuid6(-1);
  cp.channel_values = values;
  cp.channel_versions = Object.fromEntries(Object.keys(values).map((k) => [k, 1]));
  return cp;
}

const metadata = { source: "input" as const, step: -1, parents: {} };

async function rowCounts(schema: string): Promise<number[]> {
  return withPg(async (c) => {
    const counts = [];
    for (const table of ["checkpoints", "checkpoint_blobs", "checkpoint_writes", "flg_checkpoints", "flg_blobs", "flg_writes"]) {
      counts.push(Number((await c.query(`SELECT COUNT(*) AS n FROM "${schema}".${table}`)).rows[0].n));
    }
    return counts;
  });
}

describe("RustPostgresSaver errors name their cause", () => {
  it("an unreachable server", async () => {
    const saver = new RustPostgresSaver("postgresql://flg:secret@127.0.0.1:1/flg", { connectTimeoutMs: 300 });
    await expect(saver.getTuple(config("t"))).rejects.toThrow(
      /RustPostgresSaver: cannot reach PostgreSQL at 127\.0\.0\.1:1\/flg: .*(refused|error connecting)/i,
    );
    await saver.end();
  });

  it("a wrong password, without revealing it", async () => {
    const wrong = postgresUrl().replace(/:[^:@/]+@/, ":not-the-password@");
    const saver = new RustPostgresSaver(wrong);
    const error = await saver.setup().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/authentication to PostgreSQL at 127\.0\.0\.1:\d+\/flg failed \(wrong user or password\)/);
    expect(error?.message).not.toContain("not-the-password");
    await saver.end();
  });

  it("a schema nobody set up", async () => {
    const schema = freshSchema("missing");
    const saver = new RustPostgresSaver(postgresUrl(), { schema });
    await expect(saver.put(config("t"), checkpoint({ a: 1 }), metadata, { a: 1 })).rejects.toThrow(
      `the checkpoint tables are missing in schema "${schema}"`,
    );
    await expect(saver.getTuple(config("t"))).rejects.toThrow("call setup() first");
    await saver.end();
  });

  it("a bad connection string, layout or schema name, at construction", () => {
    expect(() => new RustPostgresSaver("not a url")).toThrow(/RustPostgresSaver: unreadable connection string/);
    expect(() => new RustPostgresSaver(postgresUrl(), { layout: "fast" as never })).toThrow('layout must be "official" or "compact"');
    expect(() => new RustPostgresSaver(postgresUrl(), { schema: 'a"b' })).toThrow("is not usable");
    expect(() => new RustPostgresSaver(`${postgresUrl()}?sslmode=strict`)).toThrow('sslmode "strict" is not one of');
    expect(() => new RustPostgresSaver(`${postgresUrl()}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem`)).toThrow(
      'sslrootcert file "/nonexistent/ca.pem" cannot be read',
    );
  });

  it("a call after end()", async () => {
    const saver = new RustPostgresSaver(postgresUrl());
    await saver.end();
    expect(saver.ended).toBe(true);
    await expect(saver.getTuple(config("t"))).rejects.toThrow("the saver has been ended (end() was called)");
  });

  describe.each(["official", "compact"] as const)("%s layout: a put that fails stores nothing", (layout) => {
    let schema: string;
    let saver: RustPostgresSaver;
    beforeAll(async () => {
      schema = freshSchema(`fail_${layout}`);
      saver = new RustPostgresSaver(postgresUrl(), { schema, layout });
      await saver.setup();
    });
    afterAll(async () => {
      await saver.end();
      await dropSchema(schema);
    });

    it("a value the serializer cannot represent names channel and thread", async () => {
      const before = await rowCounts(schema);
      await expect(saver.put(config("bad"), checkpoint({ ok: "fine", big: 10n }), metadata, { ok: 1, big: 1 })).rejects.toThrow(
        /RustPostgresSaver\.put: cannot serialize channel "big" of thread "bad"/,
      );
      expect(await rowCounts(schema)).toEqual(before);
    });

    it("metadata PostgreSQL's JSONB refuses (a NUL character) leaves no blob behind", async () => {
      const before = await rowCounts(schema);
      await expect(
        saver.put(config("nul"), checkpoint({ messages: ["x".repeat(100)] }), { ...metadata, note: "a\u0000b" } as never, { messages: 1 }),
      ).rejects.toThrow(/RustPostgresSaver\.put: metadata\.note holds a NUL character \(\\u0000, at index 1\) of thread "nul"/);
      expect(await rowCounts(schema)).toEqual(before);
      expect(await saver.getTuple(config("nul"))).toBeUndefined();
    });

    it("a write without a checkpoint id", async () => {
      await expect(saver.putWrites(config("t"), [["a", 1]], "task")).rejects.toThrow(
        'RustPostgresSaver.putWrites: config.configurable.checkpoint_id is missing for thread "t"',
      );
    });
  });
});
