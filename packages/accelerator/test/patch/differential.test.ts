import { MemorySaver } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
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
      expect(report.patched.map((p) => p.target)).toEqual(expect.arrayContaining(["MemorySaver", "SqliteSaver", "BinaryOperatorAggregate"]));
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
