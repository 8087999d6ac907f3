import { execFileSync } from "node:child_process";
import path from "node:path";

const packageDir = path.join(__dirname, "..", "..");
// The napi-rs loader loads only this file when the variable is set: a path with no binary behaves as
// a platform without a prebuilt package.
const missing = path.join(packageDir, "no-such-dir", "fast-langgraph-native.node");

function runNode(args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(process.execPath, args, {
    cwd: packageDir,
    encoding: "utf8",
    env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: missing, ...env },
  }).trim();
}

const graph = `
  const { StateGraph, MessagesAnnotation, MemorySaver, START, END } = lg;
  const g = new StateGraph(MessagesAnnotation)
    .addNode("reply", (s) => ({ messages: [{ role: "ai", content: "seen " + s.messages.length }] }))
    .addEdge(START, "reply").addEdge("reply", END)
    .compile({ checkpointer: new MemorySaver() });
  const config = { configurable: { thread_id: "t" } };
  await g.invoke({ messages: [{ role: "user", content: "hi" }] }, config);
  const out = await g.invoke({ messages: [{ role: "user", content: "again" }] }, config);
  const contents = out.messages.map((m) => m.content);`;

const attempt = (expr: string) =>
  `(() => { try { ${expr}; return "constructed"; } catch (e) { return { code: e.code, message: e.message }; } })()`;

describe("a platform without the native binary", () => {
  it("imports (ESM), leaves LangGraph unpatched, reports why, and the Rust classes throw a guiding error", () => {
    const out = runNode([
      "--input-type=module",
      "-e",
      `import * as acc from "@fast-langgraph/accelerator";
       import * as lg from "@langchain/langgraph";
       const before = lg.MemorySaver.prototype.put;
       const report = await acc.patchLangGraph();
       const status = acc.getPatchStatus();
       ${graph}
       console.log(JSON.stringify({
         samePut: lg.MemorySaver.prototype.put === before,
         patched: report.patched.length, skipped: report.skipped.map((s) => s.reason), status, contents,
         sqlite: ${attempt('new acc.RustSqliteSaver(":memory:")')},
         postgres: ${attempt('new acc.RustPostgresSaver("postgresql://localhost/x")')},
         llmCache: ${attempt("new acc.RustLLMCache()")},
         raw: ${attempt("acc.native.nativeVersion()")},
       }));`,
    ]);
    const r = JSON.parse(out);
    expect(r.samePut).toBe(true);
    expect(r.patched).toBe(0);
    expect(r.contents).toEqual(["hi", "seen 1", "again", "seen 3"]);
    expect(r.status.active).toBe(false);
    expect(r.status.native).toMatchObject({ available: false, platform: `${process.platform}-${process.arch}-gnu` });
    expect(r.status.native.package).toBe(`@fast-langgraph/native-${process.platform}-${process.arch}-gnu`);
    expect(r.status.native.reason).toContain("no-such-dir");
    expect(r.skipped.length).toBeGreaterThan(0);
    for (const reason of r.skipped) expect(reason).toContain("native binding is not available on linux-");
    for (const key of ["sqlite", "postgres", "llmCache", "raw"]) {
      expect(r[key].code).toBe("FAST_LANGGRAPH_NATIVE_UNAVAILABLE");
      expect(r[key].message).toContain(r.status.native.platform);
      expect(r[key].message).toContain(r.status.native.package);
      expect(r[key].message).toContain("build it from source");
      expect(r[key].message).not.toContain("npm has a bug");
    }
    expect(r.sqlite.message).toMatch(/^RustSqliteSaver needs/);
  });

  it("imports from require() and through the register entry without throwing", () => {
    const out = runNode(
      [
        "--require",
        "@fast-langgraph/accelerator/register",
        "-e",
        `const acc = require("@fast-langgraph/accelerator");
         require("@fast-langgraph/accelerator/register").ready.then(() => {
           const s = acc.getPatchStatus();
           console.log(JSON.stringify({ active: s.active, available: s.native.available, n: s.skipped.length }));
         });`,
      ],
      { FAST_LANGGRAPH_VERBOSE: "1" },
    );
    expect(JSON.parse(out)).toEqual({ active: false, available: false, n: expect.any(Number) });
  });

  it("with the binary present, reports it available", () => {
    const out = runNode(["-e", `console.log(JSON.stringify(require("@fast-langgraph/accelerator").nativeStatus()))`], {
      NAPI_RS_NATIVE_LIBRARY_PATH: "",
    });
    expect(JSON.parse(out)).toMatchObject({ available: true });
  });
});
