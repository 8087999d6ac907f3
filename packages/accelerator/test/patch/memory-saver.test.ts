import { MemorySaver } from "@langchain/langgraph";

import { getPatchStatus, patchLangGraph, unpatchLangGraph } from "../../src";
import { acceleratedMemorySaverMethods, restoreMemorySavers } from "../../src/patch/memory-saver";
import { scenarios } from "../support/graphs";
import { normalize } from "../support/normalize";

type Methods = Record<string, unknown>;

/** What patchLangGraph does for MemorySaver, done by hand: swap the prototype methods, and undo. */
function accelerateMemorySaver(): () => void {
  const proto = MemorySaver.prototype as unknown as Methods;
  const originals: Methods = {};
  for (const [name, method] of Object.entries(acceleratedMemorySaverMethods)) {
    originals[name] = proto[name];
    proto[name] = method;
  }
  return () => {
    restoreMemorySavers();
    Object.assign(proto, originals);
  };
}

async function tuplesOf(saver: MemorySaver) {
  const out = [];
  for await (const t of saver.list({})) out.push(t);
  return normalize(out);
}

describe("MemorySaver kept in a Rust store", () => {
  it.each(Object.entries(scenarios))("%s: same outputs, events and history as the plain MemorySaver", async (_name, run) => {
    const expected = normalize(await run(new MemorySaver()));
    const undo = accelerateMemorySaver();
    try {
      expect(normalize(await run(new MemorySaver()))).toEqual(expected);
    } finally {
      undo();
    }
  });

  it("moves threads written before acceleration into the store, and everything back on restore", async () => {
    const saver = new MemorySaver();
    const { messagesAgent, interruptAndResume } = scenarios;
    await messagesAgent(saver);
    const before = await tuplesOf(saver);

    const undo = accelerateMemorySaver();
    let during: unknown;
    let storageView: unknown;
    try {
      expect(await tuplesOf(saver)).toEqual(before);
      await interruptAndResume(saver);
      during = await tuplesOf(saver);
      storageView = Object.keys(saver.storage).sort();
    } finally {
      undo();
    }
    expect(storageView).toEqual(["agent", "hitl"]);
    expect(await tuplesOf(saver)).toEqual(during);
    expect((during as unknown[]).length).toBeGreaterThan((before as unknown[]).length);

    // The restored instance keeps working with LangGraph's own MemorySaver code.
    const again = await saver.getTuple({ configurable: { thread_id: "agent" } });
    expect(again?.checkpoint.channel_values.messages).toBeDefined();
    const tuple = await saver.put(
      { configurable: { thread_id: "agent", checkpoint_ns: "", checkpoint_id: again?.config.configurable?.checkpoint_id } },
      { ...again!.checkpoint, id: "ffffffff-ffff-6fff-8fff-ffffffffffff" },
      { source: "update", step: 99, parents: {} },
    );
    expect((await saver.getTuple(tuple))?.checkpoint.channel_values.messages).toEqual(again?.checkpoint.channel_values.messages);
  });
});

describe("getPatchStatus().memorySavers", () => {
  it("counts the accelerated instances and the bytes their stores hold, falling when a thread is deleted", async () => {
    const moveAfter = process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER;
    process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER = "0";
    await patchLangGraph();
    if (moveAfter === undefined) delete process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER;
    else process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER = moveAfter;
    try {
      const start = getPatchStatus().memorySavers;
      const saver = new MemorySaver();
      const config = { configurable: { thread_id: "big", checkpoint_ns: "" } };
      const text = "a checkpoint of some size ".repeat(20_000);
      await saver.put(
        config,
        { v: 4, id: "1", ts: "2026-12-02T00:00:00.000Z", channel_values: { text }, channel_versions: { text: 1 }, versions_seen: {} },
        { source: "input", step: -1, parents: {} },
      );
      const held = getPatchStatus().memorySavers;
      expect(held.instances).toBe(start.instances + 1);
      expect(held.memoryBytes - start.memoryBytes).toBeGreaterThan(text.length);
      await saver.deleteThread("big");
      expect(getPatchStatus().memorySavers.memoryBytes).toBeLessThan(held.memoryBytes);
    } finally {
      unpatchLangGraph();
    }
    expect(getPatchStatus().memorySavers).toEqual({ instances: 0, memoryBytes: 0 });
  });
});
