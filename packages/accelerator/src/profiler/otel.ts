import { performance } from "node:perf_hooks";
import type { CheckpointOpRecord, GraphRunRecord, ModelCallRecord, RawProfile, TaskRecord, ToolCallRecord } from "./records";
import type { StoreListener, Timed } from "./store";

/** The parts of @opentelemetry/api's Tracer and Span used here (the package is an optional peer dependency). */
export interface OtelSpan {
  isRecording?(): boolean;
  setAttribute(key: string, value: string | number | boolean | string[]): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(endTime?: number): void;
}
export interface OtelTracer {
  startSpan(
    name: string,
    options?: { startTime?: number; attributes?: Record<string, unknown>; kind?: number },
    context?: unknown,
  ): OtelSpan;
}
interface OtelApi {
  trace: { getTracer(name: string, version?: string): OtelTracer; setSpan(context: unknown, span: OtelSpan): unknown };
  context: { active(): unknown };
  ROOT_CONTEXT: unknown;
  SpanStatusCode: { ERROR: number; OK: number };
  SpanKind: { INTERNAL: number; CLIENT: number };
}

const ERROR = 2;
const KIND_INTERNAL = 0;
const KIND_CLIENT = 2;

/** @opentelemetry/api when it is installed, else undefined. Loaded on first use only. */
export function loadOtelApi(): OtelApi | undefined {
  try {
    return require("@opentelemetry/api") as OtelApi;
  } catch {
    return undefined;
  }
}

/** performance.now() milliseconds to epoch milliseconds (what OpenTelemetry's TimeInput takes as a number). */
const ORIGIN = performance.timeOrigin;
const epoch = (t: number) => ORIGIN + t;

/**
 * Emits OpenTelemetry spans for graph runs (`invoke_agent <graph>`), node tasks (`node <name>`), model
 * calls (`chat <model>`), tool calls (`execute_tool <tool>`) and checkpointer operations
 * (`checkpoint <op>`), with the GenAI semantic-convention attributes where they apply
 * (gen_ai.operation.name, gen_ai.agent.name, gen_ai.conversation.id, gen_ai.request.model,
 * gen_ai.provider.name, gen_ai.usage.input_tokens / output_tokens, gen_ai.tool.name) and
 * `langgraph.*` for the rest. Spans carry the recorded start and end times; each is parented to the
 * span of the run or task it happened in.
 */
export class OtelExporter implements StoreListener {
  private readonly spans = new Map<string, OtelSpan>();
  private readonly graphOfThread = new Map<string, string>();

  constructor(
    private readonly api: OtelApi,
    private readonly tracer: OtelTracer,
  ) {}

  private parentContext(parentId: string | undefined): unknown {
    const parent = parentId === undefined ? undefined : this.spans.get(parentId);
    return parent ? this.api.trace.setSpan(this.api.ROOT_CONTEXT, parent) : this.api.context.active();
  }

  /** Inside a graph run: whether that run's span records. Outside any: whether the tracer records at all. */
  private recordingUnder(parentId: string | undefined): boolean {
    if (parentId !== undefined) return this.spans.has(parentId);
    const probe = this.tracer.startSpan("probe");
    const recording = probe.isRecording?.() !== false;
    if (!recording) probe.end();
    return recording;
  }

  onStart(kind: Timed, record: RawProfile[Timed][number]): void {
    if (kind === "graphRuns") {
      const r = record as GraphRunRecord;
      const span = this.tracer.startSpan(
        `invoke_agent ${r.name}`,
        {
          startTime: epoch(r.start),
          kind: KIND_INTERNAL,
          attributes: {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": r.name,
            ...(r.threadId ? { "gen_ai.conversation.id": r.threadId } : {}),
          },
        },
        this.parentContext(r.parentTaskId),
      );
      // A no-op tracer (no SDK registered): nothing under this run is recorded either, so skip it all.
      if (span.isRecording?.() === false) return;
      this.spans.set(r.id, span);
      if (r.threadId && !r.parentTaskId) this.graphOfThread.set(r.threadId, r.id);
    } else if (kind === "tasks") {
      const r = record as TaskRecord;
      if (!this.spans.has(r.graphRunId)) return;
      const span = this.tracer.startSpan(
        `node ${r.node}`,
        {
          startTime: epoch(r.start),
          kind: KIND_INTERNAL,
          attributes: {
            "langgraph.node": r.node,
            "langgraph.step": r.step,
            "langgraph.triggers": r.triggers,
            "langgraph.attempt": r.attempt,
          },
        },
        this.parentContext(r.graphRunId),
      );
      this.spans.set(r.id, span);
    } else if (kind === "modelCalls") {
      const r = record as ModelCallRecord;
      if (!this.recordingUnder(r.taskId ?? r.graphRunId)) return;
      const span = this.tracer.startSpan(
        `chat ${r.model ?? r.name}`,
        {
          startTime: epoch(r.start),
          kind: KIND_CLIENT,
          attributes: {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": r.model ?? r.name,
            ...(r.provider ? { "gen_ai.provider.name": r.provider } : {}),
          },
        },
        this.parentContext(r.taskId ?? r.graphRunId),
      );
      this.spans.set(r.id, span);
    } else {
      const r = record as ToolCallRecord;
      if (!this.recordingUnder(r.taskId ?? r.graphRunId)) return;
      const span = this.tracer.startSpan(
        `execute_tool ${r.name}`,
        {
          startTime: epoch(r.start),
          kind: KIND_INTERNAL,
          attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": r.name },
        },
        this.parentContext(r.taskId ?? r.graphRunId),
      );
      this.spans.set(r.id, span);
    }
  }

  onFinish(kind: keyof RawProfile, record: RawProfile[keyof RawProfile][number]): void {
    if (kind === "checkpointOps") {
      const r = record as CheckpointOpRecord;
      const parentRun = r.threadId ? this.graphOfThread.get(r.threadId) : undefined;
      if (!this.recordingUnder(parentRun)) return;
      const span = this.tracer.startSpan(
        `checkpoint ${r.op}`,
        {
          startTime: epoch(r.start),
          kind: KIND_CLIENT,
          attributes: {
            "langgraph.checkpoint.operation": r.op,
            "langgraph.checkpointer": r.saver,
            "langgraph.checkpoint.bytes_written": r.bytesWritten,
            "langgraph.checkpoint.bytes_read": r.bytesRead,
            "langgraph.checkpoint.serialize_ms": r.serializeMs,
            "langgraph.checkpoint.deserialize_ms": r.deserializeMs,
            ...(r.threadId ? { "gen_ai.conversation.id": r.threadId } : {}),
            ...(r.checkpointNs ? { "langgraph.checkpoint_ns": r.checkpointNs } : {}),
          },
        },
        this.parentContext(parentRun),
      );
      if (r.status === "error") span.setStatus({ code: ERROR });
      span.end(epoch(r.end ?? r.start));
      return;
    }
    const r = record as GraphRunRecord | TaskRecord | ModelCallRecord | ToolCallRecord;
    const span = this.spans.get(r.id);
    if (!span) return;
    this.spans.delete(r.id);
    if (kind === "modelCalls") {
      const m = r as ModelCallRecord;
      if (m.inputTokens !== undefined) span.setAttribute("gen_ai.usage.input_tokens", m.inputTokens);
      if (m.outputTokens !== undefined) span.setAttribute("gen_ai.usage.output_tokens", m.outputTokens);
      if (m.firstTokenAt !== undefined) span.setAttribute("langgraph.time_to_first_token_ms", m.firstTokenAt - m.start);
      if (m.cache) span.setAttribute("langgraph.cache", m.cache);
      if (m.rateLimitWaitMs !== undefined) span.setAttribute("langgraph.rate_limit_wait_ms", m.rateLimitWaitMs);
      if (m.retries !== undefined) span.setAttribute("langgraph.retries", m.retries);
    }
    if (kind === "graphRuns") {
      const g = r as GraphRunRecord;
      if (g.threadId && this.graphOfThread.get(g.threadId) === g.id) this.graphOfThread.delete(g.threadId);
    }
    if (r.status === "error") {
      span.setStatus({ code: ERROR, message: r.error });
      span.setAttribute("error.type", (r.error ?? "Error").split(":")[0]);
    } else if (r.status === "interrupted") span.setAttribute("langgraph.interrupted", true);
    span.end(epoch(r.end ?? r.start));
  }
}

/** An exporter on the given tracer, or on @opentelemetry/api's global tracer when the package is installed. */
export function createOtelExporter(tracer?: OtelTracer): OtelExporter | undefined {
  const api = loadOtelApi();
  if (!api) return undefined;
  return new OtelExporter(api, tracer ?? api.trace.getTracer("@fast-langgraph/accelerator"));
}
