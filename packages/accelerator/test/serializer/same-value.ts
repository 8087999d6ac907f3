import { types } from "node:util";

/**
 * Structural identity of two decoded values, strict enough to tell any difference a caller could
 * observe: the same prototype object at every level (or, for prototypes made from data, equal ones),
 * the same own keys in the same order with the same descriptors, and the same contents of Map, Set,
 * Date, RegExp, Error and typed arrays. Returns the path of the first difference, or undefined.
 */
export function firstDifference(a: unknown, b: unknown, path = "$", seen = new Map<object, object>()): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (typeof a !== typeof b) return `${path}: ${typeof a} vs ${typeof b}`;
  // Closures made by two calls of the same code (per-instance getters, functions in kwargs).
  if (typeof a === "function" && typeof b === "function") return String(a) === String(b) ? undefined : `${path}: different functions`;
  if (typeof a !== "object" || a === null || b === null) return `${path}: ${String(a)} vs ${String(b)}`;
  const x = a as object;
  const y = b as object;
  if (seen.get(x) === y) return undefined;
  seen.set(x, y);
  const px = Object.getPrototypeOf(x);
  const py = Object.getPrototypeOf(y);
  if (px !== py) {
    if (px === null || py === null || isBuiltInPrototype(px) || isBuiltInPrototype(py)) return `${path}: different prototypes`;
    const inner = firstDifference(px, py, `${path}.[[Prototype]]`, seen);
    if (inner) return inner;
  }
  if (types.isMap(x) !== types.isMap(y) || types.isSet(x) !== types.isSet(y)) return `${path}: different kinds`;
  if (types.isMap(x)) {
    const ex = [...x];
    const ey = [...(y as Map<unknown, unknown>)];
    const d = firstDifference(ex, ey, `${path}.<entries>`, seen);
    if (d) return d;
  }
  if (types.isSet(x)) {
    const d = firstDifference([...x], [...(y as Set<unknown>)], `${path}.<values>`, seen);
    if (d) return d;
  }
  if (types.isDate(x) !== types.isDate(y) || types.isRegExp(x) !== types.isRegExp(y)) return `${path}: different kinds`;
  if (types.isDate(x) && x.getTime() !== (y as Date).getTime()) return `${path}: dates differ`;
  if (types.isRegExp(x) && String(x) !== String(y)) return `${path}: ${String(x)} vs ${String(y)}`;
  if (ArrayBuffer.isView(x) !== ArrayBuffer.isView(y)) return `${path}: different kinds`;
  if (ArrayBuffer.isView(x)) {
    const bx = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    const by = Buffer.from((y as ArrayBufferView).buffer, (y as ArrayBufferView).byteOffset, (y as ArrayBufferView).byteLength);
    if (!bx.equals(by)) return `${path}: bytes differ`;
  }
  const kx = Reflect.ownKeys(x);
  const ky = Reflect.ownKeys(y);
  const keysX = kx.map(String).join(",");
  const keysY = ky.map(String).join(",");
  if (keysX !== keysY) return `${path}: keys [${keysX}] vs [${keysY}]`;
  for (const key of kx) {
    const dx = Object.getOwnPropertyDescriptor(x, key) as PropertyDescriptor;
    const dy = Object.getOwnPropertyDescriptor(y, key) as PropertyDescriptor;
    const where = `${path}.${String(key)}`;
    if (dx.enumerable !== dy.enumerable || dx.writable !== dy.writable || dx.configurable !== dy.configurable)
      return `${where}: descriptors differ`;
    if ((dx.get === undefined) !== (dy.get === undefined) || (dx.set === undefined) !== (dy.set === undefined))
      return `${where}: accessor vs data property`;
    if (dx.get || dx.set) {
      if (String(dx.get) !== String(dy.get) || String(dx.set) !== String(dy.set)) return `${where}: different accessors`;
      const d = dx.get ? firstDifference(dx.get.call(x), (dy.get as () => unknown).call(y), `${where}.<get>`, seen) : undefined;
      if (d) return d;
      continue;
    }
    // Error stacks name the call site, which differs by construction: compare their first line only.
    if (key === "stack" && x instanceof Error) {
      if (String(dx.value).split("\n")[0] !== String(dy.value).split("\n")[0]) return `${where}: stack headers differ`;
      continue;
    }
    const d = firstDifference(dx.value, dy.value, where, seen);
    if (d) return d;
  }
  return undefined;
}

const BUILT_IN_PROTOTYPES = new Set<object>([
  Object.prototype,
  Array.prototype,
  Map.prototype,
  Set.prototype,
  Date.prototype,
  RegExp.prototype,
  Error.prototype,
  Uint8Array.prototype,
  Function.prototype,
]);

/** A class's prototype (compared by identity); a prototype made from data, such as `{constructor: null}`, is compared by value. */
function isBuiltInPrototype(proto: object): boolean {
  if (BUILT_IN_PROTOTYPES.has(proto)) return true;
  const ctor = Object.getOwnPropertyDescriptor(proto, "constructor")?.value;
  return typeof ctor === "function" && ctor.prototype === proto;
}
