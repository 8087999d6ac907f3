import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { temporaryDatabase } from "../support/temporary-database";

function run(...args: string[]) {
  const out = execFileSync(process.execPath, [path.join(__dirname, "fixtures", "corrupt-disk.cjs"), ...args], {
    cwd: path.join(__dirname, "..", ".."),
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").pop() as string);
}

// A cache file that opens fine but whose pages are corrupt further in (hostile review: reads quietly
// missed and diskError stayed unset): reads are misses, never errors, and stats() says why.
describe("a file-backed cache whose file is corrupted past its first pages", () => {
  it("answers reads of the corrupt pages as misses and reports the failure in diskError", () => {
    const file = temporaryDatabase("corrupt-disk");
    expect(run(file, "write").entries).toBe(3000);
    for (const extra of ["-wal", "-shm"]) fs.rmSync(file + extra, { force: true });
    const size = fs.statSync(file).size;
    expect(size).toBeGreaterThan(1 << 20);
    const fd = fs.openSync(file, "r+");
    // Leaves the header and the schema's pages (the first 64 KiB) intact, so the file still opens.
    fs.writeSync(fd, Buffer.alloc(size - (128 << 10), 0xa5), 0, size - (128 << 10), 64 << 10);
    fs.closeSync(fd);
    const read = run(file, "read");
    expect(read.threw).toBe(0);
    expect(read.hits).toBeLessThan(3000);
    expect(read.diskError).toMatch(new RegExp(`cache file .*${path.basename(file)}.*malformed|corrupt`, "i"));
  });
});
