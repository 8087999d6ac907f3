import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";

import { RustPostgresSaver, prunePostgresSaver, vacuumPostgresSaver } from "../../src";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";

/** `threads` threads of `steps` checkpoints, each holding a log that grows by a ~1 KB entry per step. */
async function write(saver: RustPostgresSaver | PostgresSaver, prefix: string, threads: number, steps: number) {
  for (let t = 0; t < threads; t++) {
    let config = { configurable: { thread_id: `${prefix}-${t}`, checkpoint_ns: "" } };
    const log: string[] = [];
    let version: number | undefined;
    for (let step = 0; step < steps; step++) {
      log.push(`${prefix} ${t} ${step} `.padEnd(1000, "x"));
      version = saver.getNextVersion(version);
      const checkpoint = {
        ...emptyCheckpoint(),
        id: uuid6(step),
        channel_values: { log: [...log], step },
        channel_versions: { log: version, step: version },
      };
      config = (await saver.put(
        config,
        checkpoint,
        { source: "loop", step, parents: {} },
        { log: version, step: version },
      )) as typeof config;
    }
  }
}

describe.each(["compact", "official", "PostgresSaver"] as const)("space after pruning (%s)", (kind) => {
  it("VACUUM after a prune lets new writes reuse the freed space instead of growing the tables", async () => {
    const schema = freshSchema("space");
    const saver =
      kind === "PostgresSaver"
        ? PostgresSaver.fromConnString(postgresUrl(), { schema })
        : new RustPostgresSaver(postgresUrl(), { schema, layout: kind });
    await saver.setup();
    const vacuum = () => (saver instanceof RustPostgresSaver ? saver.vacuum() : vacuumPostgresSaver(saver));
    try {
      await write(saver, "old", 4, 30);
      const { bytesAfter: filled } = await vacuum();
      const report =
        saver instanceof RustPostgresSaver ? await saver.prune({ keepLast: 1 }) : await prunePostgresSaver(saver, { keepLast: 1 });
      expect(report.checkpoints).toBe(4 * 29);
      const { bytesBefore: afterPrune, bytesAfter: afterVacuum } = await vacuum();
      // Deleting rows frees no file space by itself; VACUUM gives back at most the empty pages at the end.
      expect(afterPrune).toBeGreaterThanOrEqual(filled * 0.9);
      expect(afterVacuum).toBeLessThanOrEqual(afterPrune);
      // The same volume written again fits mostly in the space the prune freed: 1.04-1.08 × `filled` here;
      // without the vacuum() between, the tables grew to 1.5-1.7 ×.
      await write(saver, "new", 4, 30);
      const { bytesBefore: rewritten } = await vacuum();
      expect(rewritten).toBeLessThan(filled * 1.25);
      expect((await saver.getTuple({ configurable: { thread_id: "old-2" } }))?.checkpoint.channel_values.log).toHaveLength(30);
    } finally {
      await saver.end();
      await dropSchema(schema);
    }
  });
});
