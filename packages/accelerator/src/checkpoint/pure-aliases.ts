/**
 * `load`'s alias map of a message class (every `lc_aliases` along its chain, inverted), computed once
 * per class while nothing it depends on has changed. @langchain/core's `lc_aliases` getters return
 * literals (and `super.lc_aliases`): with those very getters on an unchanged chain, calling them again
 * gives the same map and has no effect anyone can see. Any change (a getter redefined or added on any
 * prototype, Object.prototype included; a prototype swapped; a getter whose source is anything but a
 * literal) makes every call compute the map afresh, calling the getters as upstream's `load()` does.
 */
type Builder = new (fields: Record<string, unknown>) => unknown;

const sourceOf = Function.prototype.toString;
/** `get lc_aliases() {}` or `get lc_aliases() { return { ...super.lc_aliases, key: "name", ... }; }`, spaces aside. */
const LITERAL_GETTER = /^getlc_aliases\(\)\{(return\{(\.\.\.super\.lc_aliases,?)?([A-Za-z_$][\w$]*:"[^"\\]*",?)*\};?)?\}$/;

interface Pure {
  /** The constructors walked (builder, its parent class, ...), then every prototype from builder.prototype to null. */
  objects: unknown[];
  /** Per prototype: its own `lc_aliases` getter, or undefined when it has none. */
  getters: unknown[];
  inverted: Record<string, string>;
}

const known = new WeakMap<Builder, Pure | null>();

/** Every lc_aliases along the constructor chain, merged and inverted, calling each getter (upstream's way). */
export function computeInvertedAliases(builder: Builder): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (let current: unknown = builder; typeof current === "function" && current.prototype; current = Object.getPrototypeOf(current))
    Object.assign(aliases, Reflect.get(current.prototype as object, "lc_aliases"));
  const inverted: Record<string, string> = {};
  for (const [key, value] of Object.entries(aliases)) inverted[value] = key;
  return inverted;
}

/** The chain as it is now, or null when some `lc_aliases` on it is not one of the literal getters. */
function snapshot(builder: Builder): Omit<Pure, "inverted"> | null {
  const objects: unknown[] = [];
  for (let current: unknown = builder; typeof current === "function" && current.prototype; current = Object.getPrototypeOf(current))
    objects.push(current, current.prototype);
  const getters: unknown[] = [];
  for (let proto: object | null = builder.prototype as object; proto !== null; proto = Object.getPrototypeOf(proto)) {
    objects.push(proto);
    const own = Object.getOwnPropertyDescriptor(proto, "lc_aliases");
    if (own === undefined) {
      getters.push(undefined);
      continue;
    }
    if (typeof own.get !== "function" || own.set !== undefined) return null;
    if (!LITERAL_GETTER.test(sourceOf.call(own.get).replace(/\s+/g, ""))) return null;
    getters.push(own.get);
  }
  return { objects, getters };
}

function unchanged(builder: Builder, pure: Pure): boolean {
  let i = 0;
  const { objects, getters } = pure;
  for (let current: unknown = builder; typeof current === "function" && current.prototype; current = Object.getPrototypeOf(current)) {
    if (objects[i++] !== current || objects[i++] !== current.prototype) return false;
  }
  let g = 0;
  for (let proto: object | null = builder.prototype as object; proto !== null; proto = Object.getPrototypeOf(proto)) {
    if (objects[i++] !== proto) return false;
    if (Object.getOwnPropertyDescriptor(proto, "lc_aliases")?.get !== getters[g++]) return false;
  }
  return i === objects.length;
}

/** The inverted alias map `load()` would build for `builder` now; read only (shared between calls). */
export function invertedAliases(builder: Builder): Readonly<Record<string, string>> {
  let pure = known.get(builder);
  if (pure === undefined) {
    const taken = snapshot(builder);
    pure = taken && { ...taken, inverted: computeInvertedAliases(builder) };
    known.set(builder, pure);
  }
  if (pure !== null && unchanged(builder, pure)) return pure.inverted;
  // Changed since (or never literal): upstream's way, each time; a chain back as it was is cached again.
  if (pure !== null) known.delete(builder);
  return computeInvertedAliases(builder);
}
