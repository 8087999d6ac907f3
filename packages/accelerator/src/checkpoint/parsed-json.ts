/**
 * Private copies of what `JSON.parse` returns (plain objects, arrays, strings, numbers, booleans,
 * null), made so that a copy is indistinguishable from another `JSON.parse` of the same text: the same
 * own keys in the same order, each an own writable, enumerable, configurable data property (an own
 * `__proto__` key stays an own property, as JSON.parse makes it, instead of setting the prototype).
 * Strings are shared (they are immutable). Used by decoded-lists.ts to keep the parse of each element
 * of a list, never handed out, and to give the decoder a fresh parse of it on every read.
 */

/**
 * Heap bytes V8 (64-bit, no pointer compression: Node's default build) keeps for parsed JSON, per
 * thing: an object's header and one pointer per property (properties beyond the in-object slots live
 * in a backing store of the same size), an array's JSArray header plus its elements store, a string's
 * header and characters (two bytes each when any is beyond Latin-1), a heap number for a non-Smi
 * number. Checked against process.memoryUsage() over many entries (test/serializer/decoded-lists-bytes.test.ts).
 */
const OBJECT_BYTES = 88;
const ARRAY_BYTES = 64;
const POINTER_BYTES = 8;
const STRING_BYTES = 24;
const NUMBER_BYTES = 16;

/** Running total of the bytes a copy keeps (see `copyParsed`). */
export interface CopySize {
  bytes: number;
}

/** A character beyond Latin-1: V8 then keeps the string with two bytes per character. */
const TWO_BYTE = /[\u0100-\uffff]/;

function stringBytes(s: string): number {
  return STRING_BYTES + (TWO_BYTE.test(s) ? 2 * s.length : s.length);
}

/**
 * A copy of `value` (a fresh JSON.parse result or a copy of one), adding to `size.bytes` what it
 * keeps when `size` is given. Shares nothing mutable with `value`.
 */
export function copyParsed(value: unknown, size?: CopySize): unknown {
  if (typeof value !== "object" || value === null) {
    if (size) {
      if (typeof value === "string") size.bytes += stringBytes(value);
      else if (typeof value === "number" && !(Number.isInteger(value) && Math.abs(value) < 2 ** 31 && !Object.is(value, -0)))
        size.bytes += NUMBER_BYTES;
    }
    return value;
  }
  if (Array.isArray(value)) {
    const n = value.length;
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(copyParsed(value[i], size));
    if (size) size.bytes += ARRAY_BYTES + n * POINTER_BYTES;
    return out;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const out: Record<string, unknown> = {};
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k];
    const item = copyParsed(record[key], size);
    if (key === "__proto__") Object.defineProperty(out, key, { value: item, writable: true, enumerable: true, configurable: true });
    else out[key] = item;
  }
  if (size) size.bytes += OBJECT_BYTES + keys.length * 2 * POINTER_BYTES;
  return out;
}
