import { MemorySaver } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { RustPostgresSaver, RustSqliteSaver, patchLangGraph, unpatchLangGraph } from "../../src";
import { mutatingScenarios } from "../support/mutating-graphs";
import { normalize } from "../support/normalize";
import { freshSchema, postgresUrl } from "../support/postgres";
import { temporaryDatabase } from "../support/temporary-database";

type Make = () => Promise<BaseCheckpointSaver>;

/** Savers whose calls resolve without I/O, so LangGraph calls them at the same moments as MemorySaver. */
const INLINE = new Set(["RustSqliteSaver :memory:", "MemorySaver"]);

const postgresSaver: Make = async () => {
  const saver = PostgresSaver.fromConnString(postgresUrl(), { schema: freshSchema("mut_official") });
  await saver.setup();
  return saver;
};
const rustPostgres =
  (layout: "official" | "compact"): Make =>
  async () => {
    const saver = new RustPostgresSaver(postgresUrl(), { schema: freshSchema(`mut_${layout}`), layout });
    await saver.setup();
    return saver;
  };

const ours: Record<string, Make> = {
  "RustSqliteSaver :memory:": async () => new RustSqliteSaver(":memory:"),
  "RustSqliteSaver file": async () => new RustSqliteSaver(temporaryDatabase("mut")),
  "RustSqliteSaver file, official layout": async () => new RustSqliteSaver(temporaryDatabase("mut"), { layout: "official" }),
  "RustSqliteSaver file, no increments": async () => new RustSqliteSaver(temporaryDatabase("mut"), { storeIncrements: false }),
  "RustPostgresSaver compact": rustPostgres("compact"),
};

/** Patched classes, each against the same class unpatched. */
const patched: Record<string, Make> = {
  MemorySaver: async () => new MemorySaver(),
  SqliteSaver: async () => SqliteSaver.fromConnString(temporaryDatabase("mut")),
  PostgresSaver: postgresSaver,
};

async function close(saver: BaseCheckpointSaver): Promise<void> {
  const s = saver as { close?: () => void; end?: () => Promise<void>; db?: { close(): void } };
  if (s instanceof RustSqliteSaver) s.close?.();
  else if (typeof s.end === "function") await s.end();
  else s.db?.close();
}

/**
 * LangGraph calls `put` for a step's checkpoint only once the previous put resolved, and hands it the
 * live state objects; a node of that step may already be running. A saver that does I/O (a file, a
 * server) is therefore called later than MemorySaver, and a checkpoint taken before a node ran can
 * already hold that node's in-place change, whichever saver it is (PostgresSaver too). Savers are
 * compared on what does not depend on that timing: the outputs and the checkpoints no node was about
 * to run from (`inline`: the whole history, for savers that resolve without I/O).
 */
async function transcript(make: Make, scenario: (s: BaseCheckpointSaver) => Promise<unknown>, inline = false): Promise<unknown> {
  const saver = await make();
  try {
    const t = (await scenario(saver)) as { outputs: unknown[]; history: Array<{ next: string[] }> };
    return normalize(inline ? t : { outputs: t.outputs, history: t.history.filter((s) => s.next.length === 0) });
  } finally {
    await close(saver);
  }
}

describe.each(Object.entries(mutatingScenarios))("a node that changes state in place: %s", (_name, scenario) => {
  const memory = async () => new MemorySaver();
  const sqlite = async () => SqliteSaver.fromConnString(temporaryDatabase("ref"));

  beforeAll(async () => {
    // The scenario is deterministic and the official file saver agrees with MemorySaver.
    expect(await transcript(sqlite, scenario, true)).toEqual(await transcript(memory, scenario, true));
  });

  it.each(Object.keys(ours))("%s stores exactly what MemorySaver and SqliteSaver store", async (variant) => {
    const inline = INLINE.has(variant);
    expect(await transcript(ours[variant], scenario, inline)).toEqual(await transcript(memory, scenario, inline));
  });

  it("RustPostgresSaver in the official layout stores what PostgresSaver stores", async () => {
    expect(await transcript(rustPostgres("official"), scenario)).toEqual(await transcript(postgresSaver, scenario));
  });

  it.each(Object.keys(patched))("patched %s stores what it stores unpatched", async (name) => {
    const inline = INLINE.has(name);
    const expected = await transcript(patched[name], scenario, inline);
    await patchLangGraph();
    let actual: unknown;
    try {
      actual = await transcript(patched[name], scenario, inline);
    } finally {
      unpatchLangGraph();
    }
    expect(actual).toEqual(expected);
  });
});
