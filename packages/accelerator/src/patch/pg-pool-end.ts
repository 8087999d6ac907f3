type Method = (...args: unknown[]) => unknown;

/** node-postgres Pool prototypes whose `end` is wrapped while patched, with their own `end`. */
const wrapped = new Map<Record<string, unknown>, { original: Method; wrapper: Method }>();

/**
 * Calls `onEnd(pool)` whenever a pool of `pool`'s class (pg-pool's Pool or a subclass) is ended with
 * `pool.end()`, before pg's own `end` runs; installed once per class, on the prototype that owns `end`.
 */
export function followPoolEnds(pool: object, onEnd: (pool: object) => void): void {
  let proto = Object.getPrototypeOf(pool) as Record<string, unknown> | null;
  while (proto && !Object.hasOwn(proto, "end")) proto = Object.getPrototypeOf(proto);
  if (!proto || wrapped.has(proto) || typeof proto.end !== "function") return;
  const original = proto.end as Method;
  const wrapper = function end(this: object, ...args: unknown[]): unknown {
    onEnd(this);
    return original.apply(this, args);
  };
  wrapped.set(proto, { original, wrapper });
  proto.end = wrapper;
}

/** Puts every wrapped `end` back (unless something else has replaced it since). */
export function restorePoolEnds(): void {
  for (const [proto, { original, wrapper }] of wrapped) if (proto.end === wrapper) proto.end = original;
  wrapped.clear();
}
