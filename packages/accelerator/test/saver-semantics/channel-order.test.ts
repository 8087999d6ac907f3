import { type BaseCheckpointSaver, type Checkpoint, uuid6 } from "@langchain/langgraph-checkpoint";

import { MemorySaver } from "@langchain/langgraph";

import { patchLangGraph, unpatchLangGraph } from "../../src";
import { dropSchemas, references, variants, withVariant } from "./variants";

afterAll(dropSchemas);

const CHANNELS = ["zeta", "alpha", "__start__", "mid", "Ωmega", "b2", "a10", 'x"y'];

/**
 * 20 checkpoints on one thread (enough for a patched MemorySaver to move into its Rust store), each
 * holding a different subset of channels in a different order, with versions in yet another order,
 * naming only some channels as new (the rest are carried from earlier checkpoints). Returns, for each
 * getTuple and each listed checkpoint, the channel names in the order the saver gives them, and the values.
 */
async function orderRead(saver: BaseCheckpointSaver) {
  let config = { configurable: { thread_id: "order", checkpoint_ns: "" } } as Parameters<BaseCheckpointSaver["put"]>[0];
  const reads: unknown[] = [];
  const versions: Record<string, number> = {};
  const values: Record<string, unknown> = {};
  for (let step = 0; step < 20; step++) {
    const order = CHANNELS.map((c, i) => [c, (i * 7 + step * 5) % 11] as const)
      .sort((a, b) => a[1] - b[1])
      .map(([c]) => c)
      .filter((_c, i) => (i + step) % 4 !== 0);
    const changed = order.filter((_c, i) => i % 2 === step % 2 || versions[order[i]] === undefined);
    for (const c of changed) {
      versions[c] = step + 1;
      values[c] = [`${c} at ${step}`];
    }
    const checkpoint: Checkpoint = {
      v: 4,
      id: uuid6(step),
      ts: new Date(Date.UTC(2026, 0, 1, 0, 0, step)).toISOString(),
      channel_values: Object.fromEntries(order.map((c) => [c, values[c]])),
      channel_versions: Object.fromEntries([...order].reverse().map((c) => [c, versions[c]])),
      versions_seen: {},
    };
    const newVersions = Object.fromEntries(changed.map((c) => [c, versions[c]]));
    config = await saver.put(config, checkpoint, { source: "loop", step, parents: {} }, newVersions);
    const tuple = await saver.getTuple({ configurable: { thread_id: "order" } });
    reads.push(Object.keys(tuple?.checkpoint.channel_values ?? {}), tuple?.checkpoint.channel_values);
  }
  for await (const tuple of saver.list({ configurable: { thread_id: "order" } }, { limit: 5 }))
    reads.push(Object.keys(tuple.checkpoint.channel_values), tuple.checkpoint.channel_values);
  return reads;
}

describe("channel_values come back in the order of the saver each variant matches", () => {
  const expected: Record<string, unknown> = {};
  beforeAll(async () => {
    for (const [name, open] of Object.entries(references)) expected[name] = await withVariant(open, undefined, orderRead);
  });

  // Our compact layouts give what they were given: the order of the put (PostgresSaver's own order
  // follows its jsonb channel_versions, which our official layout keeps).
  const cases = variants.map(([variant, reference, open, patch]) => {
    const order = variant === "RustPostgresSaver compact layout" ? "SqliteSaver" : reference;
    return [variant, order, open, patch] as const;
  });

  it.each(cases)("%s gives %s's order", async (_variant, order, open, patch) => {
    expect(await withVariant(open, patch, orderRead)).toEqual(expected[order]);
  });
});

test("a patched MemorySaver's threads keep their channel order when unpatching moves them back", async () => {
  const saver = new MemorySaver();
  patchLangGraph({ memorySaver: true, sqliteSaver: false, postgresSaver: false, stateMerger: false, caches: false });
  let inStore: unknown;
  try {
    inStore = await orderRead(saver);
  } finally {
    unpatchLangGraph();
  }
  const keys = (await saver.getTuple({ configurable: { thread_id: "order" } }))?.checkpoint.channel_values;
  const reference = await withVariant(references.MemorySaver, undefined, orderRead);
  expect(inStore).toEqual(reference);
  expect(Object.keys(keys ?? {})).toEqual((reference as unknown[]).at(-12));
});
