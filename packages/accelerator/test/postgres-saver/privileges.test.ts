import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";

import { RustPostgresSaver, patchLangGraph, unpatchLangGraph } from "../../src";
import { isAcceleratedPostgresSaver } from "../../src/patch/postgres-saver";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";

// Production roles often may read and write the checkpoint tables but not create anything.
describe("a role without CREATE privileges, on a database an administrator set up", () => {
  const schema = freshSchema("limited");
  const role = `flg_limited_${process.pid}_${Date.now().toString(36)}`;
  const url = () => postgresUrl().replace(/\/\/[^@]+@/, `//${role}:limited-pw@`);

  beforeAll(async () => {
    const admin = new RustPostgresSaver(postgresUrl(), { schema });
    await admin.setup();
    await admin.end();
    await withPg(async (c) => {
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'limited-pw'`);
      await c.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
      await c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
    });
  });

  afterAll(async () => {
    await dropSchema(schema);
    await withPg(async (c) => {
      await c.query(`DROP OWNED BY ${role}`);
      await c.query(`DROP ROLE ${role}`);
    });
  });

  it("cannot create a schema (the premise)", async () => {
    await expect(withPg((c) => c.query(`CREATE SCHEMA "${schema}_other"`), url())).rejects.toThrow(/permission denied/);
  });

  it("setup() needs no DDL there, and the saver reads and writes", async () => {
    const saver = new RustPostgresSaver(url(), { schema });
    try {
      await saver.setup();
      const checkpoint = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { a: 1 }, channel_versions: { a: 1 } };
      const config = await saver.put(
        { configurable: { thread_id: "t", checkpoint_ns: "" } },
        checkpoint,
        { source: "input", step: -1, parents: {} },
        { a: 1 },
      );
      expect((await saver.getTuple(config))?.checkpoint.channel_values).toEqual({ a: 1 });
    } finally {
      await saver.end();
    }
  });

  it("a patched PostgresSaver of that role is accelerated", async () => {
    await patchLangGraph({ memorySaver: false, sqliteSaver: false, stateMerger: false, caches: false });
    const saver = PostgresSaver.fromConnString(url(), { schema });
    try {
      expect(await saver.getTuple({ configurable: { thread_id: "t" } })).toBeDefined();
      expect(isAcceleratedPostgresSaver(saver)).toBe(true);
    } finally {
      await saver.end();
      unpatchLangGraph();
    }
  });
});
