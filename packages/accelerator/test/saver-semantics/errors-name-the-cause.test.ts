import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import Database from "better-sqlite3";

import { MemorySaver } from "@langchain/langgraph";

import { RustPostgresSaver, RustSqliteSaver, patchLangGraph, unpatchLangGraph } from "../../src";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";

// Errors that used to mislead (issue 12, item 8), each now naming what is wrong and where.
const config = (threadId: string) => ({ configurable: { thread_id: threadId, checkpoint_ns: "" } });
const metadata = { source: "input" as const, step: -1, parents: {} };
const checkpoint = (values: Record<string, unknown>) => ({
  ...emptyCheckpoint(),
  id: uuid6(-1),
  channel_values: values,
  channel_versions: Object.fromEntries(Object.keys(values).map((k) => [k, 1])),
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "flg-errors-"));
  chmodSync(dir, 0o755);
});
afterAll(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("a SQLite file that holds another application's checkpoints table", () => {
  it("is refused up front, naming the file and the table, and nothing is written to it", async () => {
    const file = path.join(dir, "other-app.sqlite");
    const db = new Database(file);
    db.exec("CREATE TABLE checkpoints (id INTEGER PRIMARY KEY, label TEXT NOT NULL); INSERT INTO checkpoints (label) VALUES ('v1.0')");
    db.close();
    const before = sha(file);
    const attempt = async () => {
      const saver = new RustSqliteSaver(file);
      try {
        await saver.getTuple(config("t"));
      } finally {
        await saver.close?.();
      }
    };
    await expect(attempt()).rejects.toThrow(
      `database ${JSON.stringify(file)} holds a table "checkpoints" that is not LangGraph's (it has no column thread_id, checkpoint_ns, checkpoint_id`,
    );
    await expect(attempt()).rejects.toThrow(/nothing was written to it/);
    expect(sha(file)).toBe(before);
    expect(existsSync(`${file}-wal`)).toBe(false);
    const tables = new Database(file, { readonly: true }).prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    expect(tables).toEqual([{ name: "checkpoints" }]);
  });

  it("an unrelated writes table is refused the same way", async () => {
    const file = path.join(dir, "other-writes.sqlite");
    const db = new Database(file);
    db.exec("CREATE TABLE writes (author TEXT, body TEXT)");
    db.close();
    const attempt = async () => new RustSqliteSaver(file).getTuple(config("t"));
    await expect(attempt()).rejects.toThrow(/holds a table "writes" that is not LangGraph's \(it has no column thread_id/);
  });
});

describe("a SQLite path that is a directory", () => {
  it("says so", async () => {
    expect(() => new RustSqliteSaver(dir)).toThrow(/\(the path is a directory: give a file in it\)/);
  });
});

describe("a SQLite file in a read-only directory", () => {
  // Root ignores permissions: the attempt then runs as the unprivileged "nobody" account.
  const asRoot = process.getuid?.() === 0;
  const native = require.resolve("@fast-langgraph/native");
  function openAs(file: string): string {
    const script = `try { new (require(${JSON.stringify(native)}).SqliteCheckpointStore)(${JSON.stringify(file)}); console.log("opened") } catch (e) { console.log(e.message) }`;
    const [cmd, args] = asRoot ? ["runuser", ["-u", "nobody", "--", process.execPath, "-e", script]] : [process.execPath, ["-e", script]];
    return execFileSync(cmd, args, { encoding: "utf8" }).trim();
  }

  it("names the directory, and that it is the directory, not the file", () => {
    const ro = path.join(dir, "read-only");
    mkdirSync(ro);
    const file = path.join(ro, "existing.sqlite");
    new Database(file).close();
    chmodSync(file, 0o666);
    chmodSync(ro, 0o555);
    try {
      const message = openAs(file);
      expect(message).toContain(
        `the directory ${JSON.stringify(ro)} is read-only: SQLite must create the -wal and -shm files beside the database`,
      );
      expect(message).not.toContain("the file is read-only");
      // A new file there: it cannot be created, and the message says where.
      expect(openAs(path.join(ro, "new.sqlite"))).toContain(`cannot be created in the directory ${JSON.stringify(ro)}`);
    } finally {
      chmodSync(ro, 0o755);
    }
  });

  it("a read-only file in a writable directory is still called a read-only file", () => {
    const writable = path.join(dir, "writable");
    mkdirSync(writable);
    chmodSync(writable, 0o777);
    const file = path.join(writable, "read-only-file.sqlite");
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.close();
    chmodSync(file, 0o444);
    expect(openAs(file)).toMatch(/\(the file is read-only\)$/);
  });
});

describe("a value nested too deeply for the serializer", () => {
  it("says how deep, where, and that depth is the problem, naming the channel", async () => {
    let deep: unknown = { leaf: true };
    for (let i = 0; i < 5000; i++) deep = { next: deep };
    const saver = new RustSqliteSaver(":memory:");
    const failure = saver.put(config("deep"), checkpoint({ tree: deep }), metadata, { tree: 1 });
    await expect(failure).rejects.toThrow(
      /cannot serialize channel "tree" of thread "deep": .*it is nested 5000 levels deep \(at \.next\.next/,
    );
    await expect(saver.put(config("deep"), checkpoint({ tree: deep }), metadata, { tree: 1 })).rejects.toThrow(
      /keep values under 1000 levels/,
    );
    await expect(saver.put(config("deep"), checkpoint({ tree: deep }), metadata, { tree: 1 })).rejects.not.toThrow(/BigInt/);
  });

  it("deeper still, where the serializer itself overflows the stack: the same message, not a bare RangeError", async () => {
    let deep: unknown = [];
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const saver = new RustSqliteSaver(":memory:");
    await expect(saver.put(config("deeper"), checkpoint({ list: deep }), metadata, { list: 1 })).rejects.toThrow(
      /cannot serialize channel "list" of thread "deeper": .*it is nested 20000 levels deep \(at \[0\]\[0\]/,
    );
  });

  it("a patched MemorySaver's error names MemorySaver, the class the application called", async () => {
    // Its first put on the Rust store (before its move a MemorySaver runs its own code).
    const moveAfter = process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER;
    process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER = "0";
    await patchLangGraph({ sqliteSaver: false, postgresSaver: false, stateMerger: false, caches: false });
    if (moveAfter === undefined) delete process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER;
    else process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER = moveAfter;
    try {
      const saver = new MemorySaver();
      await expect(saver.put(config("m"), checkpoint({ state: { n: 1n } }), metadata)).rejects.toThrow(
        /^MemorySaver\.put: cannot serialize channel "state" of thread "m": .*a BigInt at \.n/,
      );
    } finally {
      unpatchLangGraph();
    }
  });

  it("a BigInt inside a value is named with its path", async () => {
    const saver = new RustSqliteSaver(":memory:");
    await expect(saver.put(config("big"), checkpoint({ state: { totals: [1, 2n] } }), metadata, { state: 1 })).rejects.toThrow(
      /cannot serialize channel "state" of thread "big": .*a BigInt at \.totals\[1\]/,
    );
  });
});

describe("PostgreSQL refusals name the field", () => {
  let schema: string;
  let saver: RustPostgresSaver;
  beforeAll(async () => {
    schema = freshSchema("errfield");
    saver = new RustPostgresSaver(postgresUrl(), { schema });
    await saver.setup();
  });
  afterAll(async () => {
    await saver.end();
    await dropSchema(schema);
  });

  it("a lone surrogate in metadata", async () => {
    await expect(saver.put(config("s"), checkpoint({ a: 1 }), { ...metadata, note: "ok\ud800" } as never, { a: 1 })).rejects.toThrow(
      'RustPostgresSaver.put: metadata.note holds a lone surrogate (\\ud800, at index 2) of thread "s", which PostgreSQL\'s JSONB cannot store; nothing was written',
    );
    expect(await saver.getTuple(config("s"))).toBeUndefined();
  });

  it("a NUL in metadata, also in a key", async () => {
    await expect(saver.put(config("n"), checkpoint({ a: 1 }), { ...metadata, tags: ["x", "a\u0000b"] } as never, { a: 1 })).rejects.toThrow(
      /RustPostgresSaver\.put: metadata\.tags\[1\] holds a NUL character \(\\u0000, at index 1\) of thread "n"/,
    );
    await expect(saver.put(config("n"), checkpoint({ a: 1 }), { ...metadata, "k\u0000": 1 } as never, { a: 1 })).rejects.toThrow(
      /the key "k\\u0000" in metadata holds a NUL character/,
    );
  });

  it("a NUL in a thread id", async () => {
    await expect(saver.put(config("t\u0000x"), checkpoint({ a: 1 }), metadata, { a: 1 })).rejects.toThrow(
      /RustPostgresSaver: thread_id "t\\u0000x" holds a NUL character, which PostgreSQL text cannot hold/,
    );
  });
});
