import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import type { StateSnapshot } from "@langchain/langgraph";
import type { BaseCheckpointSaver, CheckpointTuple } from "@langchain/langgraph-checkpoint";

import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";

import { RustPostgresSaver, schedulePostgresSaverRetention } from "../../src";
import { scenarios } from "../support/graphs";
import { normalize } from "../support/normalize";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";
import { openSaver, saverKinds } from "./postgres-savers";

function chat(saver: BaseCheckpointSaver) {
  return new StateGraph(MessagesAnnotation)
    .addNode("model", (s) => ({ messages: [new AIMessage(`answer ${s.messages.length} `.repeat(30))] }))
    .addEdge(START, "model")
    .compile({ checkpointer: saver });
}

async function historyOf(graph: ReturnType<typeof chat>, config: object) {
  const out: StateSnapshot[] = [];
  for await (const s of graph.getStateHistory(config)) out.push(s);
  return out;
}

async function everyTuple(saver: BaseCheckpointSaver): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const t of saver.list({})) out.push(t);
  return out;
}

const key = (t: CheckpointTuple) =>
  `${t.config.configurable?.thread_id}|${t.config.configurable?.checkpoint_ns}|${t.config.configurable?.checkpoint_id}`;

describe.each(saverKinds)("state history after pruning (%s)", (kind) => {
  it("returns the kept checkpoints exactly as they were, and the thread continues", async () => {
    const { saver, prune, close } = await openSaver(kind, "history");
    try {
      const graph = chat(saver);
      const config = { configurable: { thread_id: "chat" } };
      for (let i = 0; i < 12; i++) await graph.invoke({ messages: [new HumanMessage(`question ${i}`)] }, config);
      const before = await historyOf(graph, config);

      const report = await prune({ keepLast: 4 });
      const after = await historyOf(graph, config);
      expect(report.threads).toBe(1);
      expect(report.checkpoints).toBe(before.length - 4);
      expect(report.values).toBeGreaterThan(0);
      expect(report.bytes).toBeGreaterThan(0);
      expect(after).toHaveLength(4);
      expect(normalize(after)).toEqual(normalize(before.slice(0, 4)));

      // A second prune with the same policy finds nothing more; the thread goes on from its newest checkpoint.
      expect(await prune({ keepLast: 4 })).toEqual({ threads: 0, checkpoints: 0, writes: 0, values: 0, bytes: 0 });
      await graph.invoke({ messages: [new HumanMessage("one more")] }, config);
      const state = await graph.getState(config);
      expect(state.values.messages).toHaveLength(26);
      expect(state.values.messages[0].content).toBe("question 0");
    } finally {
      await close();
    }
  });

  it("keeps what every scenario needs: subgraph links, forks, interrupts, DeltaChannel replay ancestors", async () => {
    const { saver, prune, close } = await openSaver(kind, "scenarios");
    try {
      for (const run of Object.values(scenarios)) await run(saver);
      const before = await everyTuple(saver);
      // DeltaChannel: the replay of every checkpoint whose messages LangGraph rebuilds from ancestors
      // (it holds no snapshot of them).
      const replays = new Map<string, unknown>();
      const replayed = (t: CheckpointTuple) =>
        t.config.configurable?.thread_id === "delta" && t.checkpoint.channel_values.messages === undefined;
      for (const t of before.filter(replayed)) {
        replays.set(key(t), normalize(await saver.getDeltaChannelHistory({ config: t.config, channels: ["messages"] })));
      }
      const newest = new Map<string, string>();
      for (const t of before) {
        const ns = `${t.config.configurable?.thread_id}|${t.config.configurable?.checkpoint_ns}`;
        if (!newest.has(ns)) newest.set(ns, key(t));
      }

      // Two per namespace: the older of the delta thread's two is no snapshot, so its replay ancestors must stay.
      const report = await prune({ keepLast: 2 });
      const after = await everyTuple(saver);
      expect(report.checkpoints).toBe(before.length - after.length);
      expect(report.checkpoints).toBeGreaterThan(0);
      // Every kept checkpoint reads back exactly as before, and each namespace keeps its newest.
      const beforeByKey = new Map(before.map((t) => [key(t), t]));
      for (const t of after) expect(normalize(t)).toEqual(normalize(beforeByKey.get(key(t))));
      const kept = new Set(after.map(key));
      for (const k of newest.values()) expect(kept.has(k)).toBe(true);
      // Subgraph links: every kept checkpoint's metadata.parents target is kept.
      for (const t of after) {
        const parents = (t.metadata?.parents ?? {}) as Record<string, string>;
        for (const [ns, id] of Object.entries(parents)) expect(kept.has(`${t.config.configurable?.thread_id}|${ns}|${id}`)).toBe(true);
      }
      const keptReplays = after.filter(replayed);
      expect(keptReplays.length).toBeGreaterThan(0);
      for (const t of keptReplays) {
        const history = await saver.getDeltaChannelHistory({ config: t.config, channels: ["messages"] });
        expect(normalize(history)).toEqual(replays.get(key(t)));
      }
    } finally {
      await close();
    }
  });

  it("deletes whole threads with strategy delete, only when they are older than the cutoff", async () => {
    const { saver, prune, close } = await openSaver(kind, "delete");
    try {
      const graph = chat(saver);
      await graph.invoke({ messages: [new HumanMessage("old")] }, { configurable: { thread_id: "a" } });
      await graph.invoke({ messages: [new HumanMessage("old")] }, { configurable: { thread_id: "b" } });
      expect((await prune({ strategy: "delete", olderThan: 60_000 })).threads).toBe(0);
      const report = await prune({ strategy: "delete", threadIds: ["a"] });
      expect(report.threads).toBe(1);
      expect(await saver.getTuple({ configurable: { thread_id: "a" } })).toBeUndefined();
      expect((await saver.getTuple({ configurable: { thread_id: "b" } }))?.checkpoint.channel_values).toBeDefined();
    } finally {
      await close();
    }
  });
});

describe("RustPostgresSaver retention", () => {
  it("leaves no row of a pruned checkpoint behind, in either layout's tables", async () => {
    for (const layout of ["compact", "official"] as const) {
      const schema = freshSchema("rows");
      const saver = new RustPostgresSaver(postgresUrl(), { schema, layout });
      await saver.setup();
      const graph = chat(saver);
      const config = { configurable: { thread_id: "t" } };
      for (let i = 0; i < 6; i++) await graph.invoke({ messages: [new HumanMessage(`q${i}`)] }, config);
      await saver.prune({ keepLast: 1, strategy: "keep_latest" });
      const counts = await withPg(async (c) => {
        const q = async (sql: string) => Number((await c.query(sql)).rows[0].n);
        const cp = layout === "compact" ? "flg_checkpoints" : "checkpoints";
        const wr = layout === "compact" ? "flg_writes" : "checkpoint_writes";
        return {
          checkpoints: await q(`SELECT COUNT(*) AS n FROM "${schema}".${cp}`),
          orphanWrites: await q(
            `SELECT COUNT(*) AS n FROM "${schema}".${wr} w WHERE NOT EXISTS (SELECT 1 FROM "${schema}".${cp} c WHERE c.checkpoint_id = w.checkpoint_id)`,
          ),
          // Official blobs no checkpoint names; compact values no chain from a kept reference reaches.
          strayValues:
            layout === "official"
              ? await q(
                  `SELECT COUNT(*) AS n FROM "${schema}".checkpoint_blobs b WHERE NOT EXISTS (SELECT 1 FROM "${schema}".checkpoints c
                   WHERE c.checkpoint -> 'channel_versions' ->> b.channel = b.version)`,
                )
              : await q(
                  `SELECT COUNT(*) AS n FROM "${schema}".flg_blobs b WHERE NOT EXISTS (SELECT 1 FROM "${schema}".flg_checkpoints c
                   CROSS JOIN jsonb_each(c.channel_refs::jsonb) r JOIN "${schema}".flg_blobs o ON o.channel = r.key
                   AND o.owner_id = r.value ->> 0 WHERE o.channel = b.channel AND o.root_owner_id = b.root_owner_id)`,
                ),
        };
      });
      const state = await graph.getState(config);
      await saver.end();
      await dropSchema(schema);
      expect(counts).toEqual({ checkpoints: 1, orphanWrites: 0, strayValues: 0 });
      expect(state.values.messages).toHaveLength(12);
    }
  });

  it("prunes in the background when retention is configured, and stops on end()", async () => {
    const schema = freshSchema("background");
    const reports: number[] = [];
    const saver = new RustPostgresSaver(postgresUrl(), {
      schema,
      layout: "compact",
      retention: { keepLast: 2, every: 20, onPrune: (r) => reports.push(r.checkpoints) },
    });
    await saver.setup();
    const graph = chat(saver);
    const config = { configurable: { thread_id: "bg" } };
    for (let i = 0; i < 5; i++) await graph.invoke({ messages: [new HumanMessage(`q${i}`)] }, config);
    const afterWrites = reports.length;
    while (reports.length < afterWrites + 2) await new Promise((r) => setTimeout(r, 10));
    expect(reports.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(await historyOf(graph, config)).toHaveLength(2);
    await saver.end();
    const seen = reports.length;
    await new Promise((r) => setTimeout(r, 80));
    expect(reports.length).toBe(seen);
    await dropSchema(schema);
  });

  it("prunes a PostgresSaver in the background with schedulePostgresSaverRetention until stopped", async () => {
    const schema = freshSchema("pgbackground");
    const saver = PostgresSaver.fromConnString(postgresUrl(), { schema });
    await saver.setup();
    const graph = chat(saver);
    const config = { configurable: { thread_id: "bg" } };
    for (let i = 0; i < 5; i++) await graph.invoke({ messages: [new HumanMessage(`q${i}`)] }, config);
    const reports: number[] = [];
    const stop = schedulePostgresSaverRetention(saver, { keepLast: 2, every: 20, onPrune: (r) => reports.push(r.checkpoints) });
    while (reports.length < 2) await new Promise((r) => setTimeout(r, 10));
    expect(reports[0]).toBe(5 * 3 - 2);
    expect(await historyOf(graph, config)).toHaveLength(2);
    await stop();
    const seen = reports.length;
    await graph.invoke({ messages: [new HumanMessage("after stop")] }, config);
    await new Promise((r) => setTimeout(r, 80));
    expect(reports.length).toBe(seen);
    expect(await historyOf(graph, config)).toHaveLength(5);
    await saver.end();
    await dropSchema(schema);
  });

  it("rejects a policy that would keep nothing, naming the saver", async () => {
    const saver = new RustPostgresSaver(postgresUrl(), { schema: freshSchema("policy") });
    await expect(saver.prune({ keepLast: 0 })).rejects.toThrow(/RustPostgresSaver.prune: keepLast must be an integer of at least 1/);
    await expect(saver.prune({})).rejects.toThrow(/needs keepLast or olderThan/);
    await expect(saver.prune({ keepLast: 1, strategy: "all" as "delete" })).rejects.toThrow(/strategy must be/);
    await saver.end();
  });
});
