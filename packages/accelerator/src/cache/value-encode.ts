import { isLangChainClassOfAnotherCopy, knownName, learnedIndex } from "./cached-classes";

/**
 * Cached values as JSON that keeps what JSON.stringify loses: undefined (as a value and as a key's
 * value), -0, NaN, ±Infinity, BigInt, Date, holes, own `__proto__` keys, own keys with a registered
 * symbol (Symbol.for), shared and circular references, and LangChain messages and generation chunks
 * as instances of their class with every own field (also those set after construction).
 *
 * A node is a JSON string, finite number, boolean or null as itself, or an array whose first element
 * is its tag: ["u"] undefined, ["f", "NaN" | "Infinity" | "-Infinity" | "-0"], ["n", digits] BigInt,
 * ["d", time | null] Date, ["a", items] array (["h"] a hole), ["o", [key, node, ...]] plain object,
 * ["O", ...] one without prototype, ["c", class, [key, node, ...], [symbol, node, ...]] class
 * instance, ["r", index] the index-th object (or string of 32+ characters) met before, in order.
 *
 * Modes: "exact" (an in-process cache: a value is stored only if it comes back equal field for field,
 * else `Unencodable` is thrown and the caller keeps the value itself; classes of another copy of
 * @langchain/core are kept by identity) and "persistent" (other values are stored as JSON.stringify
 * stores them; classes by name).
 */
export type CodecMode = "exact" | "persistent";

export class Unencodable extends Error {}

/** Strings this long are stored once and referred to after (a message's text, content and kwargs). */
export const SHARED_STRING_LENGTH = 32;

const OMIT = Symbol("omit");

export function encodeValue(value: unknown, mode: CodecMode): unknown {
  const seen = new Map<unknown, number>();
  const exact = mode === "exact";
  const refer = (v: unknown): unknown[] | undefined => {
    const index = seen.get(v);
    if (index !== undefined) return ["r", index];
    seen.set(v, seen.size);
    return undefined;
  };

  const node = (v: unknown): unknown => {
    switch (typeof v) {
      case "string":
        return v.length >= SHARED_STRING_LENGTH ? (refer(v) ?? v) : v;
      case "number":
        return Number.isFinite(v) && !Object.is(v, -0) ? v : ["f", Object.is(v, -0) ? "-0" : String(v)];
      case "boolean":
        return v;
      case "undefined":
        return ["u"];
      case "bigint":
        return ["n", v.toString()];
      case "object":
        return v === null ? null : object(v);
      default:
        if (exact) throw new Unencodable(`a ${typeof v}`);
        return OMIT;
    }
  };

  const object = (o: object): unknown => {
    const proto = Object.getPrototypeOf(o);
    if (Array.isArray(o) && proto === Array.prototype) return array(o);
    if (proto === Date.prototype) {
      if (exact && Reflect.ownKeys(o).length > 0) throw new Unencodable("a Date with own properties");
      const time = (o as Date).getTime();
      return refer(o) ?? ["d", Number.isNaN(time) ? null : time];
    }
    const tag = proto === Object.prototype ? "o" : proto === null ? "O" : undefined;
    const cls = tag === undefined ? className(proto, exact) : undefined;
    if (tag === undefined && cls === undefined) {
      if (exact) throw new Unencodable(`an instance of ${proto?.constructor?.name ?? "an unknown class"}`);
      const json = JSON.stringify(o);
      return json === undefined ? OMIT : node(JSON.parse(json));
    }
    const ref = refer(o);
    if (ref) return ref;
    const [fields, symbols] = properties(o);
    if (cls === undefined) return [tag, fields];
    return symbols.length > 0 ? ["c", cls, fields, symbols] : ["c", cls, fields];
  };

  const array = (a: unknown[]): unknown => {
    const ref = refer(a);
    if (ref) return ref;
    const items: unknown[] = [];
    let present = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Object.getOwnPropertyDescriptor(a, i);
      if (d === undefined) {
        items.push(["h"]);
        continue;
      }
      present++;
      if (exact && !("value" in d)) throw new Unencodable("an array element with a getter");
      const item = node("value" in d ? d.value : a[i]);
      items.push(item === OMIT ? null : item);
    }
    if (exact && Reflect.ownKeys(a).length !== present + 1) throw new Unencodable("an array with own properties");
    return ["a", items];
  };

  const properties = (o: object): [unknown[], unknown[]] => {
    const fields: unknown[] = [];
    const symbols: unknown[] = [];
    for (const key of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, key)!;
      const symbol = typeof key === "symbol" ? Symbol.keyFor(key) : undefined;
      if (!d.enumerable || (typeof key === "symbol" && symbol === undefined)) {
        if (exact) throw new Unencodable(`a property the cache cannot rebuild (${String(key)})`);
        continue;
      }
      if (exact && !("value" in d)) throw new Unencodable(`a getter (${String(key)})`);
      const value = node("value" in d ? d.value : (o as Record<PropertyKey, unknown>)[key]);
      if (value === OMIT) continue;
      if (symbol !== undefined) symbols.push(symbol, value);
      else fields.push(key, value);
    }
    return [fields, symbols];
  };

  const result = node(value);
  return result === OMIT ? ["u"] : result;
}

/** The name `o` is stored under as a class instance, or undefined when it is not one the cache rebuilds. */
export function storedClassName(o: object, mode: CodecMode): string | undefined {
  const proto = Object.getPrototypeOf(o);
  return proto === null ? undefined : className(proto, mode === "exact");
}

function className(proto: object, exact: boolean): string | undefined {
  const own = knownName(proto);
  if (own !== undefined) return own;
  if (exact) return isLangChainClassOfAnotherCopy(proto) ? `#${learnedIndex(proto)}` : undefined;
  // Persistent: a class of another copy by its name; a subclass as its nearest LangChain ancestor.
  for (let p: object | null = proto; p !== null; p = Object.getPrototypeOf(p)) {
    const name = knownName(p) ?? (isLangChainClassOfAnotherCopy(p) ? (p.constructor as { name: string }).name : undefined);
    if (name !== undefined) return name;
  }
  return undefined;
}
