import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";

import { RustPostgresSaver } from "../../src";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";

const STEPS = 1_250; // more than one prune transaction removes (1,000)

describe.each(["compact", "official"] as const)("a thread longer than one prune transaction takes (%s)", (layout) => {
  it("is pruned whole, in several transactions, and its newest checkpoints read back exactly", async () => {
    const schema = freshSchema("long");
    const saver = new RustPostgresSaver(postgresUrl(), { schema, layout });
    await saver.setup();
    try {
      let config = { configurable: { thread_id: "long", checkpoint_ns: "" } };
      const log: string[] = [];
      let version: number | undefined;
      for (let step = 0; step < STEPS; step++) {
        log.push(`entry ${step}`);
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
        await saver.putWrites(config, [["step", step + 1]], `task-${step}`);
      }
      const newest = [];
      for await (const t of saver.list({ configurable: { thread_id: "long" } }, { limit: 3 })) newest.push(t);

      const report = await saver.prune({ keepLast: 3 });
      expect(report).toMatchObject({ threads: 1, checkpoints: STEPS - 3, writes: STEPS - 3 });
      const after = [];
      for await (const t of saver.list({ configurable: { thread_id: "long" } })) after.push(t);
      expect(after).toEqual(newest);
      expect((after[0].checkpoint.channel_values.log as string[]).length).toBe(STEPS);
      expect(await saver.prune({ keepLast: 3 })).toMatchObject({ threads: 0, checkpoints: 0 });
    } finally {
      await saver.end();
      await dropSchema(schema);
    }
  });
});
