import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { InMemoryCache } from "@langchain/core/caches";
import { CallbackManager, CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { HumanMessage } from "@langchain/core/messages";
import { StructuredTool, tool } from "@langchain/core/tools";
import {
  Annotation,
  Command,
  END,
  MemorySaver,
  MessagesAnnotation,
  START,
  Send,
  StateGraph,
  entrypoint,
  interrupt,
  task,
} from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { Pregel } from "@langchain/langgraph/pregel";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { z } from "zod";
import { getPatchStatus, patchLangGraph, unpatchLangGraph } from "../../src/patch/patch-langgraph";
import { type Profiler, createProfiler } from "../../src/profiler";
import { getProfiler } from "../../src/profiler/global";
import { PROFILER_MODES, type Wrap, recording } from "../support/profiler-modes";
import { ScheduledChatModel, sleep } from "../support/profiler-models";
import { ScriptedToolCallingModel } from "../support/tool-calling-model";

/** Pregel's run loop as installed now (a private method in LangGraph's types). */
const runLoop = () => (Pregel.prototype as unknown as Record<string, unknown>)._runLoop;
const Log = Annotation.Root({
  ran: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** A scenario: builds fresh graphs (and their saver, models and tools) and drives them, wrapping each run's config. */
type Scenario = (wrap: Wrap, profiler: Profiler) => Promise<unknown>;

/** What must be equal whichever way the profiler records: counts, supersteps, attempts, outcomes. */
function shape(p: Profiler) {
  const s = p.summary();
  const raw = p.store.data;
  const nodeOf = new Map(raw.tasks.map((t) => [t.id, t.node]));
  const sorted = (xs: string[]) => [...xs].sort();
  return {
    nodes: s.nodes
      .map((n) => ({
        node: n.node,
        count: n.count,
        tasks: n.tasks,
        retries: n.retries,
        errors: n.errors,
        interrupts: n.interrupts,
        steps: n.steps,
      }))
      .sort((a, b) => a.node.localeCompare(b.node)),
    attempts: sorted(raw.tasks.filter((t) => !t.hidden).map((t) => `${t.node}@${t.step}#${t.attempt}:${t.status}`)),
    modelCalls: sorted(
      raw.modelCalls.map(
        (m) => `${nodeOf.get(m.taskId ?? "") ?? "-"}:${m.status}:${m.cache ?? ""}:${m.inputTokens ?? ""}/${m.outputTokens ?? ""}`,
      ),
    ),
    toolCalls: sorted(raw.toolCalls.map((t) => `${t.name}@${nodeOf.get(t.taskId ?? "") ?? "-"}:${t.status}`)),
    checkpoints: sorted(s.checkpoints.map((c) => `${c.saver}.${c.op}:${c.count}`)),
    graphRuns: sorted(
      raw.graphRuns.map((g) => `${g.name}:${g.status}:${g.threadId ?? ""}:${g.parentTaskId ? `in ${nodeOf.get(g.parentTaskId)}` : "top"}`),
    ),
  };
}

/**
 * Runs the scenario with the callback handler, with the hooks (attach), and with the hooks while the runs
 * carry another callback handler, on fresh graphs each time; the records must have the same shape and the
 * outputs be equal every way.
 */
async function bothWays(scenario: Scenario) {
  const profilers: Profiler[] = [];
  const outs: unknown[] = [];
  for (const mode of PROFILER_MODES) {
    const profiler = createProfiler({ otel: false });
    profilers.push(profiler);
    outs.push(await recording(mode, profiler, (wrap) => scenario(wrap, profiler)));
  }
  const [viaCallbacks, viaHooks, withOthers] = profilers;
  expect(outs[2]).toEqual(outs[0]);
  expect(shape(withOthers)).toEqual(shape(viaCallbacks));
  return { viaCallbacks, viaHooks, withOthers, outCallbacks: outs[0], outHooks: outs[1] };
}

function fanOut(log: string[]) {
  const sub = new StateGraph(Log)
    .addNode("inner", async () => {
      log.push("inner");
      return { ran: ["inner"] };
    })
    .addEdge(START, "inner")
    .compile();
  return new StateGraph(Log)
    .addNode("a", async () => {
      log.push("a");
      return { ran: ["a"] };
    })
    .addNode("b1", async () => {
      log.push("b1");
      await sleep(5);
      return { ran: ["b1"] };
    })
    .addNode("b2", async () => {
      log.push("b2");
      return { ran: ["b2"] };
    })
    .addNode("w", async (x: { i: number }) => {
      log.push(`w${x.i}`);
      return { ran: [`w${x.i}`] };
    })
    .addNode("sub", async (state: typeof Log.State, config) => {
      log.push("sub");
      return sub.invoke(state, config);
    })
    .addNode("direct", sub)
    .addEdge(START, "a")
    .addEdge("a", "b1")
    .addEdge("a", "b2")
    .addConditionalEdges("b1", () => [new Send("w", { i: 1 }), new Send("w", { i: 2 }), new Send("w", { i: 3 })])
    .addEdge("w", "sub")
    .addEdge("sub", "direct")
    .addEdge("direct", END);
}

function agent(saver: MemorySaver | SqliteSaver) {
  const search = tool(async ({ query }: { query: string }) => `found ${query.length}`, {
    name: "search",
    description: "searches",
    schema: z.object({ query: z.string() }),
  });
  const weather = tool(async ({ query }: { query: string }) => `sunny ${query.length}`, {
    name: "weather",
    description: "weather",
    schema: z.object({ query: z.string() }),
  });
  return createReactAgent({ llm: new ScriptedToolCallingModel({}), tools: [search, weather], checkpointSaver: saver });
}

describe("profiler hooks (attach(), no LangChain callbacks) against the callback handler and LangGraph", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "flg-profiler-hooks-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("parallel branches, Send, subgraphs (called and as a node): same records as the callback path and as what LangGraph ran", async () => {
    const logs: string[][] = [];
    const { viaCallbacks, viaHooks, outCallbacks, outHooks } = await bothWays(async (wrap, p) => {
      const log: string[] = [];
      logs.push(log);
      const graph = p.probe(fanOut(log).compile({ checkpointer: new MemorySaver() }));
      const out = await graph.invoke({ ran: [] }, wrap({ configurable: { thread_id: "fan" } }));
      const history = [];
      for await (const snap of graph.getStateHistory({ configurable: { thread_id: "fan" } }))
        history.push([snap.values, snap.next, snap.metadata?.step]);
      return { out, history };
    });
    expect(outHooks).toEqual(outCallbacks);
    expect(shape(viaHooks)).toEqual(shape(viaCallbacks));
    const s = viaHooks.summary();
    // What LangGraph ran: every node's calls in the log, w three times at one step (Send), inner twice (two subgraph runs).
    const ran = (node: string) => logs[1].filter((x) => x === node || (node === "w" && x.startsWith("w"))).length;
    for (const node of ["a", "b1", "b2", "w", "sub", "inner"]) expect(s.nodes.find((n) => n.node === node)?.count).toBe(ran(node));
    expect(s.nodes.find((n) => n.node === "direct")?.count).toBe(1);
    expect(s.nodes.find((n) => n.node === "w")?.steps).toEqual([3]);
    expect(s.nodes.find((n) => n.node === "b1")?.steps).toEqual(s.nodes.find((n) => n.node === "b2")?.steps);
    // Two subgraph runs, each inside the task that ran it.
    const raw = viaHooks.store.data;
    const subRuns = raw.graphRuns.filter((g) => g.parentTaskId);
    expect(subRuns.map((g) => raw.tasks.find((t) => t.id === g.parentTaskId)?.node).sort()).toEqual(["direct", "sub"]);
    for (const g of subRuns) {
      const parent = raw.tasks.find((t) => t.id === g.parentTaskId);
      expect(parent && g.start >= parent.start && (g.end as number) <= (parent.end as number)).toBe(true);
    }
    // Checkpoint op counts equal the saver's: the probe is the same on both paths.
    expect(s.checkpoints.find((c) => c.op === "put")?.count).toBe(viaCallbacks.summary().checkpoints.find((c) => c.op === "put")?.count);
  });

  test("a ReAct agent on SqliteSaver (not replaced): same model, tool and checkpoint counts; outputs and state history equal", async () => {
    let n = 0;
    const calls: Record<string, number>[] = [];
    const { viaCallbacks, viaHooks, outCallbacks, outHooks } = await bothWays(async (wrap, p) => {
      const saver = SqliteSaver.fromConnString(path.join(dir, `agent-${n++}.db`));
      const count: Record<string, number> = { getTuple: 0, put: 0, putWrites: 0, list: 0 };
      for (const op of Object.keys(count)) {
        const own = (saver as unknown as Record<string, (...a: unknown[]) => unknown>)[op];
        (saver as unknown as Record<string, unknown>)[op] = function (this: unknown, ...args: unknown[]) {
          count[op]++;
          return own.apply(this, args);
        };
      }
      calls.push(count);
      const graph = p.probe(agent(saver));
      const config = { configurable: { thread_id: "agent" } };
      const outs = [];
      for (const q of ["use search please", "search and weather", "nothing"])
        outs.push(
          (await graph.invoke({ messages: [new HumanMessage(q)] }, wrap(config))).messages.map((m: { content: unknown }) => m.content),
        );
      const history = [];
      for await (const snap of graph.getStateHistory(config)) history.push([snap.next, snap.metadata?.step, snap.values.messages.length]);
      return { outs, history };
    });
    expect(outHooks).toEqual(outCallbacks);
    expect(shape(viaHooks)).toEqual(shape(viaCallbacks));
    const s = viaHooks.summary();
    // Two turns with tools (a call asking for them, then the answer) and one without.
    expect(s.models.reduce((a, m) => a + m.count, 0)).toBe(5);
    expect(s.tools.map((t) => `${t.name}:${t.count}`).sort()).toEqual(["search:2", "weather:1"]);
    // The saver's real calls, counted by the wrapper above (inside the probe), equal the recorded ops.
    for (const op of ["getTuple", "put", "putWrites"]) expect(s.checkpoints.find((c) => c.op === op)?.count ?? 0).toBe(calls[1][op]);
  });

  test("interrupts and resume, errors, retries and error handlers: same attempts and outcomes", async () => {
    const { viaCallbacks, viaHooks, outCallbacks, outHooks } = await bothWays(async (wrap, p) => {
      const hitl = p.probe(
        new StateGraph(Log)
          .addNode("ask", async () => ({ ran: [`ask:${interrupt("question?") as string}`] }))
          .addNode("after", async () => ({ ran: ["after"] }))
          .addEdge(START, "ask")
          .addEdge("ask", "after")
          .compile({ checkpointer: new MemorySaver() }),
      );
      const config = { configurable: { thread_id: "hitl" } };
      const first = await hitl.invoke({ ran: [] }, wrap(config));
      const resumed = await hitl.invoke(new Command({ resume: "yes" }), wrap(config));
      let calls = 0;
      const flaky = new StateGraph(Log)
        .addNode(
          "flaky",
          async () => {
            calls++;
            if (calls <= 2) throw new Error(`flaky failure ${calls}`);
            return { ran: ["flaky"] };
          },
          { retryPolicy: { maxAttempts: 3, initialInterval: 1, jitter: false, retryOn: () => true, logWarning: false } as never },
        )
        .addEdge(START, "flaky")
        .compile();
      const retried = await flaky.invoke({ ran: [] }, wrap({}));
      const boom = new Error("boom failed");
      const broken = new StateGraph(Log)
        .addNode("boom", async () => {
          throw boom;
        })
        .addEdge(START, "boom")
        .compile();
      const thrown = await broken.invoke({ ran: [] }, wrap({})).catch((e: unknown) => e);
      // The error thrown is the node's own object, with its own stack.
      expect(thrown).toBe(boom);
      // A node with an error handler (LangGraph 1.7): the handler runs as a task of its own in the same step.
      const handled = await new StateGraph(Log)
        .addNode(
          "risky",
          async () => {
            throw new Error("risky failed");
          },
          { errorHandler: (_state: unknown, { error }: { error: Error }) => ({ ran: [`handled ${error.message}`] }) } as never,
        )
        .addEdge(START, "risky")
        .compile()
        .invoke({ ran: [] }, wrap({}));
      // Interrupt ids hash the (time-based) checkpoint id: compare the rest.
      const interrupts = (first as { __interrupt__?: Array<{ value: unknown }> }).__interrupt__?.map((i) => i.value);
      return { interrupts, ran: first.ran, resumed, retried, thrown: String(thrown), calls, handled };
    });
    expect(outHooks).toEqual(outCallbacks);
    expect(shape(viaHooks)).toEqual(shape(viaCallbacks));
    const s = viaHooks.summary();
    expect(s.nodes.find((n) => n.node === "ask")).toMatchObject({ count: 2, interrupts: 1 });
    expect(s.nodes.find((n) => n.node === "flaky")).toMatchObject({ count: 3, tasks: 1, retries: 2, errors: 2 });
    expect(viaHooks.store.data.tasks.find((t) => t.node === "boom")?.error).toContain("boom failed");
    expect(viaHooks.store.data.graphRuns.map((g) => g.status)).toEqual(["ok", "ok", "ok", "error", "ok"]);
    expect(outHooks).toMatchObject({ handled: { ran: ["handled risky failed"] } });
    expect(shape(viaHooks).attempts).toEqual(expect.arrayContaining(["risky@1#1:error", "__error_handler__risky@1#1:ok"]));
  });

  test("streaming: values, updates and messages modes stream the same chunks; time to first token of model.stream() and of models streaming inside invoke", async () => {
    const { viaCallbacks, viaHooks, withOthers, outCallbacks, outHooks } = await bothWays(async (wrap) => {
      const model = new ScheduledChatModel(2);
      const fake = new FakeListChatModel({ responses: ["abc"] });
      const graph = new StateGraph(Log)
        .addNode("chat", async () => {
          let text = "";
          for await (const chunk of await model.stream([new HumanMessage("one two three")])) text += chunk.content;
          return { ran: [text] };
        })
        .addNode("plain", async () => {
          const reply = await model.invoke([new HumanMessage("plain")]);
          const fakeReply = await fake.invoke([new HumanMessage("x")]);
          return { ran: [String(reply.content), String(fakeReply.content)] };
        })
        .addEdge(START, "chat")
        .addEdge("chat", "plain")
        .compile();
      const chunks: unknown[] = [];
      for (const streamMode of ["values", "updates"] as const)
        for await (const c of await graph.stream({ ran: [] }, wrap({ streamMode }))) chunks.push(c);
      let messageChunks = 0;
      for await (const _ of await graph.stream({ ran: [] }, wrap({ streamMode: "messages" as const }))) messageChunks++;
      return { chunks, messageChunks };
    });
    expect(outHooks).toEqual(outCallbacks);
    expect(shape(viaHooks)).toEqual(shape(viaCallbacks));
    /** The model calls that streamed: node, model, tokens; each first token inside its call. */
    const streamed = (p: Profiler) => {
      const nodeOf = new Map(p.store.data.tasks.map((t) => [t.id, t.node]));
      const calls = p.store.data.modelCalls.filter((m) => m.firstTokenAt !== undefined);
      for (const call of calls) {
        expect(call.firstTokenAt).toBeGreaterThanOrEqual(call.start);
        expect(call.firstTokenAt).toBeLessThanOrEqual(call.end as number);
      }
      return calls.map((m) => `${nodeOf.get(m.taskId ?? "")}:${m.name}:${m.tokens}`).sort();
    };
    // model.stream() in "chat" in all three runs (four chunks), and in "messages" mode, where LangGraph asks for
    // tokens, both models of "plain" stream inside invoke ("reply: plain", two words; "abc", three characters).
    const expected = [...Array(3).fill("chat:ScheduledChatModel:4"), "plain:FakeListChatModel:3", "plain:ScheduledChatModel:2"].sort();
    for (const p of [viaCallbacks, viaHooks, withOthers]) expect(streamed(p)).toEqual(expected);
    expect(viaHooks.summary().models.find((m) => m.name === "ScheduledChatModel")?.ttft?.count).toBe(4);
  });

  test("functional API: entrypoint and task() (parallel, retried, nested, with a model and a tool, interrupted and resumed, as a subgraph)", async () => {
    const logs: string[][] = [];
    const { viaCallbacks, viaHooks, outCallbacks, outHooks } = await bothWays(async (wrap, p) => {
      const log: string[] = [];
      logs.push(log);
      const model = new FakeListChatModel({ responses: ["sure"] });
      const lookup = tool(async ({ q }: { q: string }) => `found ${q}`, {
        name: "lookup",
        description: "d",
        schema: z.object({ q: z.string() }),
      });
      let failures = 0;
      const retry = { maxAttempts: 3, initialInterval: 1, jitter: false, retryOn: () => true, logWarning: false } as never;
      const logged =
        <A extends unknown[], R>(name: string, fn: (...a: A) => Promise<R>) =>
        (...a: A) => {
          log.push(name);
          return fn(...a);
        };
      const ask = task(
        "ask",
        logged("ask", async (q: string) => String((await model.invoke([new HumanMessage(q)])).content)),
      );
      const look = task(
        "look",
        logged("look", async (q: string) => lookup.invoke({ q })),
      );
      const flaky = task(
        { name: "flaky", retry },
        logged("flaky", async (x: number) => {
          if (failures++ < 1) throw new Error("flaky once");
          return x;
        }),
      );
      const inner = task(
        "inner",
        logged("inner", async (x: number) => x + 1),
      );
      const outer = task(
        "outer",
        logged("outer", async (x: number) => (await inner(x)) * 10),
      );
      const wf = entrypoint({ name: "wf", checkpointer: new MemorySaver() }, async (n: number) => {
        log.push("wf");
        const [a, b] = await Promise.all([ask(`q${n}`), look(`l${n}`)]);
        const o = await outer(await flaky(n));
        return `${a}|${b}|${o}|${interrupt("ok?") as string}`;
      });
      p.probe(wf);
      const config = { configurable: { thread_id: "wf" } };
      const first = await wf.invoke(3, wrap(config));
      const resumed = await wf.invoke(new Command({ resume: "yes" }), wrap(config));
      const square = task(
        "square",
        logged("square", async (x: number) => x * x),
      );
      const squares = entrypoint({ name: "squares", checkpointer: new MemorySaver() }, async (n: number) => {
        log.push("squares");
        return (await Promise.all([1, 2].map((i) => square(n + i)))).join();
      });
      const graph = new StateGraph(Log)
        .addNode("viaTask", async (state: typeof Log.State) => ({ ran: [String(await square(state.ran.length + 1))] }))
        .addNode("viaEntrypoint", async (_state: typeof Log.State, c) => ({ ran: [await squares.invoke(2, c)] }))
        .addEdge(START, "viaTask")
        .addEdge("viaTask", "viaEntrypoint")
        .compile({ checkpointer: new MemorySaver() });
      p.probe(graph);
      p.probe(squares);
      const out = await graph.invoke({ ran: [] }, wrap({ configurable: { thread_id: "g" } }));
      return { interrupts: (first as { __interrupt__?: Array<{ value: unknown }> }).__interrupt__?.map((i) => i.value), resumed, out };
    });
    expect(outHooks).toEqual(outCallbacks);
    expect(outHooks).toMatchObject({ interrupts: ["ok?"], resumed: "sure|found l3|40|yes", out: { ran: ["1", "9,16"] } });
    expect(shape(viaHooks)).toEqual(shape(viaCallbacks));
    // What ran, as the functions logged it: every call a task attempt; the resumed run replays the tasks' saved results.
    const s = viaHooks.summary();
    const ran = (name: string) => logs[1].filter((x) => x === name).length;
    for (const node of ["wf", "ask", "look", "flaky", "inner", "outer", "square", "squares"])
      expect({ node, count: s.nodes.find((n) => n.node === node)?.count }).toEqual({ node, count: ran(node) });
    expect(s.nodes.find((n) => n.node === "flaky")).toMatchObject({ count: 2, tasks: 1, retries: 1, errors: 1 });
    expect(s.nodes.find((n) => n.node === "wf")).toMatchObject({ count: 2, interrupts: 1 });
    // The model and the tool were called from their tasks; the entrypoint run inside its node's task.
    expect(shape(viaHooks).modelCalls).toEqual(["ask:ok::/"]);
    expect(shape(viaHooks).toolCalls).toEqual(["lookup@look:ok"]);
    expect(shape(viaHooks).graphRuns).toContain("squares:ok:g:in viaEntrypoint");
    // One superstep per entrypoint run, with the tasks it pushed.
    const top = s.graphRuns.filter((g) => g.name === "wf");
    expect(top.map((g) => g.supersteps.map((st) => [st.step, [...st.nodes].sort().join()]))).toEqual([
      [[0, "ask,flaky,flaky,inner,look,outer,wf"]],
      [[0, "wf"]],
    ]);
  });

  test("two invokes at once on one graph, and a model cache: each call is attributed to its own run; hits and misses", async () => {
    const profiler = createProfiler({ otel: false });
    await profiler.attach();
    try {
      const cached = new ScheduledChatModel(0);
      cached.cache = new InMemoryCache();
      const graph = new StateGraph(Log)
        .addNode("ask", async (state: typeof Log.State) => {
          await sleep(3);
          await cached.invoke([new HumanMessage(state.ran[0])]);
          await sleep(3);
          await cached.invoke([new HumanMessage(state.ran[0])]);
          return { ran: ["ask"] };
        })
        .addEdge(START, "ask")
        .compile({ checkpointer: new MemorySaver() });
      const [x, y] = await Promise.all([
        graph.invoke({ ran: ["x"] }, { configurable: { thread_id: "x" } }),
        graph.invoke({ ran: ["y"] }, { configurable: { thread_id: "y" } }),
      ]);
      expect([x.ran, y.ran]).toEqual([
        ["x", "ask"],
        ["y", "ask"],
      ]);
      const raw = profiler.store.data;
      for (const thread of ["x", "y"]) {
        const run = raw.graphRuns.find((g) => g.threadId === thread);
        const task = raw.tasks.find((t) => t.graphRunId === run?.id && t.node === "ask");
        const models = raw.modelCalls.filter((m) => m.taskId === task?.id);
        expect(models.map((m) => m.graphRunId)).toEqual([run?.id, run?.id]);
        expect(models.map((m) => m.cache)).toEqual(["miss", "hit"]);
      }
      expect(cached.calls).toBe(2);
      expect(profiler.summary().models[0]).toMatchObject({ count: 4, cacheHits: 2, cacheMisses: 2 });
    } finally {
      profiler.detach();
    }
  });

  test("exactness: `this`, subclasses overriding the hooked methods, and thrown errors are what they are unhooked", async () => {
    class Shouting extends ScheduledChatModel {
      async invoke(...args: Parameters<BaseChatModel["invoke"]>) {
        const out = await super.invoke(...args);
        out.content = String(out.content).toUpperCase();
        return out;
      }
    }
    class Closing extends ScheduledChatModel {
      closed = false;
      async *_streamResponseChunks(...args: Parameters<ScheduledChatModel["_streamResponseChunks"]>) {
        try {
          yield* super._streamResponseChunks(...args);
        } finally {
          this.closed = true;
        }
      }
    }
    class Echo extends StructuredTool {
      name = "echo";
      description = "echoes";
      schema = z.object({ text: z.string() });
      seen: unknown[] = [];
      async invoke(input: unknown, config?: unknown) {
        this.seen.push(this);
        return super.invoke(input as never, config as never);
      }
      async _call({ text }: { text: string }) {
        if (text === "fail") throw new TypeError("echo refused");
        return text;
      }
    }
    const run = async () => {
      const model = new Shouting(0);
      const echo = new Echo();
      const reply = await model.invoke([new HumanMessage("hey")]);
      const said = await echo.invoke({ text: "hi" });
      const err = (await echo.invoke({ text: "fail" }).catch((e: unknown) => e)) as Error;
      // A consumer that stops a stream early closes the model's own generator.
      const streaming = new Closing(0);
      let first: unknown;
      for await (const chunk of await streaming.stream([new HumanMessage("one two three")])) {
        first = chunk.content;
        break;
      }
      return {
        reply: reply.content,
        said,
        thisOk: echo.seen.every((s) => s === echo),
        err: [err.constructor.name, err.message],
        stream: [first, streaming.closed],
      };
    };
    const plain = await run();
    const profiler = createProfiler({ otel: false });
    await profiler.attach();
    let hooked: unknown;
    try {
      hooked = await run();
    } finally {
      profiler.detach();
    }
    expect(hooked).toEqual(plain);
    expect(plain).toEqual({ reply: "REPLY: HEY", said: "hi", thisOk: true, err: ["TypeError", "echo refused"], stream: ["reply:", true] });
    expect(
      profiler
        .summary()
        .models.map((m) => `${m.name}:${m.count}`)
        .sort(),
    ).toEqual(["Closing:1", "Shouting:1"]);
    expect(profiler.summary().tools[0]).toMatchObject({ name: "echo", count: 2, errors: 1 });
  });

  test("not enabled: no hook installed; attach() installs them, detach() of the last attached profiler removes them", async () => {
    const installed = () => ({
      loop: runLoop(),
      gen: BaseChatModel.prototype.generate,
      tool: StructuredTool.prototype.invoke,
      start: CallbackManager.prototype.handleChatModelStart,
      token: CallbackManagerForLLMRun.prototype.handleLLMNewToken,
    });
    const before = installed();
    expect(getPatchStatus().patched.filter((p) => p.part === "profile")).toEqual([]);
    const graph = new StateGraph(Log)
      .addNode("n", async () => ({ ran: ["n"] }))
      .addEdge(START, "n")
      .compile();
    const a = createProfiler({ otel: false });
    const b = createProfiler({ otel: false });
    await a.attach();
    await b.attach();
    try {
      const now = installed();
      for (const key of Object.keys(before) as Array<keyof typeof before>) expect(now[key]).not.toBe(before[key]);
      const formats = getPatchStatus()
        .patched.filter((p) => p.part === "profile")
        .map((p) => `${p.target}:${p.format}`);
      // Under jest only the CommonJS builds load (the ES module builds: the last test, in a child process).
      expect(formats).toEqual(
        expect.arrayContaining([
          "Pregel:cjs",
          "BaseChatModel:cjs",
          "StructuredTool:cjs",
          "CallbackManager:cjs",
          "CallbackManagerForLLMRun:cjs",
        ]),
      );
      await graph.invoke({ ran: [] });
      // Both attached profilers record the run; the handler of an attached profiler does not record it twice.
      await graph.invoke({ ran: [] }, a.withCallbacks({}));
      expect([a.summary().nodes[0].count, b.summary().nodes[0].count]).toEqual([2, 2]);
      a.detach();
      expect(runLoop()).not.toBe(before.loop); // b still attached
    } finally {
      a.detach();
      b.detach();
    }
    expect(installed()).toEqual(before);
    expect(getPatchStatus().patched.filter((p) => p.part === "profile")).toEqual([]);
    await graph.invoke({ ran: [] });
    expect(a.summary().nodes[0].count).toBe(2);
  });

  test("patchLangGraph({ profile: true }) records through the hooks (no handler in any run's callbacks); unpatching removes them", async () => {
    const before = runLoop();
    const off = { memorySaver: false, sqliteSaver: false, postgresSaver: false, stateMerger: false, caches: false, serializer: false };
    await patchLangGraph({ ...off, profile: true });
    try {
      const profiler = getProfiler() as Profiler;
      profiler.reset();
      const seen: unknown[] = [];
      const graph = new StateGraph(MessagesAnnotation)
        .addNode("n", async (_state, config) => {
          seen.push((config as { callbacks?: unknown }).callbacks);
          return { messages: [new HumanMessage("x")] };
        })
        .addEdge(START, "n")
        .compile({ checkpointer: new MemorySaver() });
      await graph.invoke({ messages: [] }, { configurable: { thread_id: "p" } });
      expect(seen).toEqual([undefined]);
      const s = profiler.summary();
      expect(s.nodes.map((n) => `${n.node}:${n.count}`)).toEqual(["n:1"]);
      expect(s.checkpoints.find((c) => c.op === "put")?.count).toBeGreaterThan(0);
    } finally {
      unpatchLangGraph();
    }
    expect(runLoop()).toBe(before);
    expect(getPatchStatus().patched).toEqual([]);
  });

  test("the ES module build of LangGraph is recorded too", () => {
    const script = `
      import { createProfiler } from ${JSON.stringify(path.resolve(__dirname, "../../dist/esm/index.mjs"))};
      import { Annotation, START, StateGraph } from "@langchain/langgraph";
      const p = createProfiler({ otel: false });
      await p.attach();
      const S = Annotation.Root({ n: Annotation({ reducer: (a, b) => a + b, default: () => 0 }) });
      const g = new StateGraph(S).addNode("esm", async () => ({ n: 1 })).addEdge(START, "esm").compile();
      await g.invoke({ n: 0 });
      const formats = (await import(${JSON.stringify(path.resolve(__dirname, "../../dist/esm/index.mjs"))})).getPatchStatus().patched.map((x) => x.target + ":" + x.format);
      console.log(JSON.stringify({ nodes: p.summary().nodes.map((n) => [n.node, n.count]), formats }));
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: path.resolve(__dirname, "../.."),
      encoding: "utf8",
    });
    const got = JSON.parse(out.trim().split("\n").at(-1) as string);
    expect(got.nodes).toEqual([["esm", 1]]);
    for (const t of ["Pregel", "BaseChatModel", "StructuredTool", "CallbackManager", "CallbackManagerForLLMRun"])
      expect(got.formats).toEqual(expect.arrayContaining([`${t}:cjs`, `${t}:esm`]));
  });
});
