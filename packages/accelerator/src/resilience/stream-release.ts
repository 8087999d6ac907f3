/**
 * A stream whose consumer drops it without `return()` (a client that went away, an iterator left after its
 * first chunk) is suspended at a `yield` for good: its `finally` never runs, so the concurrency permit and
 * breaker probe it holds would never come back. The generator handed out is watched instead: once it is
 * unreachable, the generator under it is closed as `return()` would close it (its provider stream too).
 */
const dropped = new FinalizationRegistry<AsyncGenerator<unknown>>((inner) => {
  inner.return(undefined).catch(() => {});
});

/** `inner`, behind a generator that closes it when garbage-collected. Consumed or closed, it behaves as `inner`. */
export function closedWhenDropped<C>(inner: AsyncGenerator<C>): AsyncGenerator<C> {
  // The registry holds `inner`, never `outer`: `outer` is reachable only through the consumer.
  const outer = (async function* () {
    return yield* inner;
  })();
  dropped.register(outer, inner);
  return outer;
}
