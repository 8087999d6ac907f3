import { execFileSync } from "node:child_process";
import path from "node:path";

const packageDir = path.join(__dirname, "..");

function runNode(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: packageDir, encoding: "utf8" }).trim();
}

describe("@fast-langgraph/accelerator entry points (built package)", () => {
  const script = (load: string) => `
    ${load}
    const saver = new RustSqliteSaver(":memory:");
    const { emptyCheckpoint } = checkpoint;
    const cp = { ...emptyCheckpoint(), id: "1", channel_values: { a: [1, 2] }, channel_versions: { a: 1 } };
    saver.put({ configurable: { thread_id: "t" } }, cp, { source: "input", step: -1, parents: {} }, { a: 1 })
      .then((config) => saver.getTuple(config))
      .then((tuple) => console.log(JSON.stringify(tuple.checkpoint.channel_values)));`;

  it("works from require()", () => {
    const out = runNode([
      "-e",
      script(
        `const { RustSqliteSaver } = require("@fast-langgraph/accelerator"); const checkpoint = require("@langchain/langgraph-checkpoint");`,
      ),
    ]);
    expect(out).toBe('{"a":[1,2]}');
  });

  it("works from import, sharing one copy of each class with require()", () => {
    const out = runNode([
      "--input-type=module",
      "-e",
      `import { createRequire } from "node:module";
       import { RustSqliteSaver as Esm } from "@fast-langgraph/accelerator";
       const { RustSqliteSaver: Cjs } = createRequire(process.cwd() + "/")("@fast-langgraph/accelerator");
       if (Esm !== Cjs) throw new Error("import and require gave different classes");
       ${script(`const RustSqliteSaver = Esm; const checkpoint = await import("@langchain/langgraph-checkpoint");`)}`,
    ]);
    expect(out).toBe('{"a":[1,2]}');
  });
});
