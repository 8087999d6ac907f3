import { performance } from "node:perf_hooks";
import { recorders } from "./active";
import { currentTaskId } from "./recorder";
import { settle } from "./settle";

type Invoke = (this: { name?: string }, input: unknown, config?: unknown) => Promise<unknown>;

/**
 * StructuredTool.prototype.invoke (Tool, DynamicTool, DynamicStructuredTool and `tool()` inherit it;
 * LangGraph's ToolNode calls it): one tool call per invoke, named by the tool's `name`, for every
 * active recorder; with none, the original call and nothing else.
 */
export function profiledToolMethods(originals: { invoke: Invoke }): { invoke: Invoke } {
  const invoke = originals.invoke;
  return {
    invoke(this: { name?: string }, input: unknown, config?: unknown) {
      if (recorders.length === 0) return invoke.call(this, input, config);
      const now = performance.now();
      const taskId = currentTaskId(config);
      const name = String(this.name ?? "tool");
      const records = recorders.map((r) => r.startTool(name, taskId, now));
      const owners = [...recorders];
      return settle(
        () => invoke.call(this, input, config),
        (err, failed) => {
          for (let i = 0; i < records.length; i++) owners[i].endTool(records[i], err, failed);
        },
      );
    },
  };
}
