import { deltaChannelHistoryTests, validate } from "@langchain/langgraph-checkpoint-validation";

import { RustPostgresSaver } from "../../src";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";

// The official conformance suite under our own name, nothing skipped, on a real PostgreSQL server: once
// per layout, each checkpointer in a schema of its own.
function initializer(layout: "official" | "compact") {
  return {
    checkpointerName: "RustPostgresSaver",
    createCheckpointer: async () => {
      const saver = new RustPostgresSaver(postgresUrl(), { schema: freshSchema(layout), layout });
      await saver.setup();
      return saver;
    },
    destroyCheckpointer: async (saver: RustPostgresSaver) => {
      await saver.end();
      await dropSchema(saver.schema);
    },
  };
}

describe("official layout (the default)", () => {
  validate(initializer("official"));
  deltaChannelHistoryTests(initializer("official"));
});

describe("compact layout", () => {
  validate(initializer("compact"));
  deltaChannelHistoryTests(initializer("compact"));
});
