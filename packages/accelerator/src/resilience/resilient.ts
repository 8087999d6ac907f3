import { type ResilienceOptions, ResiliencePipeline } from "./pipeline";
import type { ResilienceStats } from "./stats";

export interface ResilientOptions<A extends unknown[]> extends ResilienceOptions {
  /** Share one pipeline (and its stats) between several functions. */
  pipeline?: ResiliencePipeline;
  /** The abort signal of a call (default: the `signal` of its last argument, e.g. a LangGraph node's config). */
  signalOf?: (...args: A) => AbortSignal | undefined;
}

export type ResilientFn<A extends unknown[], R> = ((...args: A) => Promise<R>) & {
  resilience: ResiliencePipeline;
  stats(): ResilienceStats;
};

function lastSignal(args: unknown[]): AbortSignal | undefined {
  const last = args[args.length - 1] as { signal?: unknown } | undefined;
  return last && typeof last === "object" && last.signal instanceof AbortSignal ? last.signal : undefined;
}

/**
 * `fn` behind a rate limiter, circuit breaker, retries and a concurrency limit: for tools, LangGraph nodes
 * (`graph.addNode("tools", resilient(fn, { maxConcurrency: { name: "tools", maxConcurrency: 4 } }))` limits
 * that node type across every graph and worker thread of the process) or any async call.
 */
export function resilient<A extends unknown[], R>(
  fn: (...args: A) => R | Promise<R>,
  options: ResilientOptions<A> = {},
): ResilientFn<A, R> {
  const pipeline = options.pipeline ?? new ResiliencePipeline(options);
  const signalOf = options.signalOf ?? ((...args: A) => lastSignal(args));
  const wrapped = ((...args: A) => pipeline.run(async () => fn(...args), { signal: signalOf(...args) })) as ResilientFn<A, R>;
  wrapped.resilience = pipeline;
  wrapped.stats = () => pipeline.stats();
  return wrapped;
}
