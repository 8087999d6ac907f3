import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "flg-saver-"));
let counter = 0;

/** A fresh database file path in a per-process temporary folder. */
export function temporaryDatabase(name = "db"): string {
  counter += 1;
  return path.join(root, `${name}-${counter}.sqlite`);
}
