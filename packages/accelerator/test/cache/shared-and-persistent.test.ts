import { execFileSync } from "node:child_process";
import path from "node:path";

import { temporaryDatabase } from "../support/temporary-database";

function run(fixture: string, ...args: string[]) {
  const out = execFileSync(process.execPath, [path.join(__dirname, "fixtures", fixture), ...args], {
    cwd: path.join(__dirname, "..", ".."),
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").pop() as string);
}

describe("RustLLMCache beyond one thread", () => {
  it("keeps a file-backed cache across two processes", () => {
    const file = temporaryDatabase("llm-cache");
    expect(run("persist.cjs", file, "write").entries).toBe(3);
    const read = run("persist.cjs", file, "read");
    expect(read.found).toEqual([["answer 0", "AIMessage"], ["answer 1", "AIMessage"], ["answer 2", "AIMessage"], null]);
    expect(read.stats).toMatchObject({ hits: 3, misses: 1, path: file });
  });

  it("is shared by worker threads that open the same name", () => {
    const seen = run("workers.cjs", `shared-${process.pid}-${Date.now()}`);
    expect(seen).toEqual({ wrote: 1, read: "written by the writer thread" });
  });
});
