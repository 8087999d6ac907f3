import type { RunnableConfig } from "@langchain/core/runnables";
import { type BaseCheckpointSaver, type CheckpointListOptions, emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";

import { dropSchemas, references, variants, withVariant } from "./variants";

afterAll(dropSchemas);

/** Five checkpoints on one thread (steps 0-4, each a child of the one before); ids are returned. */
async function fill(saver: BaseCheckpointSaver): Promise<string[]> {
  const ids: string[] = [];
  let config: RunnableConfig = { configurable: { thread_id: "t", checkpoint_ns: "" } };
  for (let step = 0; step < 5; step++) {
    const checkpoint = { ...emptyCheckpoint(), id: uuid6(step) };
    config = await saver.put(config, checkpoint, { source: "loop", step, parents: {} }, {});
    ids.push(checkpoint.id);
  }
  return ids;
}

/** The steps `list` yields for these options, or "error" when it fails. */
async function listed(saver: BaseCheckpointSaver, options: (ids: string[]) => CheckpointListOptions) {
  const ids = await fill(saver);
  try {
    const steps = [];
    for await (const t of saver.list({ configurable: { thread_id: "t" } }, options(ids))) steps.push(t.metadata?.step);
    return steps;
  } catch {
    return "error";
  }
}

/** A checkpoint id between steps 2 and 3 that no checkpoint has. */
const missingAfter2 = (ids: string[]) => `${ids[2]}0`;

const cases: Array<[string, (ids: string[]) => CheckpointListOptions]> = [
  ["limit NaN", () => ({ limit: Number.NaN })],
  ["limit -1", () => ({ limit: -1 })],
  ["limit 0", () => ({ limit: 0 })],
  ["limit 2.5", () => ({ limit: 2.5 })],
  ["limit 0.5", () => ({ limit: 0.5 })],
  ["limit Infinity", () => ({ limit: Number.POSITIVE_INFINITY })],
  ['limit "2" (a numeric string)', () => ({ limit: "2" as unknown as number })],
  ["limit null", () => ({ limit: null as unknown as number })],
  ["before a missing checkpoint", (ids) => ({ before: { configurable: { checkpoint_id: missingAfter2(ids) } } })],
  ["before a missing checkpoint, limit 1", (ids) => ({ before: { configurable: { checkpoint_id: missingAfter2(ids) } }, limit: 1 })],
  ["before an empty checkpoint id", () => ({ before: { configurable: { checkpoint_id: "" } } })],
  ["filter with an undefined value", () => ({ filter: { source: undefined } })],
  ["filter with a value and an undefined one", () => ({ filter: { step: 3, source: undefined } })],
  ["filter with an undefined value, limit 2", () => ({ filter: { absent: undefined }, limit: 2 })],
];

describe.each(cases)("list with %s (issue 11 case 10)", (_name, options) => {
  const expected: Record<string, unknown> = {};
  beforeAll(async () => {
    for (const [name, open] of Object.entries(references)) expected[name] = await withVariant(open, undefined, (s) => listed(s, options));
  });

  it.each(variants)("%s yields what %s yields", async (_variant, reference, open, patch) => {
    expect(await withVariant(open, patch, (s) => listed(s, options))).toEqual(expected[reference]);
  });
});
