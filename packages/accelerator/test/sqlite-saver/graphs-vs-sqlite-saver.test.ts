import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { RustSqliteSaver } from "../../src";
import { scenarios } from "../support/graphs";
import { normalize } from "../support/normalize";
import { temporaryDatabase } from "../support/temporary-database";

describe("RustSqliteSaver runs real graphs exactly like SqliteSaver", () => {
  it.each(Object.entries(scenarios))("%s: same outputs, stream events and state history", async (_name, run) => {
    const official = SqliteSaver.fromConnString(temporaryDatabase("official"));
    const ours = new RustSqliteSaver(temporaryDatabase("rust"));
    try {
      const expected = normalize(await run(official));
      const actual = normalize(await run(ours));
      expect(actual).toEqual(expected);
      expect((actual as { history: unknown[] }).history.length).toBeGreaterThan(2);
    } finally {
      ours.close();
      official.db.close();
    }
  });

  it.each(Object.entries(scenarios))("%s: same result with increments switched off", async (_name, run) => {
    const full = new RustSqliteSaver(temporaryDatabase("full"), { storeIncrements: false });
    const incremental = new RustSqliteSaver(temporaryDatabase("incremental"));
    try {
      expect(normalize(await run(incremental))).toEqual(normalize(await run(full)));
    } finally {
      full.close();
      incremental.close();
    }
  });
});
