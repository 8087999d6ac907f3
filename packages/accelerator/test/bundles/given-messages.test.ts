import { execFileSync } from "node:child_process";
import path from "node:path";

// patchLangGraph({ modules }) with the ES module checkpoint and a given @langchain/core/messages: the decoder
// constructs the given classes only when they are the ones the checkpoint's own load() constructs. The CommonJS
// build beside the ES module checkpoint (a require() somewhere in the app) is the other build's classes.
const packageDir = path.join(__dirname, "../..");

function decodeWith(messagesBuild: "import" | "require"): { esm: boolean; cjs: boolean; decoded: number } {
  const script = `
    import { createRequire } from "node:module";
    import * as checkpoint from "@langchain/langgraph-checkpoint";
    import * as esmMessages from "@langchain/core/messages";
    import { getSerializerStats, patchLangGraph } from "@fast-langgraph/accelerator";
    const require = createRequire(process.cwd() + "/");
    const cjsMessages = require("@langchain/core/messages");
    const pkg = (p) => require(p + "/package.json");
    await patchLangGraph({ modules: {
      "@langchain/langgraph-checkpoint": checkpoint,
      "@langchain/core/messages": ${messagesBuild === "import" ? "esmMessages" : "cjsMessages"},
      "@langchain/langgraph-checkpoint/package.json": pkg("@langchain/langgraph-checkpoint"),
      "@langchain/core/package.json": pkg("@langchain/core"),
    } });
    const serde = new checkpoint.JsonPlusSerializer();
    const [type, bytes] = await serde.dumpsTyped([new esmMessages.AIMessage({ content: "x", id: "1" })]);
    getSerializerStats({ reset: true });
    const [message] = await serde.loadsTyped(type, bytes);
    console.log(JSON.stringify({
      esm: Object.getPrototypeOf(message) === esmMessages.AIMessage.prototype,
      cjs: Object.getPrototypeOf(message) === cjsMessages.AIMessage.prototype,
      decoded: getSerializerStats().decoded,
    }));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: packageDir, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop() as string);
}

describe("patchLangGraph({ modules }) checks the given message classes", () => {
  it("decodes with the given classes when they are the checkpoint's own (the ES module build)", () => {
    expect(decodeWith("import")).toEqual({ esm: true, cjs: false, decoded: 1 });
  });

  it("keeps upstream's decoding when they are another build's (CommonJS messages, ES module checkpoint)", () => {
    expect(decodeWith("require")).toEqual({ esm: true, cjs: false, decoded: 0 });
  });
});
