import { assignableKeys, classByName, constructed, learnedPrototype } from "./cached-classes";
import { type CodecMode, SHARED_STRING_LENGTH } from "./value-encode";

/** A stored entry that is not what the cache writes: the message says what is wrong, never what it holds. */
export class CorruptEntry extends Error {}

const SPECIAL_NUMBERS = new Map<unknown, number>([
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["-Infinity", Number.NEGATIVE_INFINITY],
  ["-0", -0],
]);

const fail = (problem: string): never => {
  throw new CorruptEntry(problem);
};

/**
 * The value `encodeValue` stored, rebuilt with fresh objects. Every node is checked against the
 * format (tags, arities, types, reference indexes, class names as own entries of the class table):
 * anything else throws CorruptEntry. Every key becomes an own data property (`own`), so a stored
 * `__proto__` key is an own property again, no setter runs and no prototype is ever changed.
 */
export function decodeValue(stored: unknown, mode: CodecMode): unknown {
  const table: unknown[] = [];

  const node = (v: unknown): unknown => {
    if (typeof v === "string") {
      if (v.length >= SHARED_STRING_LENGTH) table.push(v);
      return v;
    }
    if (v === null || typeof v === "number" || typeof v === "boolean") return v;
    if (!Array.isArray(v) || typeof v[0] !== "string") return fail("a value of an unknown kind");
    const [tag, a, b, c] = v as [string, unknown, unknown, unknown];
    switch (tag) {
      case "u":
        return arity(v, 1) && undefined;
      case "f":
        arity(v, 2);
        return SPECIAL_NUMBERS.get(a) ?? fail("an unknown number");
      case "n":
        arity(v, 2);
        return typeof a === "string" && /^-?\d+$/.test(a) ? BigInt(a) : fail("a malformed BigInt");
      case "d": {
        arity(v, 2);
        if (a !== null && typeof a !== "number") fail("a malformed Date");
        const date = new Date(a === null ? Number.NaN : (a as number));
        table.push(date);
        return date;
      }
      case "r":
        arity(v, 2);
        return Number.isInteger(a) && (a as number) >= 0 && (a as number) < table.length
          ? table[a as number]
          : fail("a dangling reference");
      case "a":
        arity(v, 2);
        return array(a);
      case "o":
      case "O": {
        arity(v, 2);
        const o = tag === "o" ? {} : Object.create(null);
        table.push(o);
        return define(o, a, []);
      }
      case "c": {
        if (v.length !== 3 && v.length !== 4) fail("a malformed class instance");
        const [o, assignable] = instance(a);
        table.push(o);
        return define(o, b, v.length === 4 ? c : [], assignable);
      }
      default:
        return fail("a value of an unknown kind");
    }
  };

  const array = (items: unknown): unknown[] => {
    if (!Array.isArray(items)) fail("a malformed array");
    const out: unknown[] = [];
    table.push(out);
    out.length = (items as unknown[]).length;
    (items as unknown[]).forEach((item, i) => {
      if (Array.isArray(item) && item.length === 1 && item[0] === "h") return;
      out[i] = node(item);
    });
    return out;
  };

  /** A fresh instance, and the keys it already has that may be assigned (see `own`). */
  const instance = (name: unknown): [object, ReadonlySet<string> | undefined] => {
    if (typeof name !== "string") return fail("a malformed class name");
    if (name.startsWith("#")) {
      const proto = mode === "exact" ? learnedPrototype(Number(name.slice(1))) : undefined;
      return proto ? [Object.create(proto), undefined] : fail("an unknown class");
    }
    const ctor = classByName(name) ?? fail("an unknown class");
    return mode === "exact" ? [Object.create(ctor.prototype), undefined] : [constructed(ctor), assignableKeys(ctor)];
  };

  const define = (o: object, fields: unknown, symbols: unknown, assignable?: ReadonlySet<string>): object => {
    if (!Array.isArray(fields) || fields.length % 2 !== 0) fail("malformed fields");
    if (!Array.isArray(symbols) || symbols.length % 2 !== 0) fail("malformed symbol fields");
    ownFields(o, fields as unknown[], false, assignable);
    ownFields(o, symbols as unknown[], true, assignable);
    return o;
  };

  const ownFields = (o: object, list: unknown[], symbolic: boolean, assignable?: ReadonlySet<string>): void => {
    for (let i = 0; i < list.length; i += 2) {
      const key = list[i];
      if (typeof key !== "string") fail("a malformed key");
      own(o, symbolic ? Symbol.for(key as string) : (key as string), node(list[i + 1]), assignable);
    }
  };

  return node(stored);
}

/**
 * Sets an own, writable, enumerable, configurable data property. A key found nowhere on `o` or its
 * prototypes, or one of the `assignable` own data properties a fresh instance of its class has, is
 * assigned, which makes exactly that property without building a descriptor; any other key
 * (`__proto__`, `constructor`, a getter or setter of the class) is defined, so no setter runs and no
 * prototype changes.
 */
function own(o: object, key: PropertyKey, value: unknown, assignable?: ReadonlySet<string>): void {
  if (key in o && !assignable?.has(key as string)) {
    Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    (o as Record<PropertyKey, unknown>)[key] = value;
  }
}

function arity(v: unknown[], n: number): true {
  if (v.length !== n) fail("a malformed value");
  return true;
}
