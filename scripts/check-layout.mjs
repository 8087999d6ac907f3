#!/usr/bin/env node
// Checks the import rules of ARCHITECTURE.md: which folder may import which, and no import cycles,
// in packages/accelerator/src (relative imports) and packages/native/src (crate and super paths).
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const problems = [];

function files(dir, ext) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p, ext) : p.endsWith(ext) ? [p] : [];
  });
}

function cycles(graph, label) {
  const state = new Map();
  const stack = [];
  const visit = (n) => {
    state.set(n, 1);
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 1) problems.push(`${label}: import cycle ${[...stack.slice(stack.indexOf(m)), m].join(" -> ")}`);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
}

// TypeScript: folder -> folders it may import.
const tsSrc = path.join(root, "packages/accelerator/src");
const tsAllowed = {
  ".": ["patch", "savers", "cache", "checkpoint", "resilience", "profiler", "retention", "."],
  patch: ["patch", "savers", "cache", "checkpoint", "resilience", "profiler", "."],
  resilience: ["resilience", "cache", "."],
  profiler: ["profiler", "."],
  savers: ["savers", "checkpoint", "."],
  retention: ["retention", "savers", "patch", "."],
  cache: ["cache", "savers", "."],
  checkpoint: ["checkpoint"],
};
const tsGraph = new Map();
for (const file of files(tsSrc, ".ts")) {
  const from = path.relative(tsSrc, file);
  const folder = path.dirname(from).split(path.sep)[0];
  const deps = new Set();
  for (const [, spec] of fs.readFileSync(file, "utf8").matchAll(/from\s+"(\.[^"]+)"/g)) {
    const to = path.relative(tsSrc, path.resolve(path.dirname(file), spec)) + ".ts";
    deps.add(to);
    const toFolder = path.dirname(to).split(path.sep)[0];
    const allowed = tsAllowed[folder];
    if (allowed && !allowed.includes(toFolder)) problems.push(`accelerator: ${from} imports ${to} (${folder}/ may import ${allowed.join(", ")})`);
  }
  tsGraph.set(from, deps);
}
cycles(tsGraph, "accelerator");

// Rust: module folder -> module folders it may use.
const rsSrc = path.join(root, "packages/native/src");
const rsAllowed = {
  checkpoint: ["checkpoint", "messages", "error", "js_bytes"],
  sqlite: ["sqlite", "sqlite_vfs", "checkpoint", "messages", "error", "js_bytes"],
  sqlite_vfs: ["sqlite_vfs"],
  postgres: ["postgres", "checkpoint", "messages", "error", "js_bytes"],
  cache: ["cache", "postgres", "sqlite_vfs", "error", "js_bytes"],
  messages: ["messages", "error", "js_bytes"],
  resilience: ["resilience", "error"],
};
const rsGraph = new Map();
for (const file of files(rsSrc, ".rs")) {
  const from = path.relative(rsSrc, file).replace(/\.rs$/, "");
  const folder = from.split(path.sep)[0];
  const text = fs.readFileSync(file, "utf8").replace(/#\[cfg\(test\)\][\s\S]*$/, "");
  const deps = new Set();
  for (const [, p] of text.matchAll(/\b(crate::\w+(?:::\w+)?|super::\w+)/g)) {
    const parts = p.split("::");
    const target = parts[0] === "crate" ? parts.slice(1).join("/") : `${folder}/${parts[1]}`;
    const targetFile = fs.existsSync(path.join(rsSrc, `${target}.rs`)) ? target : target.split("/")[0];
    if (targetFile !== from && !targetFile.endsWith("mod") && fs.existsSync(path.join(rsSrc, `${targetFile}.rs`))) deps.add(targetFile);
    const allowed = rsAllowed[folder];
    const toFolder = target.split("/")[0];
    if (allowed && !allowed.includes(toFolder)) problems.push(`native: ${from}.rs uses ${p} (${folder}/ may use ${allowed.join(", ")})`);
  }
  rsGraph.set(from, deps);
}
cycles(rsGraph, "native");

const lib = fs.readFileSync(path.join(rsSrc, "lib.rs"), "utf8");
for (const line of lib.split("\n")) {
  if (line.trim() && !/^(#!\[.*\]|(pub )?mod \w+;|\/\/.*)$/.test(line.trim())) problems.push(`native: lib.rs holds more than module declarations: ${line.trim()}`);
}

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`layout ok: ${tsGraph.size} TypeScript and ${rsGraph.size} Rust files, no import cycles, folder rules of ARCHITECTURE.md hold`);
