import { Profiler } from "./index";

let processProfiler: Profiler | undefined;

/**
 * The process-wide profiler that `patchLangGraph({ profile: true })` (or FAST_LANGGRAPH_PROFILE=1)
 * records every graph run into, from its hooks on LangGraph's and LangChain's classes; created on first
 * use. Undefined until then, unless `create` is true.
 */
export function getProfiler(create = false): Profiler | undefined {
  if (!processProfiler && create) processProfiler = new Profiler();
  return processProfiler;
}

/** Makes the installed hooks record into the process-wide profiler (created if need be). */
export function activateProcessProfiler(): Profiler {
  const profiler = getProfiler(true) as Profiler;
  profiler.activateHooks();
  return profiler;
}

/** The hooks stop recording into the process-wide profiler, and its probes leave the checkpointers it probed; its records stay. */
export function detachProfiler(): void {
  processProfiler?.deactivateHooks();
  processProfiler?.dispose();
}
