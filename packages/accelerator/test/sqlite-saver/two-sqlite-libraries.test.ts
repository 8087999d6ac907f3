import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { HumanMessage } from "@langchain/core/messages";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import Database from "better-sqlite3";

import { patchLangGraph, RustSqliteSaver, unpatchLangGraph } from "../../src";
import { isAcceleratedSqliteSaver } from "../../src/patch/sqlite-saver";
import { answeringChat } from "../support/graphs";
import { temporaryDatabase } from "../support/temporary-database";

// Two SQLite copies in one process on one file (hostile review round 5, finding 1): ours (rusqlite, bundled) and
// better-sqlite3's. With process-owned POSIX locks, better-sqlite3's last close took the EXCLUSIVE lock, checkpointed
// and deleted the WAL and -shm our open connection still used: a new RustSqliteSaver failed with "disk I/O error" and
// another process saw only the first turn. Our SQLite now locks with OFD locks (Linux), as another process would.

const linux = process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64");
const describeLinux = linux ? describe : describe.skip;
const config = { configurable: { thread_id: "t" } };

const chat = answeringChat;

const turn = (g: ReturnType<typeof chat>, text: string) => g.invoke({ messages: [new HumanMessage(text)] }, config);

/** What another process reads from the file with the given saver ("rust" or "official"): message contents. */
function readInAnotherProcess(file: string, saver: "rust" | "official"): string[] {
  const dist = path.join(__dirname, "..", "..", "dist", "cjs", "index.js");
  const script =
    saver === "rust"
      ? `const { RustSqliteSaver } = require(${JSON.stringify(dist)});
         const s = new RustSqliteSaver(${JSON.stringify(file)});`
      : `const { SqliteSaver } = require("@langchain/langgraph-checkpoint-sqlite");
         const s = SqliteSaver.fromConnString(${JSON.stringify(file)});`;
  const child = spawnSync(
    process.execPath,
    [
      "-e",
      `${script} s.getTuple(${JSON.stringify(config)}).then((t) => console.log(JSON.stringify(t.checkpoint.channel_values.messages.map((m) => m.kwargs?.content ?? m.content))));`,
    ],
    { cwd: __dirname, encoding: "utf8" },
  );
  if (child.status !== 0) throw new Error(`reader process failed: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

function integrity(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check;
  } finally {
    db.close();
  }
}

const contents = (turns: number) => Array.from({ length: turns }, (_, i) => [`q${i + 1}`, `answer #${2 * i + 1}`]).flat();

describeLinux("another SQLite library opening and closing our file in this process", () => {
  it("loses no commit: a RustSqliteSaver keeps writing, a second one opens, another process reads every turn", async () => {
    const file = temporaryDatabase("two-libraries");
    const saver = new RustSqliteSaver(file);
    try {
      const g = chat(saver);
      await turn(g, "q1");
      const admin = new Database(file);
      expect((admin.prepare("SELECT count(*) AS n FROM flg_blobs").get() as { n: number }).n).toBeGreaterThan(0);
      admin.close(); // its SQLite's last close: it must not checkpoint and delete the WAL under our connection
      expect(fs.existsSync(`${file}-wal`)).toBe(true);
      await turn(g, "q2");
      const second = new RustSqliteSaver(file);
      try {
        const t = await second.getTuple(config);
        expect(t?.checkpoint.channel_values.messages).toHaveLength(4);
      } finally {
        second.close();
      }
      await turn(g, "q3");
      expect(readInAnotherProcess(file, "rust")).toEqual(contents(3));
    } finally {
      saver.close();
    }
    expect(integrity(file)).toBe("ok");
  });

  it("a patched SqliteSaver whose application opens and closes another better-sqlite3 connection keeps every turn", async () => {
    await patchLangGraph({ memorySaver: false, postgresSaver: false, stateMerger: false, caches: false, serializer: false });
    const file = temporaryDatabase("patched-two-libraries");
    try {
      const saver = SqliteSaver.fromConnString(file);
      const g = chat(saver);
      await turn(g, "q1");
      expect(isAcceleratedSqliteSaver(saver)).toBe(true); // the Rust connection opens on the first call
      for (let i = 2; i <= 4; i++) {
        const other = new Database(file);
        expect((other.prepare("SELECT count(*) AS n FROM checkpoints").get() as { n: number }).n).toBeGreaterThan(0);
        other.close();
        await turn(g, `q${i}`);
      }
      expect(readInAnotherProcess(file, "official")).toEqual(contents(4));
      expect(readInAnotherProcess(file, "rust")).toEqual(contents(4));
      saver.db.close();
    } finally {
      unpatchLangGraph();
    }
    expect(integrity(file)).toBe("ok");
  });

  it("better-sqlite3 writing while our connection writes: no corruption, every commit present", async () => {
    const file = temporaryDatabase("two-writers");
    const saver = new RustSqliteSaver(file, { busyTimeoutMs: 10000 });
    const g = chat(saver);
    await turn(g, "q1");
    const turns = 20;
    for (let i = 1; i <= turns; i++) {
      const running = i === 1 ? Promise.resolve() : turn(g, `q${i}`);
      // better-sqlite3 writes while the turn's puts are on our writer thread, and closes: its SQLite's last close
      // must neither checkpoint and delete the WAL under us nor drop our locks.
      const other = new Database(file, { timeout: 10000 });
      other.exec("CREATE TABLE IF NOT EXISTS admin_log (n INTEGER NOT NULL)");
      other.prepare("INSERT INTO admin_log (n) VALUES (?)").run(i);
      other.prepare("INSERT INTO admin_log (n) VALUES (?)").run(-i);
      other.close();
      await running;
    }
    expect(readInAnotherProcess(file, "rust")).toEqual(contents(turns));
    const second = new RustSqliteSaver(file);
    const history = [];
    for await (const t of second.list(config)) history.push(t.checkpoint.id);
    second.close();
    expect(history).toHaveLength(3 * turns); // three checkpoints a turn (input, START, model): every commit present
    saver.close();
    expect(integrity(file)).toBe("ok");
    const check = new Database(file, { readonly: true });
    const logged = (check.prepare("SELECT n FROM admin_log ORDER BY rowid").all() as Array<{ n: number }>).map((r) => r.n);
    check.close();
    expect(logged).toEqual(Array.from({ length: turns }, (_, i) => [i + 1, -(i + 1)]).flat());
  });
});
