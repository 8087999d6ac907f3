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
import { activate, deactivate, hookInstaller, recorders } from "./hooks/active";
import { HookRecorder } from "./hooks/recorder";

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
  /**
   * The callback handler to pass in `config.callbacks`; it records graph runs, nodes, model and tool
   * calls. It costs LangChain's callback machinery: once any handler is attached, every runnable in the
   * graph builds a callback manager and run managers (see the README's profiler figures). `attach()`
   * records the same without it.
   */
  readonly handler: ProfilerCallbackHandler;
  /** What the hooks (attach(), patchLangGraph({ profile: true })) record through. */
  readonly recorder: HookRecorder;
  /**
   * Resolves once the profiler sees cache misses of LangChain's model cache in ES module builds of
   * @langchain/core too (loaded asynchronously; CommonJS builds are covered from construction).
   */
  readonly ready: Promise<void>;
  /** Held weakly: a service that makes a saver per request must not keep every saver it profiled. */
  private unprobes = new WeakMap<object, () => void>();
  private probed = new Set<WeakRef<object>>();
  private probedAtSweep = 0;
  private readonly sink = (r: Parameters<ProfileStore["addCheckpointOp"]>[0]) => this.store.addCheckpointOp(r);

  constructor(readonly options: ProfilerOptions = {}) {
    this.store = new ProfileStore(options.maxRecords);
    this.handler = new ProfilerCallbackHandler(this.store, () => recorders.includes(this.recorder));
    this.recorder = new HookRecorder(this.store, (graph) => this.probe(graph as Probeable));
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
    if (isSaver(saver) && !this.unprobes.has(saver)) {
      this.unprobes.set(saver, probeCheckpointer(saver, this.sink, this.options));
      this.probed.add(new WeakRef(saver));
      if (this.probed.size >= Math.max(64, 2 * this.probedAtSweep)) this.sweepProbed();
    }
    return target;
  }

  /**
   * Records every graph run in the process from hooks on LangGraph's and @langchain/core's classes
   * (Pregel's run loop, BaseChatModel, StructuredTool; src/profiler/hooks/), with no callback handler,
   * and probes each graph's checkpointer, until `detach()`. Installs the hooks on every loaded copy of
   * the packages (as patchLangGraph finds them) if they are not installed yet: CommonJS builds before
   * this returns, ES module builds before its promise resolves. Needs the package's root entry point
   * loaded (it provides the installer); throws an Error otherwise. Idempotent.
   */
  async attach(): Promise<this> {
    const installer = hookInstaller();
    if (!installer) throw new Error("profiler.attach(): the hook installer is not loaded; import @fast-langgraph/accelerator");
    activate(this.recorder);
    await installer.install();
    return this;
  }

  /** Stops recording from the hooks, and removes them when no other profiler uses them; records stay. Probes stay until dispose(). */
  detach(): void {
    this.deactivateHooks();
    hookInstaller()?.uninstall();
  }

  /** Whether the hooks record into this profiler. */
  get attached(): boolean {
    return recorders.includes(this.recorder);
  }

  /** @internal The installed hooks record into this profiler (patchLangGraph's process-wide mode). */
  activateHooks(): void {
    activate(this.recorder);
  }

  /** @internal */
  deactivateHooks(): void {
    deactivate(this.recorder);
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
    for (const ref of this.probed) {
      const saver = ref.deref();
      if (saver) this.unprobes.get(saver)?.();
    }
    this.unprobes = new WeakMap();
    this.probed.clear();
    this.probedAtSweep = 0;
  }

  /** Forgets the references of collected savers (amortized: when the set has doubled since the last sweep). */
  private sweepProbed(): void {
    for (const ref of this.probed) if (ref.deref() === undefined) this.probed.delete(ref);
    this.probedAtSweep = this.probed.size;
  }
}

/**
 * A profiler for LangGraph.js runs. Process-wide with no LangChain callbacks: `await profiler.attach()`
 * (or `patchLangGraph({ profile: true })` / FAST_LANGGRAPH_PROFILE=1 for the process-wide getProfiler()).
 * Or per run: its `handler` through `config.callbacks` (`graph.invoke(input, profiler.withCallbacks({
 * configurable }))`) and `probe(graph)` to time the graph's checkpointer; that path costs LangChain's
 * callback machinery.
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
