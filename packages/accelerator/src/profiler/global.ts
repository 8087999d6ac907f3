import { Profiler } from "./index";

let processProfiler: Profiler | undefined;

/**
 * The process-wide profiler that `patchLangGraph({ profile: true })` (or FAST_LANGGRAPH_PROFILE=1)
 * attaches to every graph run; created on first use. Undefined until then, unless `create` is true.
 */
export function getProfiler(create = false): Profiler | undefined {
  if (!processProfiler && create) processProfiler = new Profiler();
  return processProfiler;
}

/** Removes the process-wide profiler's probes from the checkpointers it probed; its records stay. */
export function detachProfiler(): void {
  processProfiler?.dispose();
}
