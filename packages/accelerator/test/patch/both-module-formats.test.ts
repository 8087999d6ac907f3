import { execFileSync } from "node:child_process";
import path from "node:path";

/** Runs a real Node process (real ES modules, which Jest's CommonJS runtime cannot load). */
function runFixture(name: string, env: NodeJS.ProcessEnv = {}, args: string[] = []) {
  const out = execFileSync(process.execPath, [...args, path.join(__dirname, "fixtures", name)], {
    cwd: path.join(__dirname, "..", ".."),
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return JSON.parse(out.trim().split("\n").pop() as string);
}

describe("LangGraph loaded through import and through require in one process", () => {
  it("patches both copies, runs graphs on both, and restores both", () => {
    const seen = runFixture("both-ways.mjs");
    expect(seen.distinctCopies).toBe(true);
    expect(seen.patched).toEqual([
      "BinaryOperatorAggregate:cjs",
      "BinaryOperatorAggregate:esm",
      "InMemoryCache:cjs",
      "InMemoryCache:cjs",
      "InMemoryCache:esm",
      "InMemoryCache:esm",
      "JsonPlusSerializer:cjs",
      "JsonPlusSerializer:esm",
      "MemorySaver:cjs",
      "MemorySaver:esm",
      "PostgresSaver:cjs",
      "PostgresSaver:esm",
      "SqliteSaver:cjs",
      "SqliteSaver:esm",
    ]);
    expect(seen.skipped).toEqual([]);
    expect(seen.again).toBe(14);
    expect(seen).toMatchObject({
      status: true,
      esmPatched: true,
      cjsPatched: true,
      esmState: ["in", "a", "b"],
      cjsState: ["in", "a", "b"],
      restoredMemorySavers: 2,
      esmRestored: true,
      cjsRestored: true,
      esmAfterUnpatch: ["in", "a", "b"],
      cjsAfterUnpatch: ["in", "a", "b"],
      statusAfter: false,
    });
  });
});

describe("the serializer part on both module formats", () => {
  it("each copy's JsonPlusSerializer decodes on the fast path into its own @langchain/core's classes", () => {
    const seen = runFixture("serializer-both-ways.mjs");
    expect(seen.distinctCopies).toBe(true);
    for (const format of ["esm", "cjs"]) {
      expect(seen[format]).toEqual({ ownClass: true, otherClass: false, sameBytes: true, fastPath: 1, upstreamPath: 0 });
      expect(seen[`${format}Restored`]).toBe(true);
    }
  });
});

describe("start-up without code changes", () => {
  it.each([
    ["--import", "@fast-langgraph/accelerator/register", "esm"],
    ["--require", "@fast-langgraph/accelerator/register", "cjs"],
  ])("%s %s patches before the app runs", (flag, entry, format) => {
    const seen = runFixture("status.cjs", {}, [flag, entry]);
    expect(seen.active).toBe(true);
    expect(seen.memorySaverPatched).toBe(true);
    if (format === "esm") expect(seen.formats).toEqual(expect.arrayContaining(["cjs", "esm"]));
  });

  it("FAST_LANGGRAPH_AUTO_PATCH=1 patches when the package is first loaded", () => {
    const seen = runFixture("status.cjs", { FAST_LANGGRAPH_AUTO_PATCH: "1", LOAD_ACCELERATOR: "1" });
    expect(seen.active).toBe(true);
    expect(seen.memorySaverPatched).toBe(true);
  });

  it("FAST_LANGGRAPH_PATCH_DISABLE switches parts off", () => {
    const seen = runFixture("status.cjs", { FAST_LANGGRAPH_PATCH_DISABLE: "memorySaver" }, [
      "--require",
      "@fast-langgraph/accelerator/register",
    ]);
    expect(seen.memorySaverPatched).toBe(false);
    expect(seen.skipped).toEqual(expect.arrayContaining(["MemorySaver: switched off by the option memorySaver: false"]));
  });
});
