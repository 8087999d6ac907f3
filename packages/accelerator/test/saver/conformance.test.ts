import { deltaChannelHistoryTests, validate } from "@langchain/langgraph-checkpoint-validation";

import { RustSqliteSaver } from "../../src";
import { temporaryDatabase } from "./temporary-database";

// The official conformance suite, under our own name: nothing is skipped for it.
const initializer = {
  checkpointerName: "RustSqliteSaver",
  createCheckpointer: async () => new RustSqliteSaver(temporaryDatabase()),
  destroyCheckpointer: async (saver: RustSqliteSaver) => saver.close(),
};

validate(initializer);
deltaChannelHistoryTests(initializer);
