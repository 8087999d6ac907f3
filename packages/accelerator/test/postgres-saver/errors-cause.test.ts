import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";

import { RustPostgresSaver } from "../../src";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";

// Errors name the real cause, and a password given in the connection never appears in any of them, nor
// in poolStatus().
const PASSWORD = "Zq9-s3cr3t-pw";
const encodedVariants = [PASSWORD, encodeURIComponent(PASSWORD), "s3cr3t"];

function expectNoPassword(text: string) {
  for (const variant of encodedVariants) expect(text).not.toContain(variant);
}

const config = { configurable: { thread_id: "t", checkpoint_ns: "" } };
const checkpoint = () => ({ ...emptyCheckpoint(), id: uuid6(-1), channel_values: { a: "v" }, channel_versions: { a: 1 } });

/** The constructor's error, or the first operation's; and poolStatus() as text, when it was built. */
async function failure(connection: string, op: (s: RustPostgresSaver) => Promise<unknown> = (s) => s.setup()) {
  let saver: RustPostgresSaver;
  try {
    saver = new RustPostgresSaver(connection, { connectTimeoutMs: 500, schema: freshSchema("err") });
  } catch (error) {
    return { message: (error as Error).message, status: "" };
  }
  try {
    await op(saver);
    return { message: "no error", status: JSON.stringify(saver.poolStatus()) };
  } catch (error) {
    return { message: (error as Error).message, status: JSON.stringify(saver.poolStatus()) };
  } finally {
    await saver.end();
  }
}

describe("RustPostgresSaver's errors name the real cause without echoing a password", () => {
  const port = () => new URL(postgresUrl()).port;
  const cases: Array<[string, () => string, RegExp]> = [
    [
      "a wrong password",
      () => `postgresql://flg:${PASSWORD}@127.0.0.1:${port()}/flg`,
      /authentication to PostgreSQL at 127\.0\.0\.1:\d+\/flg failed/,
    ],
    ["a server not listening", () => `postgresql://flg:${PASSWORD}@127.0.0.1:1/flg`, /cannot reach PostgreSQL at 127\.0\.0\.1:1\/flg/],
    ["an unreadable port", () => `postgresql://flg:${PASSWORD}@127.0.0.1:notaport/flg`, /unreadable connection string/],
    ["an unknown sslmode", () => `postgresql://flg:${PASSWORD}@127.0.0.1:${port()}/flg?sslmode=strict`, /sslmode "strict" is not one of/],
    [
      "a missing CA file",
      () => `postgresql://flg:${PASSWORD}@127.0.0.1:${port()}/flg?sslrootcert=%2Fnope.pem`,
      /sslrootcert file "\/nope\.pem" cannot be read/,
    ],
    [
      "an unclosed quote in keyword/value form",
      () => `host=127.0.0.1 password=${PASSWORD} dbname='flg`,
      /the value of "dbname" has no closing quote/,
    ],
    [
      "a quoted password in keyword/value form, wrong",
      () => `host=127.0.0.1 port=${port()} user=flg password='${PASSWORD}' dbname=flg`,
      /authentication to PostgreSQL/,
    ],
    [
      "an unknown option",
      () => `postgresql://flg:${PASSWORD}@127.0.0.1:${port()}/flg?nosuch=${PASSWORD}`,
      /unreadable connection string: .*nosuch/,
    ],
  ];
  it.each(cases)("%s", async (_name, connection, expected) => {
    const { message, status } = await failure(connection());
    expect(message).toMatch(expected);
    expectNoPassword(message);
    expectNoPassword(status);
  });

  it("a value that does not fit its column is named as that, not as an unreachable server", async () => {
    // An application's own table where setup() would have made bytea: the driver cannot read the blob.
    const schema = freshSchema("err");
    const url = postgresUrl();
    const setup = new RustPostgresSaver(url, { schema });
    await setup.setup();
    await setup.put(config, checkpoint(), { source: "input", step: -1, parents: {} }, { a: 1 });
    await setup.end();
    await withPg((c) => c.query(`ALTER TABLE "${schema}".checkpoint_blobs ALTER COLUMN blob TYPE text USING encode(blob, 'escape')`));
    const saver = new RustPostgresSaver(url, { schema });
    try {
      // (That the fault is not retried is checked in connect.rs's unit tests: Fault::Conversion.)
      await expect(saver.getTuple(config)).rejects.toThrow(
        new RegExp(
          `did not convert to or from its column's type at 127\\.0\\.0\\.1:\\d+/flg \\(do the checkpoint tables in schema "${schema}".*error deserializing column`,
        ),
      );
    } finally {
      await saver.end();
      await dropSchema(schema);
    }
  });
});
