import { spawn } from "node:child_process";
import path from "node:path";

import Database from "better-sqlite3";

import { RustSqliteSaver } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

/** Starts the writer, waits for `count` resolved puts, then kills it with SIGKILL mid-stream. */
function writeThenKill(file: string, count: number): Promise<Array<[string, number]>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, "fixtures", "crash-writer.cjs"), file], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const resolved: Array<[string, number]> = [];
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        const [id, step] = line.split(" ");
        resolved.push([id, Number(step)]);
      }
      if (resolved.length >= count && !child.killed) child.kill("SIGKILL");
    });
    child.on("exit", (_code, signal) => (signal === "SIGKILL" ? resolve(resolved) : reject(new Error(`writer exited: ${signal}`))));
  });
}

describe("durability", () => {
  it("finds every checkpoint whose put resolved after the writer is killed with SIGKILL", async () => {
    const file = temporaryDatabase("crash");
    const resolved = await writeThenKill(file, 150);
    expect(resolved.length).toBeGreaterThanOrEqual(150);

    const saver = new RustSqliteSaver(file);
    try {
      for (const [id, step] of resolved) {
        const tuple = await saver.getTuple({ configurable: { thread_id: "crash", checkpoint_ns: "", checkpoint_id: id } });
        expect(tuple?.checkpoint.channel_values.step).toBe(step);
        expect((tuple?.checkpoint.channel_values.log as string[] | undefined)?.length).toBe(step + 1);
      }
    } finally {
      saver.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      db.close();
    }
  });
});
