import * as checkpoint from "@langchain/langgraph-checkpoint";
import * as langgraph from "@langchain/langgraph";

import { getPatchStatus, patchLangGraph, unpatchLangGraph } from "../../src";

// The `modules` option in this process: the namespaces are node_modules' copies here, which patchLangGraph()
// also finds itself, so the given keys add nothing new; what is checked is the option's errors and versions.
afterEach(() => unpatchLangGraph());

describe("patchLangGraph({ modules })", () => {
  it("refuses a key it does not know, naming it and the accepted keys, before patching anything", async () => {
    await expect(patchLangGraph({ modules: { "@langchain/langgraph-checkpint": checkpoint } })).rejects.toThrow(
      /modules\["@langchain\/langgraph-checkpint"\] is not a module it patches; accepted keys: .*@langchain\/langgraph-checkpoint,/,
    );
    expect(getPatchStatus().active).toBe(false);
  });

  it("refuses a value that is not a namespace, naming the key", async () => {
    await expect(patchLangGraph({ modules: { "@langchain/langgraph": "langgraph" as never } })).rejects.toThrow(
      'modules["@langchain/langgraph"] must be the module\'s namespace object (import * as x from "@langchain/langgraph"), got string',
    );
    await expect(patchLangGraph({ modules: [] as never })).rejects.toThrow(/modules must be an object/);
  });

  it("leaves LangGraph unpatched when a given package.json states an unsupported version, naming it", async () => {
    const report = await patchLangGraph({
      modules: { "@langchain/langgraph-checkpoint": checkpoint, "@langchain/langgraph-checkpoint/package.json": { version: "1.2.1" } },
    });
    expect(report.patched).toEqual([]);
    const reasons = [...new Set(report.skipped.map((s) => s.reason))];
    expect(reasons).toEqual([
      'unsupported versions, LangGraph is left unpatched: @langchain/langgraph-checkpoint 1.2.1 is bundled (modules["@langchain/langgraph-checkpoint/package.json"]); supported: >=1.2.2 <2',
    ]);
  });

  it("counts a given class that is also the resolved copy once (already patched)", async () => {
    const report = await patchLangGraph({ modules: { "@langchain/langgraph": langgraph, "@langchain/langgraph-checkpoint": checkpoint } });
    const memory = [...report.patched, ...report.alreadyPatched].filter((p) => p.target === "MemorySaver");
    // The CommonJS copy patched when resolved; the same class given under both keys is reported already patched once.
    expect(memory.filter((p) => p.format === "given").map((p) => p.file)).toEqual(['modules["@langchain/langgraph-checkpoint"]']);
    expect(report.alreadyPatched.map((p) => `${p.target}:${p.format}`)).toContain("MemorySaver:given");
    expect(checkpoint.MemorySaver.prototype.put).not.toBe(undefined);
  });
});
