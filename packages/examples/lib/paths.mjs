import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Where examples keep their databases between runs: FAST_LANGGRAPH_EXAMPLES_DIR or a temp folder. */
export function dataFile(name) {
  const dir = process.env.FAST_LANGGRAPH_EXAMPLES_DIR ?? path.join(os.tmpdir(), "fast-langgraph-examples");
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}

export function removeDatabase(file) {
  for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(file + suffix, { force: true });
}
