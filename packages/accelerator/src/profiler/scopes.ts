import { AsyncLocalStorage } from "node:async_hooks";

/** An operation a scope set tracks; `closed` is set by `close()`. */
export interface Scope {
  closed: boolean;
}

/**
 * Which operation of one kind (a hooked model call, a probed checkpointer operation) the code running
 * now belongs to, for the profiler's notes. An enabled AsyncLocalStorage makes Node 20 write a property
 * on every promise the process creates while it is enabled (measured: +3.9% CPU on the chat-turns
 * workload for one storage beyond LangChain's, benchmarks/profiler-overhead.bench.mjs), so a storage is
 * used only where it is needed: an operation that opens while none of its kind is open is the "bare"
 * one, found as such with no storage; one that opens while another is open runs inside the storage,
 * which is enabled while at least one such operation is open and disabled after the last closes.
 * At most one bare operation is open at a time, so code that sees no open stored operation in its
 * context is in the bare one's, or in no operation's (callers check that the operation found is
 * theirs: the same model, the same saver). A closed operation is never returned (a stale store can
 * outlive it on promises created while it was open).
 */
export class Scopes<T extends Scope> {
  private readonly storage = new AsyncLocalStorage<T>();
  private bare: T | undefined;
  private open = 0;
  private stored = 0;
  private readonly isStored = new WeakSet<T>();

  /** Opens `op`: from now until `close(op)`, `current()` finds it in the code `within(op, ...)` runs. */
  enter(op: T): void {
    op.closed = false;
    if (this.open++ === 0) this.bare = op;
    else {
      this.isStored.add(op);
      this.stored++;
    }
  }

  /** Runs `fn` as part of `op` (opened with `enter`), synchronously and in everything it starts. */
  within<R>(op: T, fn: () => R): R {
    if (this.isStored.has(op)) return this.storage.run(op, fn);
    // The bare operation's code called from a stored operation's context is still the bare one's.
    return this.stored > 0 && this.storage.getStore() !== undefined ? this.storage.run(undefined as unknown as T, fn) : fn();
  }

  /** Closes `op`; closing it again does nothing. */
  close(op: T): void {
    if (op.closed) return;
    op.closed = true;
    this.open--;
    if (this.bare === op) this.bare = undefined;
    else if (this.isStored.delete(op) && --this.stored === 0) this.storage.disable();
  }

  /** The open operation the running code belongs to: the innermost stored one in its context, else the bare one. */
  current(): T | undefined {
    if (this.stored > 0) {
      const op = this.storage.getStore();
      if (op !== undefined && !op.closed) return op;
    }
    return this.bare;
  }
}
