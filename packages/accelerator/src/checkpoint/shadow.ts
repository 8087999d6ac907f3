/**
 * A shadow records, as a flat list of tokens, everything a value's JSON serialization depends on: for
 * each object its prototype and its enumerable keys in order, for each array its length, and every
 * primitive leaf. Checking a value against the shadow taken when it was serialized walks the value
 * again and compares token by token, without allocating: it proves the value would serialize to the
 * same bytes, however the value was changed in place since (an element pushed, a message's content,
 * tool call arguments or kwargs edited at any depth, a key added or deleted, a prototype swapped).
 *
 * Only values whose serialization is fully visible this way get a shadow: primitives, arrays, plain
 * objects, instances of classes without a `toJSON` of their own, and LangChain `Serializable` objects
 * (messages), whose `toJSON` reads their own fields. Anything holding state JSON cannot see through
 * enumerable properties (Map, Set, Date, typed arrays, errors, other `toJSON` methods, arrays with a
 * `toJSON`, keys LangChain's toJSON or kwargs escaping reads through `in` that are not enumerable, cycles,
 * depth over MAX_DEPTH) gets none, and callers must then treat the value as changed.
 */

const OPEN_OBJECT = Object.freeze({ token: "object" });
const OPEN_ARRAY = Object.freeze({ token: "array" });
const CLOSE = Object.freeze({ token: "close" });
/**
 * In the shadow of a LangChain object's `lc_kwargs`: this kwarg is the very object the instance's own
 * enumerable field of the same name holds, whose tokens follow in the same walk (the message
 * constructors store each object kwarg in both places). A match checks the identity again.
 */
const SAME_AS_OWN = Object.freeze({ token: "same as own field" });

const MAX_DEPTH = 64;

export type ShadowTokens = unknown[];

/** Token count and string characters a shadow holds: what keeping it costs, for byte bounds. */
export interface ShadowSize {
  tokens: number;
  chars: number;
}

function visibleObject(value: object): boolean {
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (toJSON !== undefined) {
    // LangChain's Serializable.toJSON builds its output from the instance's own fields (lc_kwargs keys
    // read back through `this`), so its own enumerable properties determine it. Any other toJSON may
    // depend on anything.
    if (
      typeof toJSON !== "function" ||
      !isEnumerable.call(value, "lc_kwargs") ||
      typeof (value as { lc_serializable?: unknown }).lc_serializable !== "boolean"
    ) {
      return false;
    }
    // toJSON reads `key in this ? this[key] : lc_kwargs[key]`: a kwarg served by an inherited accessor
    // (a subclass field kept in #private state) or by a non-enumerable own field is out of the shadow's
    // sight (its walk enumerates).
    const kwargs = (value as { lc_kwargs: unknown }).lc_kwargs;
    if (kwargs === null || typeof kwargs !== "object") return false;
    for (const key in kwargs) if (key in value && !isEnumerable.call(value, key)) return false;
    return true;
  }
  // Built-ins with internal state JSON sees through the serializer's instanceof checks, whatever
  // their toStringTag says.
  if (
    value instanceof Map ||
    value instanceof Set ||
    value instanceof Error ||
    value instanceof RegExp ||
    value instanceof Date ||
    value instanceof Promise ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value)
  ) {
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return true;
  // Other class instances: JSON sees their own enumerable properties, unless they keep state in
  // internal slots (tagged built-ins).
  return Object.prototype.toString.call(value) === "[object Object]";
}

const isEnumerable = Object.prototype.propertyIsEnumerable;

/**
 * Whether @langchain/core's kwargs escaping (`escapeIfNeeded`: `"lc" in obj`, and `"__lc_escaped__" in
 * obj` for an object of one key) would see a key the walk does not enumerate: a non-enumerable own or
 * an inherited `lc` or `__lc_escaped__`. Keys it enumerates are in the shadow. `keyCount`: the keys the
 * walk enumerated.
 */
function escapesDifferently(value: object, keyCount: number): boolean {
  return (
    ("lc" in value && !isEnumerable.call(value, "lc")) ||
    (keyCount === 1 && "__lc_escaped__" in value && !isEnumerable.call(value, "__lc_escaped__"))
  );
}

/** Keys of a LangChain object's `lc_kwargs` its toJSON reads from `lc_kwargs` (no such key `in` the object). */
function kwargsOnlyKeys(value: object): string[] | undefined {
  let keys: string[] | undefined;
  const kwargs = (value as { lc_kwargs: object }).lc_kwargs;
  for (const key in kwargs) {
    if (key in value) continue;
    keys ??= [];
    keys.push(key);
  }
  return keys;
}

/** In a LangChain object's shadow after its stamp: every kwarg is one of its enumerable fields. */
const NO_KWARGS_ONLY_KEYS = Object.freeze({ token: "no kwargs-only keys" });

/**
 * What LangChain's `Serializable.toJSON` reads besides the instance's own fields: these properties
 * along the prototype chain (and the class's `lc_name`, through `lc_id`). A redefined getter changes
 * the bytes an unchanged instance serializes to, so shadows of such objects record a stamp of them.
 */
const SERIALIZATION_KEYS = [
  "toJSON",
  "lc_serializable",
  "lc_aliases",
  "lc_secrets",
  "lc_attributes",
  "lc_id",
  "lc_namespace",
  "lc_serializable_keys",
  "constructor",
];

interface ChainStamp {
  sources: unknown[];
  stamp: object;
  /** The stamp of the chain as this process first saw it, and its sources. */
  baseline: object;
  baselineSources: unknown[];
}

/** How many stamps handed out differed from their chain's baseline (see `stampDepartures`). */
let departures = 0;

/**
 * A counter that grows whenever a shadow is taken or matched of an object whose chain differs from
 * how this process first saw it (a getter toJSON reads was redefined since). A value just loaded from
 * a store is remembered as "serializes to the stored bytes" only when its shadow was taken without a
 * departure: the stored bytes were written under the getters in effect then, not the redefined ones.
 */
export function stampDepartures(): number {
  return departures;
}

const stamps = new WeakMap<object, ChainStamp>();
/** Prototypes whose stamp was checked in the current synchronous run (cleared in a microtask). */
let checked: Set<object> | undefined;

function chainSources(proto: object): unknown[] {
  const sources: unknown[] = [];
  for (let current: object | null = proto; current !== null; current = Object.getPrototypeOf(current)) {
    sources.push(current);
    for (const key of SERIALIZATION_KEYS) {
      const d = Object.getOwnPropertyDescriptor(current, key);
      sources.push(d?.get, d?.value);
    }
  }
  const ctor = (proto as { constructor?: unknown }).constructor;
  sources.push(typeof ctor === "function" ? (ctor as { lc_name?: unknown }).lc_name : undefined);
  return sources;
}

let lastProto: object | undefined;
let lastStamp: object | undefined;
let lastChecked: Set<object> | undefined;

function rememberLast(proto: object, stamp: object): void {
  lastProto = proto;
  lastStamp = stamp;
  lastChecked = checked;
}

/**
 * An object that stays the same while every getter, method and class `toJSON` reads from `proto`'s
 * chain is the same function (or data value): a new one after any of them was redefined, or the
 * chain changed. Checked at most once per prototype per synchronous run (a getter redefined between
 * turns is always seen).
 */
function chainStamp(proto: object): object {
  // The prototype asked last in this synchronous run, at its baseline: most walks see one class after another.
  if (proto === lastProto && checked === lastChecked && checked !== undefined) return lastStamp as object;
  const known = stamps.get(proto);
  if (known && checked?.has(proto)) {
    if (known.stamp !== known.baseline) departures++;
    else rememberLast(proto, known.stamp);
    return known.stamp;
  }
  const sources = chainSources(proto);
  if (checked === undefined) {
    checked = new Set();
    queueMicrotask(() => {
      checked = undefined;
    });
  }
  checked.add(proto);
  if (known && known.sources.length === sources.length && known.sources.every((s, i) => s === sources[i])) {
    if (known.stamp !== known.baseline) departures++;
    else rememberLast(proto, known.stamp);
    return known.stamp;
  }
  // Back to the chain as first seen: the baseline stamp again.
  if (known && known.baselineSources.length === sources.length && known.baselineSources.every((s, i) => s === sources[i])) {
    stamps.set(proto, { ...known, sources, stamp: known.baseline });
    return known.baseline;
  }
  const stamp = {};
  if (known) departures++;
  stamps.set(proto, { sources, stamp, baseline: known?.baseline ?? stamp, baselineSources: known?.baselineSources ?? sources });
  return stamp;
}

/**
 * Appends the shadow of `value` to `out`. Returns false (and leaves `out` with partial tokens the
 * caller must discard) when the value is not fully visible.
 */
export function appendShadow(value: unknown, out: ShadowTokens, size: ShadowSize, depth = 0, owner?: object): boolean {
  if (value === null || typeof value !== "object") {
    out.push(value);
    size.tokens += 1;
    if (typeof value === "string") size.chars += value.length;
    return true;
  }
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    // JSON.stringify calls an array's toJSON (its own, or one added to Array.prototype).
    if (Object.getPrototypeOf(value) !== Array.prototype || (value as { toJSON?: unknown }).toJSON !== undefined) return false;
    out.push(OPEN_ARRAY, value.length);
    size.tokens += 2;
    for (let i = 0; i < value.length; i++) if (!appendShadow(value[i], out, size, depth + 1)) return false;
    return true;
  }
  if (!visibleObject(value)) return false;
  // Visibility is decided here, once: it rests on the prototype and the toJSON in effect, which a match
  // compares, and on the keys, which it walks.
  const proto = Object.getPrototypeOf(value);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  out.push(OPEN_OBJECT, proto, toJSON);
  if (typeof toJSON === "function") {
    // A kwarg read from lc_kwargs is read from the object instead once the object has such a key, even
    // one the walk does not enumerate: a match checks that these keys are still not `in` it.
    out.push(chainStamp(proto), kwargsOnlyKeys(value) ?? NO_KWARGS_ONLY_KEYS);
    size.tokens += 1;
  }
  size.tokens += 4;
  // `value` is the plain `lc_kwargs` of `owner`: an object kwarg the owner's own field holds is one token.
  const sameAs = owner !== undefined && toJSON === undefined ? owner : undefined;
  let keyCount = 0;
  for (const key in value) {
    keyCount++;
    // Only data properties: reading an accessor could run code (and its value is not the shadow's to keep).
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor === undefined || descriptor.get !== undefined || descriptor.set !== undefined) return false;
    out.push(key);
    size.tokens += 1;
    size.chars += key.length;
    if (sameAs !== undefined && ownFieldHolds(sameAs, key, descriptor.value)) {
      out.push(SAME_AS_OWN);
      size.tokens += 1;
    } else if (!appendShadow(descriptor.value, out, size, depth + 1, kwargsOwner(key, toJSON, value))) return false;
  }
  if (typeof toJSON !== "function" && escapesDifferently(value, keyCount)) return false;
  out.push(CLOSE);
  return true;
}

/** The LangChain object whose `lc_kwargs` the value under `key` of `value` is, if it is. */
function kwargsOwner(key: string, toJSON: unknown, value: object): object | undefined {
  return key === "lc_kwargs" && typeof toJSON === "function" ? value : undefined;
}

/** The own enumerable data property `key` of `owner`, if it holds exactly `item` (an object). */
function ownFieldHolds(owner: object, key: string, item: unknown): boolean {
  if (item === null || typeof item !== "object") return false;
  const d = Object.getOwnPropertyDescriptor(owner, key);
  return d !== undefined && d.enumerable === true && d.get === undefined && d.set === undefined && d.value === item;
}

/** The shadow of `value`, or undefined when it is not fully visible. */
export function shadowOf(value: unknown): { tokens: ShadowTokens; size: ShadowSize } | undefined {
  const tokens: ShadowTokens = [];
  const size = { tokens: 0, chars: 0 };
  return appendShadow(value, tokens, size) ? { tokens, size } : undefined;
}

function samePrimitive(value: unknown, token: unknown): boolean {
  return token === value || (Number.isNaN(value) && Number.isNaN(token));
}

/**
 * Walks `value` against the tokens from `pos`; returns the position after the value's tokens, or -1
 * when the value differs from what the shadow recorded. With `out`, appends the tokens walked to it,
 * each primitive as the value holds it (equal to the token, and often the same string, which later
 * matches compare by pointer); the caller discards `out`'s tail on -1.
 */
export function matchShadow(value: unknown, tokens: ShadowTokens, pos: number, out?: ShadowTokens, depth = 0, owner?: object): number {
  if (value === null || typeof value !== "object") {
    if (!samePrimitive(value, tokens[pos])) return -1;
    out?.push(value);
    if (adopting) tokens[pos] = value;
    return pos + 1;
  }
  if (depth >= MAX_DEPTH) return -1;
  if (Array.isArray(value)) {
    if (
      tokens[pos] !== OPEN_ARRAY ||
      tokens[pos + 1] !== value.length ||
      Object.getPrototypeOf(value) !== Array.prototype ||
      (value as { toJSON?: unknown }).toJSON !== undefined
    )
      return -1;
    out?.push(OPEN_ARRAY, value.length);
    let at = pos + 2;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      // Primitives inline: most tokens are, and a call per token is most of a match's cost.
      if (item === null || typeof item !== "object") {
        if (!samePrimitive(item, tokens[at])) return -1;
        out?.push(item);
        if (adopting) tokens[at] = item;
        at++;
      } else {
        at = matchShadow(item, tokens, at, out, depth + 1);
        if (at < 0) return -1;
      }
    }
    return at;
  }
  const proto = Object.getPrototypeOf(value);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (tokens[pos] !== OPEN_OBJECT || tokens[pos + 1] !== proto || tokens[pos + 2] !== toJSON) return -1;
  out?.push(OPEN_OBJECT, proto, toJSON);
  let at = pos + 3;
  if (typeof toJSON === "function") {
    const stamp = tokens[at++];
    if (stamp !== chainStamp(proto)) return -1;
    const kwargsOnly = tokens[at++];
    if (kwargsOnly !== NO_KWARGS_ONLY_KEYS) for (const key of kwargsOnly as string[]) if (key in value) return -1;
    out?.push(stamp, kwargsOnly);
  }
  // A SAME_AS_OWN kwarg matches while it is still the object `owner[key]` holds: the owner's walk
  // matches that field's own tokens (it walks every own enumerable key, so a field deleted, hidden or
  // turned into an accessor since fails there).
  const sameAs = owner !== undefined && toJSON === undefined ? owner : undefined;
  let keyCount = 0;
  for (const key in value) {
    keyCount++;
    if (tokens[at] !== key) return -1;
    const item = (value as Record<string, unknown>)[key];
    if (item === null || typeof item !== "object") {
      if (!samePrimitive(item, tokens[at + 1])) return -1;
      out?.push(key, item);
      if (adopting) tokens[at + 1] = item;
      at += 2;
    } else if (tokens[at + 1] === SAME_AS_OWN) {
      if (sameAs === undefined || (sameAs as Record<string, unknown>)[key] !== item) return -1;
      out?.push(key, SAME_AS_OWN);
      at += 2;
    } else {
      out?.push(key);
      at = matchShadow(item, tokens, at + 1, out, depth + 1, kwargsOwner(key, toJSON, value));
      if (at < 0) return -1;
    }
  }
  // An lc_kwargs object (`owner` set) is read through Object.keys, never escaped itself.
  if (typeof toJSON !== "function" && owner === undefined && escapesDifferently(value, keyCount)) return -1;
  if (tokens[at] !== CLOSE) return -1;
  out?.push(CLOSE);
  return at + 1;
}

/** Whether the running match writes the value's primitives over the tokens they equal (see below). */
let adopting = false;

/**
 * `matchShadow`, writing each primitive of `value` over the token it equals as it goes: the tokens then
 * hold the value's own strings (same contents), which later matches of the same value compare by
 * pointer instead of by content.
 */
export function matchShadowAdopting(value: unknown, tokens: ShadowTokens, pos: number): number {
  adopting = true;
  try {
    return matchShadow(value, tokens, pos);
  } finally {
    adopting = false;
  }
}

/** Adds to `size` what `appendShadow` counted for the tokens from `start` to `end` (whole values). */
export function addTokenSize(tokens: ShadowTokens, start: number, end: number, size: ShadowSize): void {
  let counted = 0;
  for (let t = start; t < end; t++) {
    const token = tokens[t];
    if (typeof token === "string") size.chars += token.length;
    // An object counts 4 for its 3 or 4 opening tokens, and nothing for its close.
    if (token === OPEN_OBJECT && typeof tokens[t + 2] !== "function") counted += 1;
    else if (token === CLOSE) counted -= 1;
  }
  size.tokens += end - start + counted;
}

/** Bytes a shadow keeps alive, counted as 8 per token plus 2 per string character. */
export function shadowBytes(size: ShadowSize): number {
  return size.tokens * 8 + size.chars * 2;
}
