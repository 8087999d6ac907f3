import { MAX_TIMER_MS } from "./options";

/** The reason an aborted signal carries, or a standard AbortError. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? Object.assign(new Error("The operation was aborted"), { name: "AbortError" });
}

const watchers = new WeakMap<AbortSignal, Set<() => void>>();

/** Runs `fn` when `signal` aborts; returns the function that stops watching. One listener per signal
 * however many callers wait on it (a graph run's signal is shared by every node). */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let set = watchers.get(signal);
  if (!set) {
    const callbacks = new Set<() => void>();
    set = callbacks;
    watchers.set(signal, callbacks);
    signal.addEventListener(
      "abort",
      () => {
        watchers.delete(signal);
        for (const f of callbacks) f();
      },
      { once: true },
    );
  }
  const callbacks = set;
  callbacks.add(fn);
  return () => callbacks.delete(fn);
}

/**
 * Resolves once `ms` have really passed (timers, never a busy wait); rejects with the signal's reason on
 * abort. Node measures timers from the event loop's cached time, so after a busy stretch a timer can fire
 * early by the length of that stretch: this re-arms for whatever is left.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  const deadline = performance.now() + ms;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout;
    const unwatch = signal
      ? onAbort(signal, () => {
          clearTimeout(timer);
          reject(abortReason(signal));
        })
      : undefined;
    const arm = (wait: number) => {
      timer = setTimeout(
        () => {
          const left = deadline - performance.now();
          if (left > 0) return arm(left);
          unwatch?.();
          resolve();
        },
        Math.min(Math.ceil(wait), MAX_TIMER_MS),
      );
    };
    arm(ms);
  });
}
