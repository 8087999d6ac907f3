import { execFileSync } from "node:child_process";
import path from "node:path";

// Bytes the native side hands to JavaScript must be freed by the garbage collector alone. A buffer
// released by a napi finalizer is freed only when the event loop turns, so a loop of awaited reads
// that never yields (a batch job, a tight test) kept every one: 190-225 MB for 1,500 reads of a
// 100 KB thread before the fix (375-450 MB for 3,000), under 50 MB after, most of it V8 heap the GC
// has not collected yet.
const LIMIT_MB = 120;

function growthMb(saver: string, op: string): number {
  const out = execFileSync(process.execPath, ["--expose-gc", path.join(__dirname, "fixtures", "read-loop.cjs"), saver, op, "1500"], {
    encoding: "utf8",
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split("\n").pop()!).growthMb;
}

describe("values crossing the boundary in a loop that never yields to the event loop", () => {
  for (const saver of ["patched-memory", "rust-sqlite-memory"]) {
    for (const op of ["getState", "getTuple", "put"]) {
      test(`${saver}: 1,500 × ${op} on a 100 KB thread keep resident memory under ${LIMIT_MB} MB`, () => {
        expect(growthMb(saver, op)).toBeLessThan(LIMIT_MB);
      });
    }
  }
});
