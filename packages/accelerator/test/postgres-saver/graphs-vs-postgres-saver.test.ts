import { MemorySaver } from "@langchain/langgraph";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";

import { RustPostgresSaver } from "../../src";
import { scenarios } from "../support/graphs";
import { moreScenarios } from "../support/more-graphs";
import { normalize } from "../support/normalize";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";

async function official(): Promise<PostgresSaver> {
  const saver = PostgresSaver.fromConnString(postgresUrl(), { schema: freshSchema("official") });
  await saver.setup();
  return saver;
}

async function ours(layout: "official" | "compact"): Promise<RustPostgresSaver> {
  const saver = new RustPostgresSaver(postgresUrl(), { schema: freshSchema(layout), layout });
  await saver.setup();
  return saver;
}

const schemaOf = (saver: PostgresSaver) => (saver as unknown as { options: { schema: string } }).options.schema;

// PostgresSaver keys values by (channel, version), and a fork made by updateState on an earlier
// checkpoint reuses a version of the original branch: PostgresSaver keeps the old value and drops the
// edit. Ours keeps it (unique versions in the official layout, values keyed by checkpoint in the compact
// one), so for that scenario the reference is MemorySaver's result.
const forkScenarios = new Set(["updateStateFork"]);

describe.each(["official", "compact"] as const)("RustPostgresSaver (%s layout) runs real graphs exactly like PostgresSaver", (layout) => {
  it.each(Object.entries({ ...scenarios, ...moreScenarios }))("%s: same outputs, stream events and state history", async (name, run) => {
    const reference = await official();
    const saver = await ours(layout);
    try {
      const expected = normalize(await run(forkScenarios.has(name) ? new MemorySaver() : reference));
      const actual = normalize(await run(saver));
      expect(actual).toEqual(expected);
      expect((actual as { history: unknown[] }).history.length).toBeGreaterThan(2);
    } finally {
      await saver.end();
      await reference.end();
      await dropSchema(saver.schema);
      await dropSchema(schemaOf(reference));
    }
  });
});
