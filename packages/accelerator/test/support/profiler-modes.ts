import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import "../../src/patch/profile-hooks";
import type { Profiler } from "../../src/profiler";

/**
 * The ways a profiler records: its callback handler in each run's `config.callbacks`; its hooks
 * (`attach()`) with no callbacks at all; and its hooks while the runs also carry another callback handler
 * (LangChain then starts run managers, as a tracer or LangGraph's "messages" stream mode does).
 */
export type ProfilerMode = "callback handler" | "hooks (attach)" | "hooks, other callbacks present";
export const PROFILER_MODES: ProfilerMode[] = ["callback handler", "hooks (attach)", "hooks, other callbacks present"];

export type Wrap = <C extends object>(config: C) => C;

/** A callback handler that records nothing. */
class Bystander extends BaseCallbackHandler {
  name = "bystander";
}

/**
 * Runs `body` with `profiler` recording in `mode`: `body` wraps each run's config with the `wrap` it is
 * given. The hooks are attached for the body only.
 */
export async function recording<T>(mode: ProfilerMode, profiler: Profiler, body: (wrap: Wrap) => Promise<T>): Promise<T> {
  if (mode === "callback handler") return body((c) => profiler.withCallbacks(c) as typeof c);
  await profiler.attach();
  try {
    if (mode === "hooks (attach)") return await body((c) => c);
    const other = new Bystander();
    return await body((c) => {
      const callbacks = (c as { callbacks?: unknown[] }).callbacks ?? [];
      return { ...c, callbacks: [...callbacks, other] };
    });
  } finally {
    profiler.detach();
  }
}
