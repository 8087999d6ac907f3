import { RustPostgresSaver } from "../../src";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";

const parts = () => {
  const url = new URL(postgresUrl());
  return {
    host: url.hostname,
    port: Number(url.port),
    user: url.username,
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
  };
};

describe("RustPostgresSaver connects the ways node-postgres is configured", () => {
  it.each([
    ["a connection string", () => new RustPostgresSaver(postgresUrl(), { schema: freshSchema("conn") })],
    ["{ connectionString, ...options }", () => new RustPostgresSaver({ connectionString: postgresUrl(), schema: freshSchema("conn") })],
    ["{ host, port, user, password, database, ...options }", () => new RustPostgresSaver({ ...parts(), schema: freshSchema("conn") })],
    ["fromConnString", () => RustPostgresSaver.fromConnString(postgresUrl(), { schema: freshSchema("conn") })],
  ])("%s", async (_, make) => {
    const saver = make();
    try {
      await saver.setup();
      expect(saver.schema).toMatch(/^flg_conn_/);
      expect(await saver.getTuple({ configurable: { thread_id: "none" } })).toBeUndefined();
    } finally {
      await saver.end();
      await dropSchema(saver.schema);
    }
  });

  it("fields are quoted: a wrong password with quotes and backslashes is an authentication failure, not a parse error", async () => {
    const saver = new RustPostgresSaver({ ...parts(), password: `it's \\ wrong` });
    await expect(saver.setup()).rejects.toThrow(/authentication to PostgreSQL at 127\.0\.0\.1:\d+\/flg failed/);
    await saver.end();
  });

  it("an empty description is refused at construction", () => {
    expect(() => new RustPostgresSaver({})).toThrow("RustPostgresSaver: no connection given");
  });
});
