import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { type BaseCheckpointSaver, JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";

import { RustPostgresSaver, type RustPostgresSaverOptions } from "../../src";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";

const STEPS = 40;

/** A loop whose nodes each append one ~1.5 KB message with a fixed id: the same bytes on every saver. */
async function runLoop(checkpointer: BaseCheckpointSaver, threadId = "loop") {
  let n = 0;
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("model", () => {
      n += 1;
      const text = Array.from({ length: 60 }, (_, i) => `word${(n * 31 + i * 7) % 97}`).join(" ");
      return { messages: [new AIMessage({ id: `m${n}`, content: `${n}: ${text} ${"x".repeat(1000)}` })] };
    })
    .addEdge(START, "model")
    .addConditionalEdges("model", (s) => (s.messages.length > STEPS ? END : "model"))
    .compile({ checkpointer });
  return graph.invoke(
    { messages: [new HumanMessage({ id: "input", content: "go" })] },
    { configurable: { thread_id: threadId }, recursionLimit: 200 },
  );
}

const schemas: string[] = [];
const savers: Array<{ end(): Promise<void> }> = [];
async function open(options: RustPostgresSaverOptions = {}) {
  const schema = freshSchema("storage");
  schemas.push(schema);
  const saver = new RustPostgresSaver(postgresUrl(), { schema, ...options });
  savers.push(saver);
  await saver.setup();
  return { saver, schema };
}

afterAll(async () => {
  for (const s of savers) await s.end();
  for (const schema of schemas) await dropSchema(schema);
});

/** The messages channel's stored blobs, oldest version first. */
async function messageBlobs(schema: string): Promise<Buffer[]> {
  return withPg(async (c) => {
    const { rows } = await c.query(`SELECT version, blob FROM "${schema}".checkpoint_blobs WHERE channel = 'messages'`);
    return rows.sort((a, b) => Number(a.version) - Number(b.version)).map((r) => r.blob as Buffer);
  });
}

/**
 * Bytes JsonPlusSerializer encodes while `run` runs (its `_dumps` ends in TextEncoder.encode). Counted
 * outside the serde: a serde that overrides dumpsTyped is not spliced for (value-bytes-cache.ts).
 */
async function encodedBytes(run: () => Promise<unknown>): Promise<number> {
  let bytes = 0;
  const encode = TextEncoder.prototype.encode;
  const spy = jest.spyOn(TextEncoder.prototype, "encode").mockImplementation(function (
    this: InstanceType<typeof TextEncoder>,
    input?: string,
  ) {
    const out = encode.call(this, input);
    bytes += out.byteLength;
    return out;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return bytes;
}

describe("official layout (default)", () => {
  it("stores each version of a grown list byte for byte as PostgresSaver does, without re-serializing it", async () => {
    const { saver, schema } = await open();
    const officialSchema = freshSchema("storage_official");
    schemas.push(officialSchema);
    const official = PostgresSaver.fromConnString(postgresUrl(), { schema: officialSchema });
    savers.push(official);
    await official.setup();
    await runLoop(official);
    const encoded = await encodedBytes(() => runLoop(saver));

    const ours = await messageBlobs(schema);
    const theirs = await messageBlobs(officialSchema);
    expect(ours).toHaveLength(STEPS + 1);
    expect(ours.map((b) => b.toString("utf8"))).toEqual(theirs.map((b) => b.toString("utf8")));
    // Serializing every version whole would produce the sum of all blobs (~STEPS/2 final lists); the
    // saver serialized each message about once (once as a write, once as a list element).
    const storedBytes = ours.reduce((a, b) => a + b.length, 0);
    const finalList = ours[ours.length - 1].length;
    expect(storedBytes).toBeGreaterThan(10 * finalList);
    expect(encoded).toBeLessThan(3 * finalList);
  });

  it("a serde set on the saver after it was made writes every version as that serde writes it, whole", async () => {
    // A serde whose arrays are not their elements' bytes joined by commas: splicing would write other bytes.
    class Pretty extends JsonPlusSerializer {
      async dumpsTyped(obj: unknown): Promise<[string, Uint8Array]> {
        return ["json", new TextEncoder().encode(JSON.stringify(obj, null, 2))];
      }
    }
    const { saver, schema } = await open();
    const pretty = new Pretty();
    saver.serde = pretty;
    await runLoop(saver);
    const blobs = await messageBlobs(schema);
    expect(blobs).toHaveLength(STEPS + 1);
    for (const blob of blobs) {
      const value = await pretty.loadsTyped("json", blob);
      expect(Buffer.from((await pretty.dumpsTyped(value))[1]).toString("utf8")).toBe(blob.toString("utf8"));
    }
  });

  it("compresses large values with lz4 by default, pglz or the server's default when asked", async () => {
    const compression = async (options: RustPostgresSaverOptions) => {
      const { saver, schema } = await open(options);
      await runLoop(saver);
      return withPg(async (c) => {
        const { rows } = await c.query(
          `SELECT DISTINCT pg_column_compression(blob) AS method FROM "${schema}".checkpoint_blobs
           WHERE channel = 'messages' AND octet_length(blob) > 20000`,
        );
        return rows.map((r) => r.method);
      });
    };
    const serverDefault = await withPg(async (c) => (await c.query("SHOW default_toast_compression")).rows[0].default_toast_compression);
    expect(await compression({})).toEqual(["lz4"]);
    expect(await compression({ toastCompression: "pglz" })).toEqual(["pglz"]);
    expect(await compression({ toastCompression: "server" })).toEqual([serverDefault]);
  });

  it("refuses an unknown compression method at construction", () => {
    expect(() => new RustPostgresSaver(postgresUrl(), { toastCompression: "zstd" as "lz4" })).toThrow(
      /toastCompression must be "lz4", "pglz" or "server", got "zstd"/,
    );
  });
});

describe("compact layout", () => {
  it("stores a grown list as its new elements and an unchanged channel not at all", async () => {
    const { saver, schema } = await open({ layout: "compact" });
    const state = await runLoop(saver);
    const whole = Buffer.byteLength(JSON.stringify(state.messages.map((m) => m.content)));
    const stored = await withPg(async (c) => {
      const { rows } = await c.query(
        `SELECT channel, count(*)::int AS rows, sum(octet_length(data))::int AS bytes,
                count(*) FILTER (WHERE increment = 'append' AND base_owner_id IS NOT NULL)::int AS appended
         FROM "${schema}".flg_blobs GROUP BY channel`,
      );
      return Object.fromEntries(rows.map((r) => [r.channel, r]));
    });
    const checkpoints = await withPg(async (c) => (await c.query(`SELECT count(*)::int AS n FROM "${schema}".flg_checkpoints`)).rows[0].n);

    // One row per version the messages list had: the input checkpoint's unversioned default `[]` (the
    // checkpoint holds it), the input, then one per step, each but the default an append.
    expect(stored.messages.rows).toBe(STEPS + 2);
    expect(stored.messages.appended).toBe(STEPS + 1);
    // All versions together hold about one copy of the final list (plus serialization overhead), not STEPS/2 copies.
    expect(stored.messages.bytes).toBeLessThan(whole * 3);
    expect(stored.messages.bytes).toBeGreaterThan(whole);
    // __start__ is written once, by the input checkpoint; later checkpoints carry nothing for it.
    expect(stored.__start__.rows).toBe(1);
    expect(checkpoints).toBe(STEPS + 2);
  });
});
