#!/usr/bin/env node
// Install test through a real registry: a throwaway verdaccio on loopback, the packages published to it as a
// release would publish them (platform package with the binary, @fast-langgraph/native with its
// optionalDependencies, the accelerator packed by pnpm), then fresh projects outside the workspace, with cargo and
// rustc off PATH, install @fast-langgraph/accelerator with npm and with pnpm and run: an ES module script, a
// CommonJS script, vitest (externalized and inlined), tsc --noEmit under node16, nodenext and bundler, and the
// register entry (--import and --require); with npm also esbuild and webpack bundles run outside the project
// (scripts/install-test/bundles.cjs). Then the LangGraph version matrix (scripts/install-test/matrix.mjs).
// Everything (registry storage, npm cache, projects) lives in one temporary directory removed at the end.
//
// Usage: node scripts/install-test.mjs [--binaries <dir>] [--no-matrix] [--keep]
//   --binaries: where fast-langgraph-native.<platform>.node files are (default packages/native, i.e. `pnpm build`).
import { execFile, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const binaries = path.resolve(args.includes("--binaries") ? args[args.indexOf("--binaries") + 1] : path.join(root, "packages/native"));
const work = fs.mkdtempSync(path.join(os.tmpdir(), "flg-install-"));
const started = Date.now();
const log = (...m) => console.log(`[install-test ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s]`, ...m);

// Versions the test installs, pinned so that a run means the same thing tomorrow.
const VERDACCIO = "6.1.6"; // 6.2+ needs Node 22
const VITEST = "4.0.18";
const TYPESCRIPT = "5.9.3";
const TYPES_NODE = "20.19.25";
const ZOD = "3.25.76";
const PNPM = "12.4.2";
// The bundlers of the bundle scenario (npm project only), as packages/accelerator pins them.
const ESBUILD = "0.28.2";
const WEBPACK = "5.113.0";
// The version matrix: each @langchain/langgraph line the README lists, with the floor and the newest
// @langchain/core that line accepts and we support, and @langchain/langgraph-checkpoint 1.2.2 (our floor and
// the newest release).
const MATRIX = [
  { langgraph: "1.1.0", core: ["1.1.48", "1.4.0"] },
  { langgraph: "1.2.9", core: ["1.1.48", "1.4.0"] },
  { langgraph: "1.4.21", core: ["1.1.48", "1.4.0"] },
  { langgraph: "1.5.3", core: ["1.1.48", "1.4.0"] },
  { langgraph: "1.7.3", core: ["1.3.4", "1.4.0"] },
];
const CHECKPOINT = "1.2.2";
// Installed against our peer ranges (with --legacy-peer-deps, as pnpm or a forced install would): must patch
// nothing and name the version.
const UNSUPPORTED = [
  { deps: { "@langchain/langgraph": "1.5.3", "@langchain/core": "1.4.0", "@langchain/langgraph-checkpoint": "1.2.1" }, expect: "@langchain/langgraph-checkpoint 1.2.1" },
  { deps: { "@langchain/langgraph": "0.4.10", "@langchain/core": "1.4.0", "@langchain/langgraph-checkpoint": "1.2.2" }, expect: "@langchain/langgraph 0.4.10" },
];

// PATH without cargo and rustc: the install must not build anything from source.
const pathDirs = (process.env.PATH ?? "").split(path.delimiter).filter((d) => !fs.existsSync(path.join(d, "cargo")) && !fs.existsSync(path.join(d, "rustc")));
const npmCache = path.join(work, "npm-cache");
const baseEnv = {
  ...process.env,
  PATH: pathDirs.join(path.delimiter),
  npm_config_cache: npmCache,
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
  CARGO: "",
  RUSTC: "",
  NAPI_RS_NATIVE_LIBRARY_PATH: "",
  FAST_LANGGRAPH_AUTO_PATCH: "",
};
for (const k of Object.keys(baseEnv)) if (k.startsWith("npm_config_") && !["npm_config_cache", "npm_config_audit", "npm_config_fund", "npm_config_update_notifier"].includes(k)) delete baseEnv[k];

function run(cmd, cmdArgs, { cwd = work, env = {} } = {}) {
  try {
    const out = execFileSync(cmd, cmdArgs, { cwd, env: { ...baseEnv, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
    return out.trim();
  } catch (e) {
    console.error(`FAILED: ${cmd} ${cmdArgs.join(" ")} (in ${cwd})\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
    throw e;
  }
}

// The asynchronous twin, so that the installs (waiting on the network) of several projects overlap.
function runAsync(cmd, cmdArgs, { cwd = work, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, cmdArgs, { cwd, env: { ...baseEnv, ...env }, encoding: "utf8", maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout.trim());
      console.error(`FAILED: ${cmd} ${cmdArgs.join(" ")} (in ${cwd})\n${stdout ?? ""}\n${stderr ?? ""}`);
      reject(error);
    });
  });
}

/** Runs the tasks with at most `limit` at a time; resolves to their results in order. */
async function pool(tasks, limit) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

let registryProcess;
function cleanup() {
  if (registryProcess && registryProcess.exitCode === null) registryProcess.kill("SIGTERM");
  if (!args.includes("--keep")) fs.rmSync(work, { recursive: true, force: true });
}
process.on("exit", cleanup);
process.on("SIGINT", () => process.exit(130));

async function startRegistry() {
  const dir = path.join(work, "registry");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ private: true }));
  log(`installing verdaccio ${VERDACCIO} (from the public registry, into ${dir})`);
  run("npm", ["install", "--no-package-lock", "--loglevel=error", `verdaccio@${VERDACCIO}`], { cwd: dir });
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, "config.yaml"),
    [
      "storage: ./storage",
      "auth:",
      "  htpasswd:",
      "    file: ./htpasswd",
      "    max_users: 1",
      "packages:",
      "  '@fast-langgraph/*':",
      "    access: $all",
      "    publish: $authenticated",
      "log: { type: stdout, format: pretty, level: warn }",
      "",
    ].join("\n"),
  );
  registryProcess = spawn(process.execPath, ["node_modules/verdaccio/bin/verdaccio", "--config", "./config.yaml", "--listen", `127.0.0.1:${port}`], {
    cwd: dir,
    stdio: ["ignore", fs.openSync(path.join(dir, "verdaccio.log"), "a"), fs.openSync(path.join(dir, "verdaccio.log"), "a")],
  });
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}-/ping`)).ok) break;
    } catch {}
    if (i > 100) throw new Error(`verdaccio did not start: ${fs.readFileSync(path.join(dir, "verdaccio.log"), "utf8")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const res = await fetch(`${url}-/user/org.couchdb.user:ci`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "ci", password: `ci-${process.pid}-${Date.now()}` }),
  });
  const { token } = await res.json();
  const npmrc = path.join(work, "npmrc");
  // Our scope from the local registry, everything else from the public one (as with a private scope registry):
  // proxying all of LangChain and vitest through verdaccio made each install minutes long.
  fs.writeFileSync(npmrc, `@fast-langgraph:registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  log(`verdaccio ${VERDACCIO} on ${url} (storage ${dir}/storage); @fast-langgraph/* installs from it, the rest from the public registry`);
  return { url, npmrc };
}

const publishedPlatforms = [];
function publishPackages(registry) {
  const env = { npm_config_userconfig: registry.npmrc };
  const stage = path.join(work, "stage");
  const nativeDir = path.join(root, "packages/native");
  const nativeManifest = JSON.parse(fs.readFileSync(path.join(nativeDir, "package.json"), "utf8"));
  const { binaryName } = nativeManifest.napi;
  const optional = {};
  // The release steps' `napi pre-publish`: each platform package from npm/<platform> gets its binary; the
  // native package lists, in step, the platform packages published.
  for (const platform of fs.readdirSync(path.join(nativeDir, "npm"))) {
    const binary = path.join(binaries, `${binaryName}.${platform}.node`);
    if (!fs.existsSync(binary)) continue;
    const dir = path.join(stage, platform);
    fs.cpSync(path.join(nativeDir, "npm", platform), dir, { recursive: true });
    fs.copyFileSync(binary, path.join(dir, path.basename(binary)));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    if (manifest.version !== nativeManifest.version) throw new Error(`npm/${platform} is at ${manifest.version}, the native package at ${nativeManifest.version}`);
    run("npm", ["publish", "--loglevel=error"], { cwd: dir, env });
    optional[manifest.name] = manifest.version;
    publishedPlatforms.push(manifest.name);
  }
  if (Object.keys(optional).length === 0) throw new Error(`no binary in ${binaries}: run \`npx -y pnpm@${PNPM} build\` first`);
  const nativeStage = path.join(stage, "native");
  fs.mkdirSync(nativeStage, { recursive: true });
  for (const f of ["index.js", "index.d.ts", "README.md", "LICENSE"]) fs.copyFileSync(path.join(nativeDir, f), path.join(nativeStage, f));
  const { scripts, devDependencies, ...published } = nativeManifest;
  fs.writeFileSync(path.join(nativeStage, "package.json"), `${JSON.stringify({ ...published, optionalDependencies: optional }, null, 2)}\n`);
  run("npm", ["publish", "--loglevel=error"], { cwd: nativeStage, env });
  // pnpm pack rewrites workspace:* to the native package's version (npm pack would not).
  const tarballs = path.join(work, "tarballs");
  run("npx", ["-y", `pnpm@${PNPM}`, "pack", "--pack-destination", tarballs], { cwd: path.join(root, "packages/accelerator") });
  const accTgz = path.join(tarballs, fs.readdirSync(tarballs).find((f) => f.startsWith("fast-langgraph-accelerator-")));
  run("npm", ["publish", "--loglevel=error", accTgz], { env });
  for (const name of [...Object.keys(optional), nativeManifest.name, "@fast-langgraph/accelerator"]) {
    const view = JSON.parse(run("npm", ["view", "--json", name, "name", "version", "dependencies", "optionalDependencies", "peerDependencies", "os", "cpu", "libc", "license", "dist.fileCount", "dist.unpackedSize"], { env }));
    log(`published ${JSON.stringify(view)}`);
  }
}

const CJS_APP = `const acc = require("@fast-langgraph/accelerator");
const lg = require("@langchain/langgraph");
const { chatCheck } = require("./chat.cjs");
chatCheck(acc, lg, "CommonJS script").then(console.log, (e) => { console.error(e); process.exit(1); });
`;
const ESM_APP = `import * as acc from "@fast-langgraph/accelerator";
import * as lg from "@langchain/langgraph";
import chat from "./chat.cjs";
console.log(await chat.chatCheck(acc, lg, "ES module script"));
`;
const REGISTER_ESM = `import * as acc from "@fast-langgraph/accelerator";
import * as lg from "@langchain/langgraph";
import chat from "./chat.cjs";
const before = acc.getPatchStatus();
if (!before.active) throw new Error("--import register did not patch before the app started");
console.log(await chat.chatCheck(acc, lg, "node --import @fast-langgraph/accelerator/register"));
`;
const REGISTER_CJS = `const acc = require("@fast-langgraph/accelerator");
const lg = require("@langchain/langgraph");
const { chatCheck } = require("./chat.cjs");
require("@fast-langgraph/accelerator/register").ready.then(() => chatCheck(acc, lg, "node --require @fast-langgraph/accelerator/register")).then(console.log, (e) => { console.error(e); process.exit(1); });
`;
const VITEST_TEST = `import { expect, test } from "vitest";
import * as acc from "@fast-langgraph/accelerator";
import { RustSqliteSaver } from "@fast-langgraph/accelerator";
import * as lg from "@langchain/langgraph";
import chat from "../chat.cjs";
test("the accelerator under vitest", async () => {
  expect(typeof RustSqliteSaver).toBe("function");
  const saver = new RustSqliteSaver(":memory:");
  expect(saver).toBeInstanceOf(RustSqliteSaver);
  console.log(await chat.chatCheck(acc, lg, "vitest (" + (process.env.FLG_INLINE ? "inlined" : "externalized") + ")"));
});
`;
const VITEST_INLINE_CONFIG = `export default { test: { server: { deps: { inline: [/@fast-langgraph/] } } } };\n`;
const TS_ESM = `import { RustSqliteSaver, patchLangGraph, getPatchStatus, type PatchStatus, type RustSqliteSaverOptions } from "@fast-langgraph/accelerator";
import { ready } from "@fast-langgraph/accelerator/register";
import { type BaseCheckpointSaver, MemorySaver, MessagesAnnotation, StateGraph, START, END } from "@langchain/langgraph";
const options: RustSqliteSaverOptions = { layout: "official" };
const saver: BaseCheckpointSaver = new RustSqliteSaver(":memory:", options);
const graph = new StateGraph(MessagesAnnotation).addNode("reply", () => ({ messages: [] })).addEdge(START, "reply").addEdge("reply", END);
export const compiled = [graph.compile({ checkpointer: saver }), graph.compile({ checkpointer: new MemorySaver() })];
export const status: Promise<PatchStatus> = Promise.all([ready, patchLangGraph()]).then(() => getPatchStatus());
`;
const TS_CJS = `import { RustSqliteSaver } from "@fast-langgraph/accelerator";
import register = require("@fast-langgraph/accelerator/register");
import type { BaseCheckpointSaver } from "@langchain/langgraph";
export const saver: BaseCheckpointSaver = new RustSqliteSaver(":memory:");
export const ready: Promise<unknown> = register.ready;
`;
// skipLibCheck as `tsc --init` sets it: @langchain/core's own .d.cts files do not type-check under node16 from a
// CommonJS file (TS1479 on js-tiktoken); our declarations are checked by attw in scripts/check-packages.sh.
const tsconfig = (module, moduleResolution, files) =>
  JSON.stringify({ compilerOptions: { target: "ES2022", module, moduleResolution, strict: true, noEmit: true, skipLibCheck: true, types: ["node"], lib: ["ES2022"] }, files });

function writeProject(dir, pm) {
  fs.mkdirSync(path.join(dir, "test"), { recursive: true });
  fs.copyFileSync(path.join(root, "scripts/install-test/chat.cjs"), path.join(dir, "chat.cjs"));
  const files = {
    "app.cjs": CJS_APP,
    "app.mjs": ESM_APP,
    "register-app.mjs": REGISTER_ESM,
    "register-app.cjs": REGISTER_CJS,
    "test/chat.test.mjs": VITEST_TEST,
    "vitest.inline.config.mjs": VITEST_INLINE_CONFIG,
    "check.mts": TS_ESM,
    "check.cts": TS_CJS,
    "tsconfig.node16.json": tsconfig("node16", "node16", ["check.mts", "check.cts"]),
    "tsconfig.nodenext.json": tsconfig("nodenext", "nodenext", ["check.mts", "check.cts"]),
    "tsconfig.bundler.json": tsconfig("esnext", "bundler", ["check.mts"]),
    "package.json": JSON.stringify({ name: `flg-install-${pm}`, private: true, version: "0.0.0" }),
  };
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
}

async function scenarios(registry, pm) {
  const dir = path.join(work, `app-${pm}`);
  writeProject(dir, pm);
  fs.copyFileSync(registry.npmrc, path.join(dir, ".npmrc"));
  const env = { npm_config_userconfig: registry.npmrc };
  const deps = ["@fast-langgraph/accelerator", "@langchain/langgraph", "@langchain/core", `zod@${ZOD}`];
  const devDeps = [`vitest@${VITEST}`, `typescript@${TYPESCRIPT}`, `@types/node@${TYPES_NODE}`];
  log(`${pm}: installing ${deps.join(" ")} from the local registry into ${dir} (PATH without cargo/rustc)`);
  if (pm === "npm") {
    await runAsync("npm", ["install", "--loglevel=error", ...deps], { cwd: dir, env });
    await runAsync("npm", ["install", "--loglevel=error", "-D", ...devDeps], { cwd: dir, env });
  } else {
    // pnpm runs no dependency build scripts unless allowed; vitest's esbuild has one (ours have none).
    fs.writeFileSync(path.join(dir, "pnpm-workspace.yaml"), "allowBuilds:\n  esbuild: true\n");
    const store = ["--store-dir", path.join(work, "pnpm-store")];
    await runAsync("npx", ["-y", `pnpm@${PNPM}`, "add", ...store, ...deps], { cwd: dir, env });
    await runAsync("npx", ["-y", `pnpm@${PNPM}`, "add", ...store, "-D", ...devDeps], { cwd: dir, env });
  }
  const tree = ["@fast-langgraph/accelerator", "@fast-langgraph/native", "@langchain/langgraph", "@langchain/langgraph-checkpoint", "@langchain/core"].map((p) => {
    try {
      const file = execFileSync(process.execPath, ["-p", `require.resolve(${JSON.stringify(`${p}/package.json`)})`], { cwd: path.join(dir, "node_modules", "@fast-langgraph/accelerator"), encoding: "utf8" }).trim();
      return `${p}@${JSON.parse(fs.readFileSync(file, "utf8")).version}`;
    } catch {
      return `${p}@?`;
    }
  });
  const platformPkgs = fs.readdirSync(path.join(dir, "node_modules/@fast-langgraph")).concat(pm === "pnpm" ? fs.readdirSync(path.join(dir, "node_modules/.pnpm")).filter((d) => d.startsWith("@fast-langgraph+native-")) : []);
  log(`${pm}: installed ${tree.join(" ")}; node_modules/@fast-langgraph: ${platformPkgs.join(" ")}`);
  // Of the platform packages published, os/cpu/libc must have let in exactly this platform's.
  const installedPlatforms = platformPkgs.map((p) => p.replace(/^@fast-langgraph\+/, "").replace(/@.*$/, "")).filter((p) => p.startsWith("native-"));
  if (installedPlatforms.length !== 1 || !publishedPlatforms.includes(`@fast-langgraph/${installedPlatforms[0]}`))
    throw new Error(`${pm}: expected one platform package of ${publishedPlatforms.join(", ")}, found ${installedPlatforms.join(", ")}`);
  const node = (a) => runAsync(process.execPath, a, { cwd: dir });
  const bin = (name, a, extra = {}) => runAsync(path.join(dir, "node_modules/.bin", name), a, { cwd: dir, env: extra });
  const results = [
    await node(["app.mjs"]),
    await node(["app.cjs"]),
    await node(["--import", "@fast-langgraph/accelerator/register", "register-app.mjs"]),
    await node(["--require", "@fast-langgraph/accelerator/register", "register-app.cjs"]),
    ((await bin("vitest", ["run", "--reporter=verbose"])).match(/vitest \(externalized\): ok[^\n]*/) ?? ["vitest (externalized): MISSING OUTPUT"])[0],
    ((await bin("vitest", ["run", "--reporter=verbose", "--config", "vitest.inline.config.mjs"], { FLG_INLINE: "1" })).match(/vitest \(inlined\): ok[^\n]*/) ?? [
      "vitest (inlined): MISSING OUTPUT",
    ])[0],
  ];
  if (pm === "npm") results.push(...(await bundleScenario(registry, dir)).split("\n"));
  for (const mode of ["node16", "nodenext", "bundler"]) {
    await bin("tsc", ["-p", `tsconfig.${mode}.json`]);
    results.push(`tsc --noEmit (module resolution ${mode}): ok`);
  }
  for (const r of results) {
    if (!/: ok/.test(r)) throw new Error(`${pm}: ${r}`);
    log(`${pm}: ${r}`);
  }
}

/**
 * esbuild (ESM, CJS) and webpack bundles of the chat app of packages/accelerator/test/bundles, each run from a
 * directory outside the project where only `npm install @fast-langgraph/native` ran (README "Bundling").
 */
async function bundleScenario(registry, dir) {
  const env = { npm_config_userconfig: registry.npmrc };
  await runAsync("npm", ["install", "--loglevel=error", "-D", `esbuild@${ESBUILD}`, `webpack@${WEBPACK}`], { cwd: dir, env });
  fs.copyFileSync(path.join(root, "packages/accelerator/test/bundles/fixtures/chat-app.mjs"), path.join(dir, "chat-app.mjs"));
  fs.copyFileSync(path.join(root, "scripts/install-test/bundles.cjs"), path.join(dir, "bundles.cjs"));
  const deploy = path.join(work, "deploy-npm");
  fs.mkdirSync(deploy, { recursive: true });
  fs.copyFileSync(registry.npmrc, path.join(deploy, ".npmrc"));
  fs.writeFileSync(path.join(deploy, "package.json"), JSON.stringify({ name: "flg-deploy", private: true }));
  await runAsync("npm", ["install", "--loglevel=error", "@fast-langgraph/native"], { cwd: deploy, env });
  const shipped = fs.readdirSync(path.join(deploy, "node_modules/@fast-langgraph")).join(" ");
  log(`npm: bundle deployment: node_modules/@fast-langgraph: ${shipped}`);
  return runAsync(process.execPath, ["bundles.cjs", deploy], { cwd: dir });
}

async function matrix(registry) {
  const env = { npm_config_userconfig: registry.npmrc };
  const cells = [];
  for (const { langgraph, core } of MATRIX)
    for (const c of core) cells.push({ deps: { "@langchain/langgraph": langgraph, "@langchain/core": c, "@langchain/langgraph-checkpoint": CHECKPOINT } });
  cells.push(...UNSUPPORTED);
  // One project per cell, four at a time (the installs mostly wait on the network).
  return pool(
    cells.map((cell, i) => async () => {
      const dir = path.join(work, `matrix-${i}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(path.join(root, "scripts/install-test/matrix.mjs"), path.join(dir, "matrix.mjs"));
      fs.copyFileSync(registry.npmrc, path.join(dir, ".npmrc"));
      const dependencies = { "@fast-langgraph/accelerator": "*", ...cell.deps, zod: ZOD };
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: `flg-matrix-${i}`, private: true, type: "module", dependencies }));
      await runAsync("npm", ["install", "--loglevel=error", ...(cell.expect ? ["--legacy-peer-deps"] : [])], { cwd: dir, env });
      const line = await runAsync(process.execPath, ["matrix.mjs"], { cwd: dir, env: cell.expect ? { EXPECT_UNSUPPORTED: cell.expect } : {} });
      log(`matrix: ${line}`);
      return JSON.parse(line);
    }),
    4,
  );
}

try {
  log(`work dir ${work}; binaries from ${binaries}; node ${process.version}; cargo on PATH: ${pathDirs.some((d) => fs.existsSync(path.join(d, "cargo")))}`);
  const registry = await startRegistry();
  publishPackages(registry);
  await Promise.all([scenarios(registry, "npm"), scenarios(registry, "pnpm")]);
  if (!args.includes("--no-matrix")) await matrix(registry);
  log("all scenarios passed");
} catch (e) {
  console.error(e?.message ?? e);
  process.exitCode = 1;
} finally {
  // The registry child keeps the event loop alive: exit (cleanup runs on "exit").
  process.exit();
}
