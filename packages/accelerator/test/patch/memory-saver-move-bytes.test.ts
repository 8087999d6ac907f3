import { AIMessage, type BaseMessage, HumanMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { type BaseCheckpointSaver, MemorySaver, emptyCheckpoint } from "@langchain/langgraph-checkpoint";

import { OriginalMemorySaver } from "../fuzz/support/original-savers";
import { getPatchStatus, patchLangGraph, unpatchLangGraph } from "../../src";
import { DEFAULT_MOVE_AFTER_BYTES, DEFAULT_MOVE_AFTER_PUTS, moveThresholds } from "../../src/patch/memory-saver-methods";
import * as memorySaverModule from "../../src/patch/memory-saver";
import { normalize } from "../support/normalize";

const META = { source: "loop" as const, step: 0, parents: {} };
const at = (thread: string) => ({ configurable: { thread_id: thread, checkpoint_ns: "" } }) as RunnableConfig;
const cp = (id: string, text: string) => ({ ...emptyCheckpoint(), id, ts: "2026-12-02T00:00:00.000Z", channel_values: { text } });
const moved = (saver: MemorySaver) => Object.getOwnPropertyDescriptor(saver, "storage")?.get !== undefined;

async function everything(saver: MemorySaver) {
  const out = [];
  for await (const t of saver.list({})) out.push(t);
  return normalize(out);
}

/** Puts checkpoints of `bytes` characters each, from `from` on, one after the other, on both savers. */
async function putOnBoth(saver: MemorySaver, reference: MemorySaver, count: number, bytes: number, from = 0) {
  for (let i = from; i < from + count; i++) {
    const id = `id-${String(i).padStart(4, "0")}`;
    const text = `${i} `.repeat(Math.ceil(bytes / `${i} `.length)).slice(0, bytes);
    await saver.put(at("t"), cp(id, text), META);
    await reference.put(at("t"), cp(id, text), META);
  }
}

/** What MemorySaver stored as checkpoints and metadata, in bytes. */
function storedBytes(saver: MemorySaver): number {
  let n = 0;
  for (const namespaces of Object.values(saver.storage))
    for (const checkpoints of Object.values(namespaces))
      for (const [checkpoint, metadata] of Object.values(checkpoints)) n += checkpoint.length + metadata.length;
  return n;
}

const VARS = ["FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER", "FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER_BYTES"];

function withEnv(values: Record<string, string | undefined>, body: () => void) {
  const saved = VARS.map((name) => process.env[name]);
  try {
    for (const name of VARS) {
      if (values[name] === undefined) delete process.env[name];
      else process.env[name] = values[name];
    }
    body();
  } finally {
    VARS.forEach((name, i) => {
      if (saved[i] === undefined) delete process.env[name];
      else process.env[name] = saved[i];
    });
  }
}

describe("a patched MemorySaver moves into a Rust store only once it holds enough puts and bytes", () => {
  it("reads both thresholds from the environment and refuses values it cannot use, naming the variable", () => {
    withEnv({}, () => expect(moveThresholds()).toEqual({ puts: DEFAULT_MOVE_AFTER_PUTS, bytes: DEFAULT_MOVE_AFTER_BYTES }));
    withEnv({ FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER: "0" }, () => expect(moveThresholds()).toEqual({ puts: 0, bytes: 0 }));
    withEnv({ FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER_BYTES: "1000" }, () =>
      expect(moveThresholds()).toEqual({ puts: DEFAULT_MOVE_AFTER_PUTS, bytes: 1000 }),
    );
    withEnv({ FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER_BYTES: "-1" }, () =>
      expect(() => moveThresholds()).toThrow(/FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER_BYTES must be a whole number of bytes/),
    );
    withEnv({ FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER_BYTES: "1e400" }, () => expect(() => moveThresholds()).toThrow(/"1e400"/));
  });

  describe("with the default thresholds", () => {
    let saved: (string | undefined)[];
    beforeAll(async () => {
      saved = VARS.map((name) => process.env[name]);
      for (const name of VARS) delete process.env[name];
      await patchLangGraph();
    });
    afterAll(() => {
      unpatchLangGraph();
      VARS.forEach((name, i) => {
        if (saved[i] !== undefined) process.env[name] = saved[i];
      });
    });

    it("stays on its own methods past 16 small puts, moves once its checkpoints pass 256 KiB, and reads as MemorySaver throughout", async () => {
      const saver = new MemorySaver();
      const reference = new OriginalMemorySaver();
      await putOnBoth(saver, reference, 3 * DEFAULT_MOVE_AFTER_PUTS, 100);
      expect(moved(saver)).toBe(false);
      expect(await everything(saver)).toEqual(await everything(reference));
      // 8 KiB checkpoints: it moves at the first put made once the bytes stored before it reach 256 KiB.
      const totals = [storedBytes(reference)];
      while (!moved(saver) && totals.length < 64) {
        await putOnBoth(saver, reference, 1, 8 * 1024, 1000 + totals.length);
        totals.push(storedBytes(reference));
      }
      expect(moved(saver)).toBe(true);
      const beforeMovingPut = totals[totals.length - 2];
      const beforeThePutBefore = totals[totals.length - 3];
      expect(beforeMovingPut).toBeGreaterThanOrEqual(DEFAULT_MOVE_AFTER_BYTES);
      expect(beforeThePutBefore).toBeLessThan(DEFAULT_MOVE_AFTER_BYTES);
      await putOnBoth(saver, reference, 3, 100, 2000);
      expect(await everything(saver)).toEqual(await everything(reference));
    });

    it("a saver of many puts that never reaches the bytes threshold never moves", async () => {
      const saver = new MemorySaver();
      const reference = new OriginalMemorySaver();
      await putOnBoth(saver, reference, 200, 10);
      expect(moved(saver)).toBe(false);
      expect(await everything(saver)).toEqual(await everything(reference));
    });
  });
});

describe("a patched MemorySaver serving concurrent runs moves at most once", () => {
  beforeAll(async () => {
    for (const name of VARS) delete process.env[name];
    await patchLangGraph();
  });
  afterAll(() => {
    unpatchLangGraph();
    process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER = "2";
  });

  it("a write to a checkpoint it held when it moved sends it back to its own fields for good, not into a round trip per move", async () => {
    const restores = jest.spyOn(memorySaverModule, "restoreMemorySaver");
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("agent", async (state) => {
        await new Promise((resolve) => setImmediate(resolve));
        return {
          messages: [
            new AIMessage({
              content: `answer ${state.messages.length} `.repeat(60),
              id: `${state.messages[0].id}-a${state.messages.length}`,
            }),
          ],
        };
      })
      .addEdge(START, "agent");
    const serve = async (saver: BaseCheckpointSaver) => {
      const app = graph.compile({ checkpointer: saver });
      let next = 0;
      const worker = async () => {
        while (next < 48) {
          const t = next++;
          for (let k = 0; k < 5; k++)
            await app.invoke(
              { messages: [new HumanMessage({ content: `question ${t}.${k}`, id: `t${t}-h${k}` })] },
              { configurable: { thread_id: `t${t}` } },
            );
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      const states = [];
      for (let t = 0; t < 48; t++)
        states.push(
          (await app.getState({ configurable: { thread_id: `t${t}` } })).values.messages.map((m: BaseMessage) => [
            m.getType(),
            m.id,
            m.content,
          ]),
        );
      return states;
    };
    try {
      const patched = await serve(new MemorySaver());
      const moveBacks = restores.mock.results.filter((r) => r.value === true).length;
      expect(moveBacks).toBeLessThanOrEqual(1);
      expect(patched).toEqual(await serve(new OriginalMemorySaver()));
    } finally {
      restores.mockRestore();
    }
  });
});
