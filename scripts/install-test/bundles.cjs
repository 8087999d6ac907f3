// Copied into the npm project by scripts/install-test.mjs, with the fixture app of packages/accelerator/test/bundles.
// Bundles the app with esbuild (ESM, CJS) and webpack as README "Bundling" says (@fast-langgraph/native external),
// runs each bundle from <deploy> (a directory outside the project where only @fast-langgraph/native was installed,
// which brings this platform's binary package), and checks: patchLangGraph() alone patched nothing, with modules the
// bundled classes are patched, and the patched MemorySaver and RustSqliteSaver equal the unpatched graph.
// Usage: node bundles.cjs <deploy dir>; prints one line per bundle.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const esbuild = require("esbuild");
const webpack = require("webpack");

const deploy = path.resolve(process.argv[2]);
const entry = path.resolve("chat-app.mjs");
const external = "@fast-langgraph/native";
const banner = 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);';

const bundlers = {
  "esbuild esm": (out) =>
    esbuild.build({ entryPoints: [entry], bundle: true, platform: "node", target: "node20", format: "esm", outfile: out, external: [external], banner: { js: banner }, logLevel: "error" }),
  "esbuild cjs": (out) =>
    esbuild.build({ entryPoints: [entry], bundle: true, platform: "node", target: "node20", format: "cjs", outfile: out, external: [external], logLevel: "error" }),
  "webpack 5": (out) =>
    new Promise((resolve, reject) =>
      webpack(
        { mode: "production", target: "node20", entry, output: { path: path.dirname(out), filename: path.basename(out) }, externals: { [external]: `commonjs ${external}` }, optimization: { minimize: false } },
        (error, stats) => (error || stats.hasErrors() ? reject(error ?? new Error(stats.toString("errors-only"))) : resolve()),
      ),
    ),
};

(async () => {
  for (const [name, bundle] of Object.entries(bundlers)) {
    const file = path.join(deploy, `app-${name.replace(" ", "-")}.${name === "esbuild esm" ? "mjs" : "cjs"}`);
    await bundle(file);
    const env = { ...process.env, NODE_PATH: "" };
    const out = JSON.parse(execFileSync(process.execPath, [file], { cwd: deploy, env, encoding: "utf8" }).trim().split("\n").pop());
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const given = out.status.patched.filter((p) => p.includes(":given:"));
    const problems = [
      out.withoutModules.patched.length === 0 && out.withoutModules.bundledMemorySaverUntouched ? "" : "patchLangGraph() alone patched something",
      out.memorySaverPatched && given.some((p) => p.startsWith("MemorySaver:")) ? "" : "the bundled MemorySaver is not patched",
      same(out.patched, out.unpatched) ? "" : "patched MemorySaver differs from unpatched",
      same(out.rust, out.unpatched) ? "" : "RustSqliteSaver differs from unpatched",
      out.serializer.decoded > 0 ? "" : "the decoder decoded nothing",
    ].filter(Boolean);
    if (problems.length > 0) throw new Error(`bundle (${name}): ${problems.join("; ")}`);
    const kb = Math.round(fs.statSync(file).size / 1024);
    console.log(`bundle (${name}, ${kb} KiB, run beside node_modules/@fast-langgraph/native only): ok (${given.length} bundled classes patched: ${given.map((p) => p.split(":")[0]).join(", ")}; ${out.unpatched.history.length} checkpoints equal unpatched)`);
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
