import { type BaseMessage, HumanMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { type Checkpoint, emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";

import { RustSqliteSaver } from "../../src";
import { temporaryDatabase } from "../support/temporary-database";

// The native store keeps, per channel, the value getTuple last assembled from a list's increment
// chain and joins only the rows stored since onto it. Every read here is compared with a saver on the
// same file that keeps nothing (it assembles the whole chain from the rows), after writes that change
// stored rows: by another connection, by a put storing a checkpoint again, by deleteThread.

const THREAD = "assembled";

function checkpoint(id: string, messages: BaseMessage[], version: number): Checkpoint {
  return { ...emptyCheckpoint(), id, ts: new Date(0).toISOString(), channel_values: { messages }, channel_versions: { messages: version } };
}

/** Puts one checkpoint per message, each holding the list so far (stored as increments). */
async function putChain(saver: RustSqliteSaver, ids: string[], text: (i: number) => string): Promise<RunnableConfig[]> {
  const configs: RunnableConfig[] = [];
  let config: RunnableConfig = { configurable: { thread_id: THREAD, checkpoint_ns: "" } };
  const messages: BaseMessage[] = [];
  for (let i = 0; i < ids.length; i++) {
    messages.push(new HumanMessage({ content: text(i), id: `m${i}` }));
    config = await saver.put(
      config,
      checkpoint(ids[i], [...messages], i + 1),
      { source: "loop", step: i, parents: {} },
      { messages: i + 1 },
    );
    configs.push(config);
  }
  return configs;
}

async function contents(saver: RustSqliteSaver, config: RunnableConfig): Promise<unknown> {
  const tuple = await saver.getTuple(config);
  return (tuple?.checkpoint.channel_values.messages as BaseMessage[] | undefined)?.map((m) => [m.id, m.content]);
}

const reader = (file: string) => new RustSqliteSaver(file, { assembledValueBytes: 0, decodedListBytes: 0 });

describe("RustSqliteSaver's assembled values", () => {
  const ids = Array.from({ length: 40 }, () => uuid6(-1));
  const latest = { configurable: { thread_id: THREAD, checkpoint_ns: "" } };

  it("serves a grown thread's reads from the last value read plus the rows stored since", async () => {
    const file = temporaryDatabase("assembled-grow");
    const saver = new RustSqliteSaver(file);
    const reference = reader(file);
    try {
      const configs = await putChain(saver, ids.slice(0, 20), (i) => `first ${i}`);
      expect(await contents(saver, latest)).toEqual(await contents(reference, latest));
      let config = configs[configs.length - 1];
      const tuple = await saver.getTuple(config);
      const messages = [...((tuple?.checkpoint.channel_values.messages as BaseMessage[] | undefined) ?? [])];
      for (let i = 20; i < 40; i++) {
        messages.push(new HumanMessage({ content: `first ${i}`, id: `m${i}` }));
        config = await saver.put(
          config,
          checkpoint(ids[i], [...messages], i + 1),
          { source: "loop", step: i, parents: {} },
          { messages: i + 1 },
        );
        expect(await contents(saver, latest)).toEqual(await contents(reference, latest));
      }
      // An older checkpoint of the thread reads as stored too (its chain stops short of the remembered value).
      expect(await contents(saver, configs[5])).toEqual(await contents(reference, configs[5]));
      const stats = saver.cacheStats().assembledValues;
      expect(stats?.hits).toBeGreaterThanOrEqual(19);
      expect(stats?.entries).toBe(1);
      expect(stats?.bytes).toBeLessThanOrEqual(stats?.maxBytes ?? 0);
      expect((await contents(saver, latest)) as unknown[]).toHaveLength(40);
    } finally {
      saver.close();
      reference.close();
    }
  });

  it("sees another connection's rewrite of the thread under the same checkpoint ids", async () => {
    const file = temporaryDatabase("assembled-other");
    const saver = new RustSqliteSaver(file);
    const other = new RustSqliteSaver(file);
    try {
      await putChain(saver, ids.slice(0, 12), (i) => `first ${i}`);
      expect(await contents(saver, latest)).toHaveLength(12);
      await other.deleteThread(THREAD);
      await putChain(other, ids.slice(0, 14), (i) => `second ${i}`);
      expect(await contents(saver, latest)).toEqual(await contents(other, latest));
      expect(((await contents(saver, latest)) as string[][])[0][1]).toBe("second 0");
    } finally {
      saver.close();
      other.close();
    }
  });

  it("reads a checkpoint stored again (a retried put with other values) as stored", async () => {
    const file = temporaryDatabase("assembled-retried");
    const saver = new RustSqliteSaver(file);
    const reference = reader(file);
    try {
      const configs = await putChain(saver, ids.slice(0, 10), (i) => `first ${i}`);
      expect(await contents(saver, latest)).toHaveLength(10);
      // The checkpoint at index 4 again, its list's first message changed: stored whole under the same id.
      const changed = [new HumanMessage({ content: "rewritten", id: "m0" })];
      for (let i = 1; i <= 4; i++) changed.push(new HumanMessage({ content: `first ${i}`, id: `m${i}` }));
      await saver.put(configs[3], checkpoint(ids[4], changed, 5), { source: "loop", step: 4, parents: {} }, { messages: 5 });
      expect(await contents(saver, latest)).toEqual(await contents(reference, latest));
      expect(await contents(saver, configs[4])).toEqual(await contents(reference, configs[4]));
      // As in LangGraph's savers, the checkpoint stored again holds its new values and the checkpoints
      // after it keep theirs (before, their rows built on the replaced one: reading them failed).
      expect(((await contents(saver, configs[4])) as string[][])[0][1]).toBe("rewritten");
      expect(((await contents(saver, configs[9])) as string[][]).map(([, c]) => c)).toEqual(
        Array.from({ length: 10 }, (_, i) => `first ${i}`),
      );
      expect(await contents(reference, configs[9])).toEqual(await contents(saver, configs[9]));
      for (const c of configs) expect(await contents(saver, c)).toEqual(await contents(reference, c));
    } finally {
      saver.close();
      reference.close();
    }
  });

  it("reads a thread deleted and written again under the same ids as written", async () => {
    const saver = new RustSqliteSaver(":memory:");
    try {
      await putChain(saver, ids.slice(0, 8), (i) => `first ${i}`);
      expect(await contents(saver, latest)).toHaveLength(8);
      await saver.deleteThread(THREAD);
      expect(saver.cacheStats().assembledValues?.entries).toBe(0);
      await putChain(saver, ids.slice(0, 9), (i) => `second ${i}`);
      const read = (await contents(saver, latest)) as string[][];
      expect(read.map(([, c]) => c)).toEqual(Array.from({ length: 9 }, (_, i) => `second ${i}`));
    } finally {
      saver.close();
    }
  });

  it("is bounded: assembledValueBytes 0 keeps nothing, a bad bound names the option", () => {
    const off = new RustSqliteSaver(":memory:", { assembledValueBytes: 0 });
    expect(off.cacheStats().assembledValues?.maxBytes).toBe(0);
    off.close();
    expect(() => new RustSqliteSaver(":memory:", { assembledValueBytes: -1 })).toThrow(/assembledValueBytes/);
    const official = new RustSqliteSaver(":memory:", { layout: "official" });
    expect(official.cacheStats().assembledValues).toBeUndefined();
    official.close();
  });
});
