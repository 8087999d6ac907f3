import { execFileSync } from "node:child_process";
import path from "node:path";

/**
 * The byte bound of decoded lists counts what their entries really keep (hostile review round 4,
 * finding 2: the templates' estimate counted 223 MB of heap as 32 MB). Measured with
 * process.memoryUsage() (heap and external, after full GCs) over 150 entries of three shapes: chat
 * messages (long strings), many small plain objects, many short messages; in a fresh process
 * (fixtures/decoded-lists-bytes-child.cjs, on the built package), since a test worker's other garbage
 * moved the figure (0.82 in a full run against 1.07-1.46 alone).
 */
type Measured = Record<string, { counted: number; real: number; entries: number; hits: number; evictions: number }>;

let measured: Measured;
beforeAll(() => {
  const child = path.join(__dirname, "fixtures/decoded-lists-bytes-child.cjs");
  const out = execFileSync(process.execPath, ["--expose-gc", child], { cwd: path.join(__dirname, "../.."), encoding: "utf8" });
  measured = JSON.parse(out.trim().split("\n").pop() as string);
}, 120_000);

describe("decoded lists count the bytes their entries keep", () => {
  it.each(["chat messages", "small plain objects", "short messages"].flatMap((shape) => [[shape, 1] as const, [shape, 2] as const]))(
    "%s, read %d times: counted within 0.95-1.6x of the heap the entries hold",
    (shape, reads) => {
      const m = measured[`${shape} x${reads}`];
      if (process.env.FLG_PRINT_RATIO)
        process.stdout.write(`${shape} x${reads}: counted ${m.counted} real ${m.real} ratio ${(m.counted / m.real).toFixed(2)}\n`);
      expect(m).toMatchObject({ entries: 150, hits: 150 * (reads - 1), evictions: 0 });
      expect(m.counted / m.real).toBeGreaterThanOrEqual(0.95);
      expect(m.counted / m.real).toBeLessThanOrEqual(1.6);
    },
  );
});
