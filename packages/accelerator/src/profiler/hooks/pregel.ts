import { performance } from "node:perf_hooks";
import type { TaskRecord } from "../records";
import { recorders } from "./active";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { type GraphConfig, type GraphRunState, type TaskLike, currentTaskId } from "./recorder";
import { settle } from "./settle";

type RunLoop = (this: object, params: RunLoopParams) => Promise<unknown>;
type Stream = (this: object, input: unknown, options?: unknown) => Promise<unknown>;

interface ProcLike {
  invoke(input: unknown, config?: unknown): unknown;
}

interface PregelTaskLike extends TaskLike {
  proc?: ProcLike;
  input?: unknown;
}

interface RunLoopParams {
  loop?: {
    tasks?: Record<string, PregelTaskLike>;
    acceptPush?: (...args: unknown[]) => Promise<PregelTaskLike | undefined>;
    scheduleErrorHandler?: (...args: unknown[]) => PregelTaskLike | undefined;
    checkpointerPromises?: Iterable<unknown>;
  };
  runner?: { tick?: (...args: unknown[]) => Promise<unknown> };
  config?: { configurable?: Record<string, unknown>; metadata?: Record<string, unknown>; runName?: string };
}

const TIMED = Symbol("fast-langgraph.profiler.timedProc");

/**
 * The runs each graph was asked for (its `stream` call, which invoke and streamEvents make) and that
 * have not reached their loop yet, with their thread. LangGraph reads a run's first checkpoint before
 * `_runLoop`, so a run is recorded from its stream call, as LangChain's chain-start callback has it;
 * `_runLoop` takes the oldest entry of its thread (else one with no thread). A stream call that fails
 * before its loop runs ends its runs with that error.
 */
interface Asked {
  thread: unknown;
  runs: GraphRunState[];
}
const asked = new WeakMap<object, Asked[]>();

function threadOf(config: unknown): unknown {
  return (config as { configurable?: { thread_id?: unknown } } | undefined)?.configurable?.thread_id;
}

function takeAsked(graph: object, thread: unknown): Asked | undefined {
  const list = asked.get(graph);
  if (!list) return undefined;
  let i = list.findIndex((e) => e.thread === thread);
  if (i < 0) i = list.findIndex((e) => e.thread === undefined);
  return i < 0 ? undefined : list.splice(i, 1)[0];
}

/**
 * Gives the task a `proc` that inherits from its own (every property, `instanceof` and the subgraphs
 * LangGraph finds in it are the same) with an own `invoke` that records one attempt per call for each
 * run, then calls the original `proc.invoke(input, config)` with `this` the original proc.
 */
function timeTask(task: PregelTaskLike, runs: GraphRunState[]): void {
  const proc = task.proc;
  if (!proc || (proc as { [TIMED]?: boolean })[TIMED]) return;
  const timed = Object.create(proc) as ProcLike & { [TIMED]: boolean };
  timed[TIMED] = true;
  timed.invoke = (input: unknown, config?: unknown) => {
    const now = performance.now();
    const records: TaskRecord[] = runs.map((run) => run.recorder.startTask(run, task, config as TaskLike["config"], now));
    return settle(
      () => proc.invoke(input, config),
      (err, failed) => {
        for (let i = 0; i < runs.length; i++) runs[i].recorder.endTask(task.id, records[i], err, failed);
      },
    );
  };
  task.proc = timed;
}

/**
 * Times the node tasks of one run: the runner's `tick` (one superstep: LangGraph runs the loop's tasks,
 * each attempt through `task.proc.invoke`, retries included), the loop's `acceptPush` (tasks pushed
 * while a step runs: `Send`, functional-API `task()` calls) and `scheduleErrorHandler` (LangGraph 1.7's
 * error-handler task of a node that failed). Own properties on this run's runner and loop objects, which
 * end with the run.
 */
function instrument(params: RunLoopParams, runs: GraphRunState[]): void {
  const { loop, runner } = params;
  if (!loop || !runner || typeof runner.tick !== "function") return;
  const tick = runner.tick;
  runner.tick = function (this: unknown, ...args: unknown[]) {
    for (const task of Object.values(loop.tasks ?? {})) timeTask(task, runs);
    return tick.apply(this, args);
  };
  const acceptPush = loop.acceptPush;
  if (typeof acceptPush === "function")
    loop.acceptPush = async function (this: unknown, ...args: unknown[]) {
      const task = await acceptPush.apply(this, args);
      if (task) timeTask(task, runs);
      return task;
    };
  const scheduleErrorHandler = loop.scheduleErrorHandler;
  if (typeof scheduleErrorHandler === "function")
    loop.scheduleErrorHandler = function (this: unknown, ...args: unknown[]) {
      const task = scheduleErrorHandler.apply(this, args);
      if (task) timeTask(task, runs);
      return task;
    };
}

/**
 * Pregel.prototype._runLoop, the loop of one graph run (invoke, stream and streamEvents all come here,
 * subgraphs included): records the run and times its tasks for every active recorder
 * (profiler/hooks/active.ts). Pregel.prototype.stream (invoke and streamEvents call it) shows each
 * recorder the graph before its run reads its first checkpoint, to probe the graph's checkpointer.
 * With no active recorder, the original calls and nothing else. LangGraph 1.x.
 */
export function profiledPregelMethods(originals: { _runLoop: RunLoop; stream: Stream }): { _runLoop: RunLoop; stream: Stream } {
  const original = originals._runLoop;
  const stream = originals.stream;
  return {
    stream(this: object, input: unknown, options?: unknown) {
      if (recorders.length === 0) return stream.call(this, input, options);
      const now = performance.now();
      const ambient = AsyncLocalStorageProviderSingleton.getRunnableConfig();
      const thread = threadOf(options) ?? threadOf(ambient);
      const parent = currentTaskId(options);
      const runs = recorders.map((r) => {
        r.onGraph(this);
        return r.startGraphRun(this, options as GraphConfig | undefined, parent, now, thread);
      });
      const entry: Asked = { thread, runs };
      const list = asked.get(this) ?? [];
      if (list.length === 0) asked.set(this, list);
      list.push(entry);
      const out = stream.call(this, input, options);
      // Watches for a failure before the loop only: the caller gets `out` itself.
      if (out instanceof Promise)
        out.catch((err) => {
          const i = list.indexOf(entry);
          if (i < 0) return;
          list.splice(i, 1);
          for (const run of runs) run.recorder.endGraphRun(run, err, true);
        });
      return out;
    },
    _runLoop(this: object, params: RunLoopParams) {
      if (recorders.length === 0) return original.call(this, params);
      const pending = takeAsked(this, threadOf(params?.config));
      let runs = pending?.runs;
      if (!runs) {
        const now = performance.now();
        const parent = currentTaskId(params?.config);
        runs = recorders.map((r) => r.startGraphRun(this, params?.config, parent, now));
      }
      const started = runs;
      instrument(params, started);
      return settle(
        () => original.call(this, params),
        (err, failed) => {
          const end = () => {
            for (const run of started) run.recorder.endGraphRun(run, err, failed);
          };
          // The run ends once its checkpoint writes are done, as LangGraph's stream waits for them after
          // the loop (an array or a Set, by version); the caller does not wait for this.
          const pendingWrites = () => [...(params?.loop?.checkpointerPromises ?? [])];
          if (pendingWrites().length === 0) end();
          else
            (async () => {
              for (let round = 0; round < 16; round++) {
                const writes = pendingWrites();
                if (writes.length === 0) break;
                await Promise.allSettled(writes);
              }
              end();
            })();
        },
      );
    },
  };
}
