import { deltaChannelHistoryTests, validate } from "@langchain/langgraph-checkpoint-validation";

import { RustSqliteSaver } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

// The official conformance suite, under our own name: nothing is skipped for it. It runs on a file
// (SQLite on the libuv pool) and in memory (SQLite on the calling thread).
const onFile = {
  checkpointerName: "RustSqliteSaver",
  createCheckpointer: async () => new RustSqliteSaver(temporaryDatabase()),
  destroyCheckpointer: async (saver: RustSqliteSaver) => saver.close(),
};
const inMemory = { ...onFile, createCheckpointer: async () => new RustSqliteSaver(":memory:") };

describe("on a file", () => {
  validate(onFile);
  deltaChannelHistoryTests(onFile);
});

describe("in memory", () => {
  validate(inMemory);
  deltaChannelHistoryTests(inMemory);
});
