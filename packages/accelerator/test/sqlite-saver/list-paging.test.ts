import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";

import { RustSqliteSaver } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

describe("list over long histories", () => {
  it("pages through a thread newest first, honouring limit and before across page boundaries", async () => {
    const saver = new RustSqliteSaver(temporaryDatabase("paging"));
    let config = { configurable: { thread_id: "long", checkpoint_ns: "" } } as { configurable: Record<string, string> };
    const ids: string[] = [];
    for (let step = 0; step < 100; step++) {
      const checkpoint = { ...emptyCheckpoint(), id: uuid6(step), channel_values: { step }, channel_versions: { step: step + 1 } };
      config = (await saver.put(config, checkpoint, { source: "loop", step, parents: {} }, { step: step + 1 })) as typeof config;
      ids.push(checkpoint.id);
    }
    const collect = async (options?: object, cfg: object = { configurable: { thread_id: "long", checkpoint_ns: "" } }) => {
      const out: string[] = [];
      for await (const t of saver.list(cfg, options)) out.push(t.config.configurable?.checkpoint_id as string);
      return out;
    };
    const newestFirst = [...ids].reverse();
    expect(await collect()).toEqual(newestFirst);
    expect(await collect({ limit: 70 })).toEqual(newestFirst.slice(0, 70));
    expect(await collect({ before: { configurable: { checkpoint_id: ids[50] } }, limit: 40 })).toEqual(newestFirst.slice(50, 90));
    expect(await collect(undefined, { configurable: { thread_id: "long" } })).toEqual(newestFirst);

    let seen = 0;
    for await (const t of saver.list({ configurable: { thread_id: "long", checkpoint_ns: "" } })) {
      expect(t.checkpoint.channel_values.step).toBe(99 - seen);
      if (++seen === 5) break;
    }
    saver.close();
  });
});
