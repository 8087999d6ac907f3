import fs from "node:fs";
import path from "node:path";

import { esbuildBundle, makeProject, runBundle, webpackBundle } from "./bundle-app";

// A bundle inlines LangGraph: patchLangGraph() finds no copy in node_modules to patch, and
// patchLangGraph({ modules }) patches the bundle's own. Each bundle runs in a directory of its own with only
// @fast-langgraph/native beside it (the bundlers' external), outside the workspace.
const fixture = path.join(__dirname, "fixtures/chat-app.mjs");
let project: { dir: string; entry: string };

beforeAll(() => {
  project = makeProject(fixture);
});
afterAll(() => fs.rmSync(project.dir, { recursive: true, force: true }));

const bundlers: Array<[string, (entry: string, out: string) => Promise<string[]>, string]> = [
  ["esbuild, format esm", (entry, out) => esbuildBundle(entry, "esm", out), "app.mjs"],
  ["esbuild, format cjs", (entry, out) => esbuildBundle(entry, "cjs", out), "app.cjs"],
  ["webpack 5, target node20", (entry, out) => webpackBundle(entry, out), "app.js"],
];

type Chat = { results: Array<{ messages: Array<{ content: string }> }>; history: unknown[] };
/** The JSON line the fixture prints. */
interface AppOutput {
  withoutModules: { patched: string[]; bundledMemorySaverUntouched: boolean };
  report: { patched: string[]; skipped: string[] };
  status: { active: boolean; native: boolean; patched: string[] };
  memorySaverPatched: boolean;
  serializer: { decoded: number; upstream: number };
  unpatched: Chat;
  patched: Chat;
  rust: Chat;
  reopened: unknown;
}

describe.each(bundlers)("a chat graph bundled by %s", (_name, bundle, file) => {
  let out: AppOutput;

  beforeAll(async () => {
    const bundlePath = path.join(project.dir, "dist", file);
    await bundle(project.entry, bundlePath);
    // LangGraph, @langchain/core and the accelerator are inside the bundle, not resolved at run time.
    const text = fs.readFileSync(bundlePath, "utf8");
    const inlined = ["MemorySaver", "RustSqliteSaver", "FakeListChatModel"].map((name) =>
      new RegExp(`(${name} = class|class \\w*${name})\\b`).test(text),
    );
    expect(inlined).toEqual([true, true, true]);
    out = runBundle(bundlePath) as unknown as AppOutput;
  });

  it("patchLangGraph() alone does not reach the bundled copies", () => {
    expect(out.withoutModules.patched).toEqual([]);
    expect(out.withoutModules.bundledMemorySaverUntouched).toBe(true);
  });

  it("patchLangGraph({ modules }) patches the bundled classes, and getPatchStatus() lists them", () => {
    expect(out.memorySaverPatched).toBe(true);
    expect(out.status.active).toBe(true);
    expect(out.status.native).toBe(true);
    expect(out.status.patched).toEqual(
      expect.arrayContaining([
        'MemorySaver:given:modules["@langchain/langgraph-checkpoint"]',
        'InMemoryCache:given:modules["@langchain/langgraph-checkpoint"]',
        'JsonPlusSerializer:given:modules["@langchain/langgraph-checkpoint"]',
        'BinaryOperatorAggregate:given:modules["@langchain/langgraph"]',
      ]),
    );
    expect(out.report.patched).toEqual(out.status.patched);
    // The bundled JsonPlusSerializer got the decoder (its versions and message classes were given): reading
    // the thread back from the file decoded every value with it.
    expect(out.serializer.decoded).toBeGreaterThan(0);
    expect(out.serializer.upstream).toBe(0);
  });

  it("the patched MemorySaver and RustSqliteSaver give what the unpatched graph gave", () => {
    expect(out.unpatched.results).toHaveLength(3);
    expect(out.unpatched.results[2].messages.map((m) => m.content)).toEqual([
      "hi",
      "hello there",
      "how are you",
      "I am fine",
      "bye",
      "goodbye",
    ]);
    expect(out.unpatched.history.length).toBeGreaterThan(6);
    expect(out.patched).toEqual(out.unpatched);
    expect(out.rust).toEqual(out.unpatched);
    expect(out.reopened).toEqual(out.unpatched.results[2]);
  });
});
