import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { Callbacks } from "@langchain/core/callbacks/manager";
import { type Advice, type AdviceThresholds, advise } from "./advice";
import { type ProfileSummary, summarize } from "./aggregate";
import { installCacheLookupHook } from "./cache-lookup";
import { ProfilerCallbackHandler } from "./callback-handler";
import { type ProbeOptions, probeCheckpointer } from "./checkpointer-probe";
import type { RawProfile } from "./records";
import { type HtmlOptions, renderHtml } from "./report-html";
import { type OtelTracer, createOtelExporter } from "./otel";
import { renderText } from "./report-text";
import { ProfileStore } from "./store";

export interface ProfilerOptions extends ProbeOptions {
  /** Bound on each list of raw records (graph runs, tasks, model calls, tool calls, checkpoint ops). Default 100,000. */
  maxRecords?: number;
  /** Thresholds of the advice rules (see AdviceThresholds for the defaults). */
  thresholds?: Partial<AdviceThresholds>;
  /**
   * OpenTelemetry spans: by default emitted through @opentelemetry/api's global tracer when that
   * optional peer dependency is installed (a no-op until an SDK is registered); `false` never; or a
   * tracer of your own.
   */
  otel?: boolean | { tracer: OtelTracer };
}

export interface ProfileJSON {
  summary: ProfileSummary;
  advice: Advice[];
  raw: RawProfile;
}

/** Anything with a `checkpointer` (a compiled graph), or a checkpointer itself. */
type Probeable = object & { checkpointer?: unknown };

const isSaver = (x: unknown): x is object =>
  typeof x === "object" && x !== null && typeof (x as { getTuple?: unknown }).getTuple === "function";

export class Profiler {
  readonly store: ProfileStore;
  /** The callback handler to pass in `config.callbacks`; it records graph runs, nodes, model and tool calls. */
  readonly handler: ProfilerCallbackHandler;
  /**
   * Resolves once the profiler sees cache misses of LangChain's model cache in ES module builds of
   * @langchain/core too (loaded asynchronously; CommonJS builds are covered from construction).
   */
  readonly ready: Promise<void>;
  private readonly unprobes = new Map<object, () => void>();
  private readonly sink = (r: Parameters<ProfileStore["addCheckpointOp"]>[0]) => this.store.addCheckpointOp(r);

  constructor(readonly options: ProfilerOptions = {}) {
    this.store = new ProfileStore(options.maxRecords);
    this.handler = new ProfilerCallbackHandler(this.store);
    this.ready = installCacheLookupHook();
    if (options.otel !== false) {
      const exporter = createOtelExporter(typeof options.otel === "object" ? options.otel.tracer : undefined);
      if (exporter) this.store.listeners.push(exporter);
    }
  }

  /**
   * Times the checkpointer operations of a saver, or of a compiled graph's `checkpointer` (see
   * probeCheckpointer: the saver's class is untouched). Idempotent per instance. Returns the argument.
   */
  probe<T extends Probeable>(target: T): T {
    const saver = isSaver(target) ? target : (target as Probeable).checkpointer;
    if (isSaver(saver) && !this.unprobes.has(saver)) this.unprobes.set(saver, probeCheckpointer(saver, this.sink, this.options));
    return target;
  }

  /** `config` with this profiler's handler added to `config.callbacks` (an array of handlers or a CallbackManager). */
  withCallbacks<C extends object = Record<string, never>>(config?: C): C & { callbacks: Callbacks } {
    const callbacks = (config as { callbacks?: unknown } | undefined)?.callbacks;
    if (callbacks && typeof (callbacks as { addHandler?: unknown }).addHandler === "function") {
      const manager = (callbacks as { copy(): { addHandler(h: unknown, inherit: boolean): void } }).copy();
      manager.addHandler(this.handler, true);
      return { ...(config as C), callbacks: manager as unknown as Callbacks };
    }
    return { ...(config as C), callbacks: [...((callbacks as BaseCallbackHandler[]) ?? []), this.handler] };
  }

  summary(): ProfileSummary {
    return summarize(this.store.data, performance.now(), this.store.dropped);
  }

  advice(summary: ProfileSummary = this.summary()): Advice[] {
    return advise(summary, this.options.thresholds);
  }

  /** A readable text report: tables per node, model, tool and checkpointer operation, state sizes, advice. */
  report(): string {
    const summary = this.summary();
    return renderText(summary, this.advice(summary));
  }

  /** The report as one self-contained HTML page (timeline, per-node breakdown, state size along each thread). */
  html(options?: HtmlOptions): string {
    const summary = this.summary();
    return renderHtml(summary, this.store.data, this.advice(summary), options);
  }

  /** Writes html() to `path` (UTF-8) and returns the path. */
  writeHtml(path: string, options?: HtmlOptions): string {
    writeFileSync(path, this.html(options), "utf8");
    return path;
  }

  toJSON(): ProfileJSON {
    const summary = this.summary();
    return { summary, advice: this.advice(summary), raw: structuredClone(this.store.data) };
  }

  /** Forgets every record (probes stay). */
  reset(): void {
    this.store.clear();
  }

  /** Removes this profiler's probes from every checkpointer it probed. */
  dispose(): void {
    for (const unprobe of this.unprobes.values()) unprobe();
    this.unprobes.clear();
  }
}

/**
 * A profiler for LangGraph.js runs. Attach its `handler` through `config.callbacks`
 * (`graph.invoke(input, profiler.withCallbacks({ configurable }))`) and `probe(graph)` to time the
 * graph's checkpointer; or process-wide with `patchLangGraph({ profile: true })`.
 */
export function createProfiler(options: ProfilerOptions = {}): Profiler {
  return new Profiler(options);
}

export type { Advice, AdviceThresholds } from "./advice";
export type { ProfileSummary, NodeSummary, ModelSummary, ToolSummary, CheckpointSummary, GraphRunSummary, StatePoint } from "./aggregate";
export type { RawProfile } from "./records";
export type { HtmlOptions } from "./report-html";
export type { OtelTracer } from "./otel";
export { probeCheckpointer } from "./checkpointer-probe";
