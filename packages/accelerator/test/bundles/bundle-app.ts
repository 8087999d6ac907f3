import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import * as esbuild from "esbuild";
import webpack from "webpack";

const packageDir = path.join(__dirname, "../..");
const nativeDir = path.join(packageDir, "../native");

/** The settings README "Bundling" gives: the napi-rs loader stays a runtime require of @fast-langgraph/native. */
export const NATIVE_EXTERNAL = "@fast-langgraph/native";
const ESM_REQUIRE_BANNER = 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);';

/**
 * A project outside the workspace: `src/` holds the fixture app, `node_modules` links the packages it imports
 * (the accelerator as built in dist/, and LangGraph as the accelerator's devDependencies installed it).
 */
export function makeProject(fixture: string): { dir: string; entry: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flg-bundle-"));
  const link = (name: string, target: string) => {
    const at = path.join(dir, "node_modules", name);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    fs.symlinkSync(target, at, "dir");
  };
  link("@fast-langgraph/accelerator", packageDir);
  link("@fast-langgraph/native", nativeDir);
  for (const pkg of ["@langchain/core", "@langchain/langgraph", "@langchain/langgraph-checkpoint"])
    link(pkg, fs.realpathSync(path.join(packageDir, "node_modules", pkg)));
  const entry = path.join(dir, "src", path.basename(fixture));
  fs.mkdirSync(path.dirname(entry), { recursive: true });
  fs.copyFileSync(fixture, entry);
  return { dir, entry };
}

export async function esbuildBundle(entry: string, format: "esm" | "cjs", outfile: string): Promise<string[]> {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node20",
    format,
    outfile,
    external: [NATIVE_EXTERNAL],
    // An ES module bundle has no `require`: the CommonJS code it inlines (ours, the native loader) needs one.
    banner: format === "esm" ? { js: ESM_REQUIRE_BANNER } : undefined,
    logLevel: "silent",
  });
  return result.warnings.map((w) => w.text);
}

export async function webpackBundle(entry: string, outfile: string): Promise<string[]> {
  const compiler = webpack({
    mode: "production",
    target: "node20",
    entry,
    output: { path: path.dirname(outfile), filename: path.basename(outfile) },
    externals: { [NATIVE_EXTERNAL]: `commonjs ${NATIVE_EXTERNAL}` },
    optimization: { minimize: false },
    devtool: false,
  });
  const stats = await new Promise<webpack.Stats>((resolve, reject) =>
    compiler.run((error, s) => (error || !s ? reject(error) : resolve(s))),
  );
  await new Promise<void>((resolve) => compiler.close(() => resolve()));
  const info = stats.toJson({ all: false, errors: true, warnings: true });
  if (stats.hasErrors()) throw new Error(`webpack: ${(info.errors ?? []).map((e) => e.message).join("\n")}`);
  return (info.warnings ?? []).map((w) => w.message);
}

/**
 * Runs a bundle with node from a directory of its own whose node_modules holds only @fast-langgraph/native (the
 * loader and, next to it, this platform's binary): what a deployment of the bundle ships. Returns its JSON line.
 */
export function runBundle(bundle: string): Record<string, unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flg-bundle-run-"));
  const at = path.join(dir, "node_modules", NATIVE_EXTERNAL);
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.symlinkSync(nativeDir, at, "dir");
  const file = path.join(dir, path.basename(bundle));
  fs.copyFileSync(bundle, file);
  // pnpm's bin shims (jest's) set NODE_PATH to the workspace's hoisted node_modules: the bundle must not see it.
  const env = { ...process.env, FAST_LANGGRAPH_AUTO_PATCH: "", NODE_OPTIONS: "", NODE_PATH: "" };
  const out = execFileSync(process.execPath, [file], { cwd: dir, env, encoding: "utf8" });
  fs.rmSync(dir, { recursive: true, force: true });
  return JSON.parse(out.trim().split("\n").pop() as string);
}
