// The profiler-overhead workloads, each runnable with a profiler attached through LangChain's callbacks
// (its handler in config.callbacks and its probe on the graph's checkpointer), with an empty LangChain
// callback handler ("floor"), or with nothing (undefined). A profiler attached with `attach()` (the
// hooks, no callbacks) is run as "nothing": it records every run in the process on its own.
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { MemorySaver } from "@langchain/langgraph";

import { runChatTurns } from "./chat-turns.mjs";
import { runWorkload, workloads } from "./langgraph-bench.mjs";

/** A handler that does nothing: what @langchain/core's callback machinery costs once any handler is attached (the floor). */
class EmptyHandler extends BaseCallbackHandler {
  name = "empty";
}
const handlersOf = (profiler) => (profiler === "floor" ? [new EmptyHandler()] : profiler ? [profiler.handler] : undefined);
const probe = (profiler, graph) => (profiler && profiler !== "floor" ? profiler.probe(graph) : graph);

/** name -> (profiler | "floor" | undefined) => Promise<output>, for `agent` (a react_agent_Nx name) and `turns` chat turns. */
export function profilerCases({ agent, turns }) {
  return {
    [agent]: (profiler) =>
      runWorkload(probe(profiler, workloads[agent].build(new MemorySaver())), workloads[agent].input(), {
        callbacks: handlersOf(profiler),
      }),
    [`chat_turns_${turns}`]: (profiler) =>
      runChatTurns({ turns, checkpointer: new MemorySaver(), callbacks: handlersOf(profiler), onGraph: (g) => probe(profiler, g) }),
  };
}
