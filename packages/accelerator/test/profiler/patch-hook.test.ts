import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RunnableConfig } from "@langchain/core/runnables";
import { Annotation, START, StateGraph } from "@langchain/langgraph";
import { Pregel } from "@langchain/langgraph/pregel";
import type { Checkpoint, CheckpointMetadata, PendingWrite } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { patchOptionsFromEnv } from "../../src/patch/auto-patch";
import { getPatchStatus, patchLangGraph, unpatchLangGraph } from "../../src/patch/patch-langgraph";
import { getProfiler } from "../../src/profiler/global";

/** Pregel's run loop as installed now (a private method in LangGraph's types). */
const runLoop = () => (Pregel.prototype as unknown as Record<string, unknown>)._runLoop;
const State = Annotation.Root({ n: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }) });
const OTHERS_OFF = { memorySaver: false, sqliteSaver: false, postgresSaver: false, stateMerger: false, caches: false } as const;

class CountingSqliteSaver extends SqliteSaver {
  calls = { getTuple: 0, put: 0, putWrites: 0, list: 0 };
  async getTuple(config: RunnableConfig) {
    this.calls.getTuple++;
    return super.getTuple(config);
  }
  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata) {
    this.calls.put++;
    return super.put(config, checkpoint, metadata);
  }
  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string) {
    this.calls.putWrites++;
    return super.putWrites(config, writes, taskId);
  }
}

describe("patchLangGraph({ profile: true })", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "flg-profiler-patch-"));
  });
  afterAll(() => {
    unpatchLangGraph();
    rmSync(dir, { recursive: true, force: true });
  });

  test("is opt-in, attaches to every graph run once (subgraphs included), probes the graph's saver, and switches off", async () => {
    const original = runLoop();
    await patchLangGraph(OTHERS_OFF);
    expect(runLoop()).toBe(original);
    expect(getPatchStatus().patched.some((p) => p.part === "profile")).toBe(false);

    const report = await patchLangGraph({ ...OTHERS_OFF, profile: true });
    expect(report.patched.filter((p) => p.part === "profile").map((p) => `${p.target}:${p.format}`)).toContain("Pregel:cjs");
    expect(getPatchStatus().patched.some((p) => p.part === "profile" && p.target === "Pregel")).toBe(true);
    expect(runLoop()).not.toBe(original);

    const log: string[] = [];
    const sub = new StateGraph(State)
      .addNode("inner", async () => {
        log.push("inner");
        return { n: 1 };
      })
      .addEdge(START, "inner")
      .compile();
    const saver = new CountingSqliteSaver(SqliteSaver.fromConnString(path.join(dir, "hook.db")).db);
    const graph = new StateGraph(State)
      .addNode("outer", async () => {
        log.push("outer");
        return { n: 1 };
      })
      .addNode("sub", sub)
      .addEdge(START, "outer")
      .addEdge("outer", "sub")
      .compile({ checkpointer: saver });
    const profiler = getProfiler();
    if (!profiler) throw new Error("no process-wide profiler");
    profiler.reset();
    const config = { configurable: { thread_id: "hook" } };
    await graph.invoke({ n: 0 }, config);
    // The profiler's own handler in the user's callbacks records nothing while the hooks record the run: not doubled.
    await graph.invoke({ n: 0 }, { ...config, callbacks: [profiler.handler] });
    for await (const _ of await graph.stream({ n: 0 }, config));

    const s = profiler.summary();
    expect(s.totals.graphRuns).toBe(3);
    expect(s.graphRuns.filter((g) => g.parentRunId)).toHaveLength(3);
    expect(s.nodes.find((n) => n.node === "outer")?.count).toBe(log.filter((l) => l === "outer").length);
    expect(s.nodes.find((n) => n.node === "inner")?.count).toBe(log.filter((l) => l === "inner").length);
    expect(log.filter((l) => l === "inner")).toHaveLength(3);
    const ops = profiler.store.data.checkpointOps;
    expect({
      getTuple: ops.filter((o) => o.op === "getTuple").length,
      put: ops.filter((o) => o.op === "put").length,
      putWrites: ops.filter((o) => o.op === "putWrites").length,
      list: ops.filter((o) => o.op === "list").length,
    }).toEqual({ ...saver.calls, list: 0 });

    unpatchLangGraph();
    expect(runLoop()).toBe(original);
    expect(Object.hasOwn(saver, "put")).toBe(false);
    const before = profiler.store.data.tasks.length;
    await graph.invoke({ n: 0 }, config);
    expect(profiler.store.data.tasks.length).toBe(before);
  });

  test("FAST_LANGGRAPH_PROFILE=1 switches it on from the environment", () => {
    expect(patchOptionsFromEnv({ FAST_LANGGRAPH_PROFILE: "1" }).profile).toBe(true);
    expect(patchOptionsFromEnv({ FAST_LANGGRAPH_PROFILE: "1", FAST_LANGGRAPH_PATCH_DISABLE: "profile" }).profile).toBe(false);
    expect(patchOptionsFromEnv({}).profile).toBeUndefined();
    const out = execFileSync(process.execPath, [path.join(__dirname, "..", "patch", "fixtures", "profile-env.cjs")], {
      cwd: path.join(__dirname, "..", ".."),
      encoding: "utf8",
      env: { ...process.env, FAST_LANGGRAPH_PROFILE: "1", FAST_LANGGRAPH_AUTO_PATCH: "" },
    });
    const seen = JSON.parse(out.trim().split("\n").pop() as string);
    expect(seen).toEqual({
      patched: [
        "profile:BaseChatModel",
        "profile:CallbackManager",
        "profile:CallbackManagerForLLMRun",
        "profile:Pregel",
        "profile:StructuredTool",
      ],
      runs: 3,
      nodes: { one: 3, two: 3 },
    });
  });
});
