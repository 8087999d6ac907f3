import { getProfiler } from "../profiler/global";

type Stream = (this: PregelLike, input: unknown, options?: Record<string, unknown>) => unknown;

interface PregelLike {
  checkpointer?: unknown;
}

interface ManagerLike {
  handlers?: unknown[];
}

function alreadyAttached(callbacks: unknown, handler: unknown): boolean {
  if (Array.isArray(callbacks)) return callbacks.includes(handler);
  return (callbacks as ManagerLike | undefined)?.handlers?.includes(handler) ?? false;
}

/**
 * Pregel.prototype.stream (which invoke and streamEvents call) adds the process-wide profiler's
 * callback handler to the run's config, unless the config already carries it (a subgraph inherits it
 * from its parent's run), and probes the graph's checkpointer. Everything else is the original call.
 */
export function profiledPregelMethods(originals: { stream: Stream }): { stream: Stream } {
  const original = originals.stream;
  return {
    stream(this: PregelLike, input: unknown, options?: Record<string, unknown>) {
      const profiler = getProfiler(true);
      if (!profiler) return original.call(this, input, options);
      profiler.probe(this);
      if (alreadyAttached(options?.callbacks, profiler.handler)) return original.call(this, input, options);
      return original.call(this, input, profiler.withCallbacks(options ?? {}));
    },
  };
}
