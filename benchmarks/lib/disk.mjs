import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export function scratchDir(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `flg-bench-${name}-`));
}

/** Bytes a SQLite database occupies on disk: the file plus its WAL and shared-memory files. */
export function sqliteBytes(file) {
  let total = 0;
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      total += fs.statSync(file + suffix).size;
    } catch {}
  }
  return total;
}
