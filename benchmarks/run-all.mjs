// Runs every benchmarks/*.bench.mjs in its own Node process, in name order, forwarding --quick.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith("--"));
const benches = fs
  .readdirSync(here)
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = 0;
for (const [i, file] of benches.entries()) {
  console.log(`\n[${i + 1}/${benches.length}] ${file}`);
  const started = Date.now();
  const run = spawnSync(process.execPath, ["--expose-gc", path.join(here, file), ...args.filter((a) => a.startsWith("--"))], {
    stdio: "inherit",
  });
  console.log(`[${i + 1}/${benches.length}] ${file}: ${run.status === 0 ? "ok" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (run.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
