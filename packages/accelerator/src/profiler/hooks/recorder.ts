import { performance } from "node:perf_hooks";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { isRateLimit, promptKey, statusOf } from "../callback-handler";
import { type ModelCallRecord, type TaskRecord, type ToolCallRecord, errorText } from "../records";
import type { ProfileStore } from "../store";

/** LangGraph's CONFIG_KEY_TASK_ID: every task's config carries its task id under this configurable key. */
const TASK_ID = "__pregel_task_id";

export interface GraphConfig {
  configurable?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  tags?: string[];
  runName?: string;
}

/** The LangGraph task id in `config`, else in the config LangChain keeps in its AsyncLocalStorage (set for every node function). */
export function currentTaskId(config?: unknown): string | undefined {
  const id = (config as GraphConfig | undefined)?.configurable?.[TASK_ID];
  if (typeof id === "string") return id;
  const ambient = AsyncLocalStorageProviderSingleton.getRunnableConfig() as GraphConfig | undefined;
  const fromAmbient = ambient?.configurable?.[TASK_ID];
  return typeof fromAmbient === "string" ? fromAmbient : undefined;
}

/** One graph run (one Pregel `_runLoop`) as a recorder sees it. */
export interface GraphRunState {
  id: string;
  recorder: HookRecorder;
  /** Attempts per task (its checkpoint_ns), for counting retries. */
  attempts: Map<string, number>;
}

interface OpenTask {
  record: TaskRecord;
}

/** What a task attempt gives to the hooks of the pregel node it runs. */
export interface TaskLike {
  id: string;
  name: string | number | symbol;
  triggers?: unknown[];
  config?: GraphConfig;
}

/**
 * Records graph runs, node task attempts, model calls and tool calls from the profiler's hooks on
 * LangGraph's and LangChain's classes (src/profiler/hooks/), into a ProfileStore, in the same records the
 * callback handler writes. No LangChain callback handler is involved. Each hook reads the clock and
 * pushes one record; the nested calls of a task find it through LangGraph's task id in their config.
 */
export class HookRecorder {
  private seq = 0;
  private readonly prefix: string;
  /** Task attempts running now, by LangGraph task id. */
  private readonly openTasks = new Map<string, OpenTask>();
  private static count = 0;

  constructor(
    readonly store: ProfileStore,
    /** Called with each graph about to run (the profiler probes its checkpointer). */
    readonly onGraph: (graph: object) => void,
  ) {
    this.prefix = `hook${++HookRecorder.count}:`;
  }

  private nextId(kind: string): string {
    return `${this.prefix}${kind}${++this.seq}`;
  }

  startGraphRun(
    graph: object,
    config: GraphConfig | undefined,
    parentTaskId: string | undefined,
    now: number,
    thread?: unknown,
  ): GraphRunState {
    const id = this.nextId("g");
    const parent = this.taskOf(parentTaskId);
    // As for a model call: a node's own runName stays in the config it hands a subgraph when no callbacks are attached.
    const runName = config?.runName !== undefined && config.runName !== parent?.node ? config.runName : undefined;
    const name = runName ?? (graph as { getName?: () => string }).getName?.() ?? "graph";
    thread ??= config?.configurable?.thread_id ?? config?.metadata?.thread_id;
    this.store.add("graphRuns", {
      id,
      name: String(name),
      parentTaskId: parent?.id,
      threadId: thread === undefined ? undefined : String(thread),
      start: now,
      status: "running",
    });
    return { id, recorder: this, attempts: new Map() };
  }

  endGraphRun(run: GraphRunState, err: unknown, failed: boolean): void {
    const now = performance.now();
    if (!failed) this.store.finish("graphRuns", run.id, now, "ok");
    else {
      const { status, error } = statusOf(err);
      this.store.finish("graphRuns", run.id, now, status, error);
    }
  }

  startTask(run: GraphRunState, task: TaskLike, config: GraphConfig | undefined, now: number): TaskRecord {
    const c = config ?? task.config;
    const metadata = c?.metadata;
    const node = String(metadata?.langgraph_node ?? String(task.name));
    const taskKey = String(metadata?.langgraph_checkpoint_ns ?? c?.configurable?.checkpoint_ns ?? `${node}:${task.id}`);
    const attempt = (run.attempts.get(taskKey) ?? 0) + 1;
    run.attempts.set(taskKey, attempt);
    const record: TaskRecord = {
      id: this.nextId("t"),
      graphRunId: run.id,
      node,
      step: Number(metadata?.langgraph_step ?? -1),
      triggers: Array.isArray(task.triggers) ? task.triggers.map(String) : [],
      taskKey,
      attempt,
      hidden: c?.tags?.includes("langsmith:hidden") ?? false,
      start: now,
      status: "running",
    };
    this.store.add("tasks", record);
    this.openTasks.set(task.id, { record });
    return record;
  }

  endTask(taskId: string, record: TaskRecord, err: unknown, failed: boolean): void {
    const now = performance.now();
    if (this.openTasks.get(taskId)?.record === record) this.openTasks.delete(taskId);
    if (!failed) this.store.finish("tasks", record.id, now, "ok");
    else {
      const { status, error } = statusOf(err);
      this.store.finish("tasks", record.id, now, status, error);
    }
  }

  private taskOf(taskId: string | undefined): TaskRecord | undefined {
    return taskId === undefined ? undefined : this.openTasks.get(taskId)?.record;
  }

  startModel(
    name: string,
    runName: string | undefined,
    prompt: ReadonlyArray<unknown>,
    ls: { ls_model_name?: unknown; ls_provider?: unknown } | undefined,
    taskId: string | undefined,
    now: number,
  ): ModelCallRecord {
    const task = this.taskOf(taskId);
    const record: ModelCallRecord = {
      id: this.nextId("m"),
      // LangGraph leaves the node's runName in the config a node passes on when no callbacks are attached; it names the node, not the model.
      name: runName !== undefined && runName !== task?.node ? runName : name,
      model: typeof ls?.ls_model_name === "string" ? ls.ls_model_name : undefined,
      provider: typeof ls?.ls_provider === "string" ? ls.ls_provider : undefined,
      taskId: task?.id,
      graphRunId: task?.graphRunId,
      start: now,
      tokens: 0,
      promptKey: promptKey(prompt),
      status: "running",
    };
    this.store.add("modelCalls", record);
    return record;
  }

  endModel(record: ModelCallRecord, err: unknown, failed: boolean): void {
    const now = performance.now();
    if (!failed) this.store.finish("modelCalls", record.id, now, "ok");
    else {
      if (isRateLimit(err)) record.rateLimited = true;
      this.store.finish("modelCalls", record.id, now, "error", errorText(err));
    }
  }

  startTool(name: string, taskId: string | undefined, now: number): ToolCallRecord {
    const task = this.taskOf(taskId);
    const record: ToolCallRecord = {
      id: this.nextId("x"),
      name,
      taskId: task?.id,
      graphRunId: task?.graphRunId,
      start: now,
      status: "running",
    };
    this.store.add("toolCalls", record);
    return record;
  }

  endTool(record: ToolCallRecord, err: unknown, failed: boolean): void {
    const now = performance.now();
    if (!failed) this.store.finish("toolCalls", record.id, now, "ok");
    else {
      const { status, error } = statusOf(err);
      this.store.finish("toolCalls", record.id, now, status, error);
    }
  }
}
