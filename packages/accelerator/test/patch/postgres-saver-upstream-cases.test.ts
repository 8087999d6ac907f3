import type { Checkpoint, CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";

import { RustPostgresSaver, patchLangGraph, unpatchLangGraph } from "../../src";
import { isAcceleratedPostgresSaver } from "../../src/patch/postgres-saver";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";

// Cases from PostgresSaver's own test suite (checkpoint-postgres/src/tests/checkpoints.int.test.ts) that
// a patched PostgresSaver failed: it must do there exactly what the unpatched one does.
const onlyPostgres = { memorySaver: false, sqliteSaver: false, stateMerger: false, caches: false, serializer: false };
const metadata = { source: "update", step: -1, parents: {} } as CheckpointMetadata;
const id = (n: number) => `1ef4f797-8335-6428-800${n}-a5cd9b27de4${n}`;
const schemas: string[] = [];
afterEach(() => unpatchLangGraph());
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

type Saver = PostgresSaver | RustPostgresSaver;
/** A fresh schema's saver: PostgresSaver unpatched or patched (checked accelerated), or one of ours. */
async function open(kind: "unpatched" | "patched" | "official" | "compact", options: { onVersionClash?: "refuse" | "keepStored" } = {}) {
  const schema = freshSchema("upstream-cases");
  schemas.push(schema);
  if (kind === "patched") expect((await patchLangGraph(onlyPostgres)).patched.map((p) => p.part)).toContain("postgresSaver");
  const saver: Saver =
    kind === "unpatched" || kind === "patched"
      ? PostgresSaver.fromConnString(postgresUrl(), { schema })
      : new RustPostgresSaver(postgresUrl(), { schema, layout: kind, ...options });
  await saver.setup();
  return { saver, schema };
}

/** Two checkpoints of one thread that both hold channel someKey1 at version 1, with different values. */
async function sameVersionOtherValue(saver: Saver) {
  const checkpoint = (n: number, value: string, version: number): Checkpoint => ({
    v: 4,
    id: id(n),
    ts: `2024-04-2${n}T17:19:07.952Z`,
    channel_values: { someKey1: value },
    channel_versions: { someKey1: 1, someKey2: version },
    versions_seen: { someKey3: { someKey4: version } },
  });
  const first = checkpoint(0, "someValue1", 1);
  const second = checkpoint(1, "someValue2", 2);
  await saver.put({ configurable: { thread_id: "1" } }, first, metadata, first.channel_versions);
  await saver.put({ configurable: { thread_id: "1", checkpoint_id: first.id } }, second, metadata, second.channel_versions);
  const latest = await saver.getTuple({ configurable: { thread_id: "1" } });
  const history: unknown[] = [];
  for await (const tuple of saver.list({ configurable: { thread_id: "1" } })) history.push(tuple.checkpoint.channel_values);
  return { latest: latest?.checkpoint, history };
}

/** A checkpoints row another tool wrote, its JSON without versions_seen (and one without either). */
async function rowsWithoutVersions(saver: Saver, schema: string) {
  const rows = [
    { thread: "t", checkpoint: { v: 4, id: id(3), ts: "2024-04-20T17:19:07.952Z", channel_versions: { messages: 1 } } },
    { thread: "t2", checkpoint: { v: 4, id: id(4), ts: "2024-04-20T17:19:08.952Z" } },
  ];
  await withPg(async (c) => {
    for (const { thread, checkpoint } of rows) {
      await c.query(
        `INSERT INTO "${schema}".checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata) VALUES ($1, '', $2, NULL, $3, $4)`,
        [thread, checkpoint.id, checkpoint, { source: "input", step: 0, parents: {} }],
      );
    }
  });
  const out: string[] = [];
  for (const { thread } of rows) {
    const tuple = await saver.getTuple({ configurable: { thread_id: thread } });
    for await (const listed of saver.list({ configurable: { thread_id: thread } })) out.push(JSON.stringify(listed.checkpoint));
    // JSON text: the keys' order too.
    out.push(JSON.stringify(tuple?.checkpoint));
  }
  return out;
}

describe("PostgresSaver's own cases, patched as unpatched", () => {
  it("two checkpoints hold one channel at the same version with different values: stored, the first value read back", async () => {
    const unpatched = await open("unpatched");
    const expected = await sameVersionOtherValue(unpatched.saver);
    await (unpatched.saver as PostgresSaver).end();
    expect(expected.latest?.channel_values).toEqual({ someKey1: "someValue1" });

    const patched = await open("patched");
    try {
      expect(await sameVersionOtherValue(patched.saver)).toEqual(expected);
      expect(isAcceleratedPostgresSaver(patched.saver as PostgresSaver)).toBe(true);
    } finally {
      await (patched.saver as PostgresSaver).end();
    }
  });

  it("a row without versions_seen or channel_versions reads them as {}, in PostgresSaver's key order", async () => {
    const unpatched = await open("unpatched");
    const expected = await rowsWithoutVersions(unpatched.saver, unpatched.schema);
    await (unpatched.saver as PostgresSaver).end();
    expect(JSON.parse(expected[1])).toMatchObject({ versions_seen: {}, channel_versions: { messages: 1 } });

    const patched = await open("patched");
    try {
      expect(await rowsWithoutVersions(patched.saver, patched.schema)).toEqual(expected);
      expect(isAcceleratedPostgresSaver(patched.saver as PostgresSaver)).toBe(true);
    } finally {
      await (patched.saver as PostgresSaver).end();
    }
    for (const layout of ["official", "compact"] as const) {
      const ours = await open(layout);
      try {
        expect(await rowsWithoutVersions(ours.saver, ours.schema)).toEqual(expected);
      } finally {
        await (ours.saver as RustPostgresSaver).end();
      }
    }
  });
});

describe("RustPostgresSaver's onVersionClash", () => {
  it('"refuse" (the default) stores nothing and names the channel; "keepStored" does what PostgresSaver does', async () => {
    const refusing = await open("official");
    try {
      await expect(sameVersionOtherValue(refusing.saver)).rejects.toThrow(/someKey1 \(version 1\) already stored with a different value/);
      expect((await refusing.saver.getTuple({ configurable: { thread_id: "1" } }))?.checkpoint.channel_values).toEqual({
        someKey1: "someValue1",
      });
    } finally {
      await (refusing.saver as RustPostgresSaver).end();
    }
    const unpatched = await open("unpatched");
    const expected = await sameVersionOtherValue(unpatched.saver);
    await (unpatched.saver as PostgresSaver).end();
    const keeping = await open("official", { onVersionClash: "keepStored" });
    try {
      expect(await sameVersionOtherValue(keeping.saver)).toEqual(expected);
    } finally {
      await (keeping.saver as RustPostgresSaver).end();
    }
  });

  it("any other value is refused by the constructor", () => {
    expect(() => new RustPostgresSaver(postgresUrl(), { onVersionClash: "keep" as "keepStored" })).toThrow(
      'RustPostgresSaver: onVersionClash must be "refuse" or "keepStored", got "keep"',
    );
  });
});
