import { FakeListChatModel } from "@langchain/core/utils/testing";
import { MemorySaver } from "@langchain/langgraph";
import { type BaseCheckpointSaver, InMemoryCache as NodeCache } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { patchLangGraph, unpatchLangGraph } from "../../src";
import { scenarios } from "../support/graphs";
import { moreScenarios } from "../support/more-graphs";
import { normalize } from "../support/normalize";
import { temporaryDatabase } from "../support/temporary-database";

const allScenarios = { ...scenarios, ...moreScenarios };

const savers: Record<string, () => BaseCheckpointSaver> = {
  MemorySaver: () => new MemorySaver(),
  SqliteSaver: () => SqliteSaver.fromConnString(temporaryDatabase("differential")),
};

async function everyTuple(saver: BaseCheckpointSaver) {
  const out = [];
  for await (const t of saver.list({})) out.push(t);
  return normalize(out);
}

describe("graphs run patched and unpatched give the same outputs, stream events and state history", () => {
  for (const [saverName, makeSaver] of Object.entries(savers)) {
    it.each(Object.entries(allScenarios))(`%s with ${saverName}`, async (_name, run) => {
      const expected = normalize(await run(makeSaver()));

      const report = await patchLangGraph();
      expect(report.patched.map((p) => p.target)).toEqual(
        expect.arrayContaining(["MemorySaver", "SqliteSaver", "BinaryOperatorAggregate"]),
      );
      const saver = makeSaver();
      let actual: unknown;
      let storedWhilePatched: unknown;
      try {
        actual = normalize(await run(saver));
        storedWhilePatched = await everyTuple(saver);
      } finally {
        unpatchLangGraph();
      }
      expect(actual).toEqual(expected);
      // What was written while patched reads back the same through LangGraph's own code.
      expect(await everyTuple(saver)).toEqual(storedWhilePatched);
    });
  }
});

describe("patched caches", () => {
  it("serve cache: true models and LangGraph's node cache from the Rust caches, bounded", async () => {
    await patchLangGraph();
    try {
      const model = new FakeListChatModel({ responses: ["one", "two"], cache: true });
      expect((await model.invoke("same question")).content).toBe("one");
      expect((await model.invoke("same question")).content).toBe("one");
      const nodeCache = new NodeCache();
      await nodeCache.set([{ key: [["ns"], "k"], value: { v: 1 } }]);
      expect(await nodeCache.get([[["ns"], "k"]])).toEqual([{ key: [["ns"], "k"], value: { v: 1 } }]);
      expect(Object.keys((nodeCache as unknown as { cache: object }).cache)).toEqual([]);
    } finally {
      unpatchLangGraph();
    }
  });
});
