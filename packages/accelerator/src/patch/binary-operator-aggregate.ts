/**
 * One merge per superstep for channels reduced by LangGraph's `messagesStateReducer`.
 *
 * `BinaryOperatorAggregate.update(values)` folds the reducer once per write, each call O(history).
 * `messagesStateReducer(state, a.concat(b))` gives the same result as two calls when no write removes
 * a message: ids are matched against the growing list in write order either way, a repeated id
 * replaces in place either way. A removal followed by a re-add of the same id is not batching-
 * invariant (two calls append the re-added message, one call puts it back in place), so a superstep
 * whose writes contain a RemoveMessage, or an Overwrite, takes LangGraph's own path unchanged.
 */
type UpdateMethod = (this: ReducerChannel, values: unknown[]) => boolean;

interface ReducerChannel {
  value: unknown;
  operator: (left: unknown, right: unknown) => unknown;
}

function isRemovalOrOverwrite(item: unknown): boolean {
  if (item === null || typeof item !== "object") return false;
  const o = item as Record<string, unknown> & { _getType?: () => string; getType?: () => string };
  if ("__overwrite__" in o || o.lg_name === "Overwrite" || o.type === "__overwrite__") return true;
  const type = typeof o.getType === "function" ? o.getType() : typeof o._getType === "function" ? o._getType() : (o.type ?? o.role);
  return type === "remove";
}

function needsLangGraphsPath(values: unknown[]): boolean {
  return values.some((v) => (Array.isArray(v) ? v.some(isRemovalOrOverwrite) : isRemovalOrOverwrite(v)));
}

/** `update` for BinaryOperatorAggregate: batched when `reducers` has the channel's operator. */
export function batchedMessagesUpdate(original: UpdateMethod, reducers: ReadonlySet<unknown>): UpdateMethod {
  return function update(this: ReducerChannel, values: unknown[]): boolean {
    if (values.length < 2 || this.value === undefined || !reducers.has(this.operator) || needsLangGraphsPath(values)) {
      return original.call(this, values);
    }
    this.value = this.operator(
      this.value,
      values.flatMap((v) => (Array.isArray(v) ? v : [v])),
    );
    return true;
  };
}
