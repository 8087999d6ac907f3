import { isDeepStrictEqual } from "node:util";

import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import type { ChannelVersions, Checkpoint, CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import { deltaChannelHistoryTests, validate } from "@langchain/langgraph-checkpoint-validation";
import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver } from "@langchain/langgraph";

import { patchLangGraph, unpatchLangGraph } from "../../src";
import { scenarios } from "../support/graphs";
import { moreScenarios } from "../support/more-graphs";

const serde = new JsonPlusSerializer();

/** After every put, reads the checkpoint back and requires exactly what was put (MemorySaver's contract). */
class ReadBackMemorySaver extends MemorySaver {
  mismatches: string[] = [];

  // LangGraph calls put with newVersions; MemorySaver's own signature omits it.
  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions?: ChannelVersions) {
    // Both serialize synchronously when called: LangGraph mutates messages (ids) right after.
    const snapshot = serde.dumpsTyped(checkpoint);
    const stored = await (super.put as (...a: unknown[]) => Promise<RunnableConfig>)(config, checkpoint, metadata, newVersions);
    const expected = await serde.loadsTyped("json", (await snapshot)[1]);
    const back = (await this.getTuple(stored))?.checkpoint;
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(back)), JSON.parse(JSON.stringify(expected)))) {
      const [a, b] = [JSON.parse(JSON.stringify(expected)), JSON.parse(JSON.stringify(back))];
      const differing = Object.keys({ ...a, ...b }).flatMap((k) =>
        k === "channel_values"
          ? Object.keys({ ...a[k], ...b[k] })
              .filter((c) => !isDeepStrictEqual(a[k][c], b[k]?.[c]))
              .map((c) => `channel_values.${c}: put ${JSON.stringify(a[k][c])} read ${JSON.stringify(b[k]?.[c])}`)
          : isDeepStrictEqual(a[k], b?.[k])
            ? []
            : [k],
      );
      this.mismatches.push(`${checkpoint.id} (step ${metadata.step}): ${differing.join("; ")}`);
    }
    return stored;
  }
}

describe("a patched MemorySaver returns every checkpoint exactly as it was put", () => {
  beforeAll(() => patchLangGraph());
  afterAll(() => unpatchLangGraph());

  it.each(Object.entries({ ...scenarios, ...moreScenarios }))("%s", async (_name, run) => {
    const saver = new ReadBackMemorySaver();
    await run(saver);
    expect(saver.mismatches).toEqual([]);
  });

  // Run under MemorySaver's own name: it is MemorySaver (same semantics, same one exemption).
  const initializer = { checkpointerName: "MemorySaver", createCheckpointer: async () => new MemorySaver() };
  validate(initializer);
  deltaChannelHistoryTests(initializer);
});
