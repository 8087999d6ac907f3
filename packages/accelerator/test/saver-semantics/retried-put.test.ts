import { MemorySaver } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";

import { RustPostgresSaver, RustSqliteSaver, patchLangGraph, unpatchLangGraph } from "../../src";
import { messagesAgent } from "../support/graphs";
import { normalize } from "../support/normalize";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";
import { temporaryDatabase } from "../support/temporary-database";

/** Every put is sent twice with the same arguments, as a caller that retries after a lost reply does. */
function retryingPuts<S extends BaseCheckpointSaver>(saver: S): S {
  const put: BaseCheckpointSaver["put"] = saver.put.bind(saver);
  saver.put = async (config, checkpoint, metadata, newVersions) => {
    await put(config, checkpoint, metadata, newVersions);
    return put(config, checkpoint, metadata, newVersions);
  };
  return saver;
}

let expected: unknown;
let finalMessages: number;
beforeAll(async () => {
  const transcript = await messagesAgent(retryingPuts(new MemorySaver()));
  finalMessages = (transcript.outputs.at(-1) as { values: { messages: unknown[] } }).values.messages.length;
  expected = normalize(transcript);
});

const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

describe("a retried put is an upsert (issue 11 case 3)", () => {
  it.each([
    ["compact, file", () => temporaryDatabase("retry")],
    ["compact, :memory:", () => ":memory:"],
  ])("RustSqliteSaver %s: reads, prune and close all work after retried puts", async (_name, path) => {
    const saver = retryingPuts(new RustSqliteSaver(path()));
    try {
      expect(normalize(await messagesAgent(saver))).toEqual(expected);
      const report = await saver.prune({ keepLast: 1 });
      expect(report.checkpoints).toBeGreaterThan(0);
      const latest = await saver.getTuple({ configurable: { thread_id: "agent" } });
      expect((latest?.checkpoint.channel_values.messages as unknown[] | undefined)?.length).toBe(finalMessages);
    } finally {
      saver.close();
    }
    expect(saver.closed).toBe(true);
  });

  it("RustSqliteSaver official layout", async () => {
    const saver = retryingPuts(new RustSqliteSaver(temporaryDatabase("retry-official"), { layout: "official" }));
    try {
      expect(normalize(await messagesAgent(saver))).toEqual(expected);
    } finally {
      saver.close();
    }
  });

  it("patched MemorySaver", async () => {
    patchLangGraph();
    try {
      expect(normalize(await messagesAgent(retryingPuts(new MemorySaver())))).toEqual(expected);
    } finally {
      unpatchLangGraph();
    }
  });

  it.each(["compact", "official"] as const)("RustPostgresSaver %s layout", async (layout) => {
    const schema = freshSchema("retry");
    schemas.push(schema);
    const saver = retryingPuts(new RustPostgresSaver(postgresUrl(), { schema, layout }));
    try {
      await saver.setup();
      expect(normalize(await messagesAgent(saver))).toEqual(expected);
    } finally {
      await saver.end();
    }
  });
});
