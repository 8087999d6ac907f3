/**
 * Serdes our own code wraps around a saver's serde (the profiler's timing wrapper), which encode exactly
 * as the serde they wrap: checks of how a serde encodes look through them while the wrapper's
 * dumpsTyped is still the one it was made with.
 */
const wrappers = new WeakMap<object, { inner: object; dumpsTyped: unknown }>();

export function registerEncodingWrapper(wrapper: object, inner: object): void {
  wrappers.set(wrapper, { inner, dumpsTyped: (wrapper as { dumpsTyped?: unknown }).dumpsTyped });
}

/** The serde whose encoding `serde` has: itself, or what the wrappers around it wrap. */
export function encodingSerde(serde: unknown): unknown {
  for (let depth = 0; depth < 8 && typeof serde === "object" && serde !== null; depth++) {
    const w = wrappers.get(serde);
    if (!w || (serde as { dumpsTyped?: unknown }).dumpsTyped !== w.dumpsTyped) return serde;
    serde = w.inner;
  }
  return serde;
}
