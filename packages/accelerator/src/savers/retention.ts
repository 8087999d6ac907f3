import type { PruneOptions as NativePruneOptions } from "@fast-langgraph/native";

export interface PruneOptions {
  /** Threads to prune (default: every thread in the database). */
  threadIds?: string[];
  /** Newest checkpoints kept per thread and namespace (at least 1). */
  keepLast?: number;
  /** Only checkpoints older than this may go: a Date, or an age in milliseconds. */
  olderThan?: Date | number;
  /**
   * "keep_last" (default): keep the newest `keepLast` and anything younger than `olderThan`.
   * "keep_latest": keep only the newest checkpoint per namespace. "delete": delete whole threads
   * (with `olderThan`: only threads whose newest checkpoint is older). In every strategy but
   * "delete", what a thread needs to resume is kept.
   */
  strategy?: "keep_last" | "keep_latest" | "delete";
}

export interface PruneReport {
  threads: number;
  checkpoints: number;
  writes: number;
  values: number;
  /** Payload bytes removed, net of values rewritten in full when an increment chain was rebased. */
  bytes: number;
}

export interface RetentionOptions extends Omit<PruneOptions, "threadIds"> {
  /** How often to prune, in milliseconds. */
  every: number;
  /** Called with each background prune's report. */
  onPrune?: (report: PruneReport) => void;
  /** Called when a background prune fails (default: a process warning). */
  onError?: (error: Error) => void;
}

export function toNativePruneOptions(options: PruneOptions, label = "RustSqliteSaver.prune"): NativePruneOptions {
  const { olderThan, keepLast } = options;
  if (keepLast !== undefined && (!Number.isInteger(keepLast) || keepLast < 1)) {
    throw new Error(`${label}: keepLast must be an integer of at least 1, got ${keepLast}`);
  }
  let cutoff: string | undefined;
  if (olderThan instanceof Date) cutoff = olderThan.toISOString();
  else if (typeof olderThan === "number") {
    if (!(olderThan >= 0)) throw new Error(`${label}: olderThan must be a Date or an age in ms >= 0, got ${olderThan}`);
    cutoff = new Date(Date.now() - olderThan).toISOString();
  }
  return { threadIds: options.threadIds, keepLast, olderThan: cutoff, strategy: options.strategy };
}

/**
 * Runs `prune` every `options.every` ms without keeping the process alive; returns a stop function,
 * after which nothing is reported (a prune already running finishes quietly).
 */
export function scheduleRetention(
  prune: (o: PruneOptions) => Promise<PruneReport>,
  options: RetentionOptions,
  label = "RustSqliteSaver",
): () => void {
  if (!(options.every > 0)) throw new Error(`${label} retention: every must be a positive number of ms, got ${options.every}`);
  const { every, onPrune, onError, ...policy } = options;
  toNativePruneOptions(policy, `${label}.prune`);
  let running = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = true;
    prune(policy)
      .then((report) => {
        if (!stopped) onPrune?.(report);
      })
      .catch((error: Error) => {
        // A prune still running when the saver closes ends with "closed": not worth reporting.
        if (stopped) return;
        if (onError) onError(error);
        else process.emitWarning(`${label} retention: ${error.message}`);
      })
      .finally(() => {
        running = false;
      });
  }, every);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
