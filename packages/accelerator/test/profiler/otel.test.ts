import { trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { Annotation, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import { z } from "zod";
import "../../src/patch/profile-hooks";
import { createProfiler } from "../../src/profiler";
import { ScheduledChatModel } from "../support/profiler-models";

const State = Annotation.Root({
  notes: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

const hrMs = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

describe("OpenTelemetry spans", () => {
  test.each(["callback handler", "hooks (attach)"])(
    "runs, nodes, model calls, tool calls and checkpoint operations, parented and with GenAI attributes: %s",
    async (mode) => {
      const exporter = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      const profiler = createProfiler({ otel: { tracer: provider.getTracer("test") } });
      const model = new ScheduledChatModel(2);
      const lookup = tool(async ({ q }: { q: string }) => `found ${q}`, {
        name: "lookup",
        description: "looks up",
        schema: z.object({ q: z.string() }),
      });
      const graph = new StateGraph(State)
        .addNode("ask", async () => {
          const answer = await model.invoke([new HumanMessage("question")]);
          await lookup.invoke({ q: "x" });
          return { notes: [String(answer.content)] };
        })
        .addNode("fail", async () => {
          throw new Error("fail on purpose");
        })
        .addEdge(START, "ask")
        .addEdge("ask", "fail")
        .compile({ checkpointer: new MemorySaver() });
      const config = { configurable: { thread_id: "otel" } };
      if (mode === "hooks (attach)") {
        await profiler.attach();
        try {
          await expect(graph.invoke({ notes: [] }, config)).rejects.toThrow("fail on purpose");
        } finally {
          profiler.detach();
        }
      } else {
        profiler.probe(graph);
        await expect(graph.invoke({ notes: [] }, profiler.withCallbacks(config))).rejects.toThrow("fail on purpose");
      }

      const spans = exporter.getFinishedSpans();
      const byName = (prefix: string) => spans.filter((s) => s.name.startsWith(prefix));
      const id = (s: ReadableSpan) => s.spanContext().spanId;
      const [run] = byName("invoke_agent");
      expect(byName("invoke_agent")).toHaveLength(1);
      expect(run.attributes).toMatchObject({
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "LangGraph",
        "gen_ai.conversation.id": "otel",
      });
      expect(run.status.code).toBe(2);

      const ask = spans.find((s) => s.name === "node ask") as ReadableSpan;
      const fail = spans.find((s) => s.name === "node fail") as ReadableSpan;
      expect(ask.parentSpanContext?.spanId).toBe(id(run));
      expect(ask.attributes["langgraph.step"]).toBe(1);
      expect(fail.status).toMatchObject({ code: 2, message: expect.stringContaining("fail on purpose") });

      const [chat] = byName("chat ");
      expect(chat.parentSpanContext?.spanId).toBe(id(ask));
      expect(chat.attributes).toMatchObject({
        "gen_ai.operation.name": "chat",
        "gen_ai.usage.input_tokens": 3,
        "gen_ai.usage.output_tokens": 2,
      });
      const [toolSpan] = byName("execute_tool");
      expect(toolSpan.parentSpanContext?.spanId).toBe(id(ask));
      expect(toolSpan.attributes).toMatchObject({ "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup" });

      // One span per checkpointer operation the probe recorded, inside the run span's window.
      const ops = profiler.store.data.checkpointOps;
      const cps = byName("checkpoint ");
      expect(cps.map((s) => s.name).sort()).toEqual(ops.map((o) => `checkpoint ${o.op}`).sort());
      for (const s of cps) {
        expect(s.parentSpanContext?.spanId).toBe(id(run));
        expect(hrMs(s.startTime)).toBeGreaterThanOrEqual(hrMs(run.startTime) - 0.01);
        expect(hrMs(s.endTime)).toBeLessThanOrEqual(hrMs(run.endTime) + 0.01);
      }
      expect(
        cps.filter((s) => s.name === "checkpoint put").every((s) => (s.attributes["langgraph.checkpoint.bytes_written"] as number) > 0),
      ).toBe(true);
      // Children end before their parents: model call inside its node's window.
      expect(hrMs(chat.startTime)).toBeGreaterThanOrEqual(hrMs(ask.startTime));
      expect(hrMs(chat.endTime)).toBeLessThanOrEqual(hrMs(ask.endTime));
    },
  );

  test("by default spans go to @opentelemetry/api's global tracer; otel: false emits none", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    try {
      const graph = new StateGraph(State)
        .addNode("only", async () => ({ notes: ["x"] }))
        .addEdge(START, "only")
        .compile();
      const off = createProfiler({ otel: false });
      await graph.invoke({ notes: [] }, off.withCallbacks({}));
      expect(exporter.getFinishedSpans()).toHaveLength(0);
      const on = createProfiler();
      await graph.invoke({ notes: [] }, on.withCallbacks({}));
      expect(
        exporter
          .getFinishedSpans()
          .map((s) => s.name)
          .sort(),
      ).toEqual(["invoke_agent LangGraph", "node __start__", "node only"]);
    } finally {
      trace.disable();
    }
  });
});
