/**
 * A synchronous decoder for what LangGraph's JsonPlusSerializer writes (`loadsTyped("json", bytes)`),
 * giving what its asynchronous reviver gives: the same values, the same classes built through the
 * same constructors with the same arguments, or `UPSTREAM` when the bytes hold anything it does not
 * reproduce exactly, so that the caller runs upstream's own code on them (and gets upstream's result
 * or upstream's error).
 *
 * What it does itself, decided as JsonPlusSerializer's `_reviver` (@langchain/langgraph-checkpoint
 * 1.2.2) and @langchain/core's `load` (1.1.48 to 1.4.0) decide:
 * - JSON values, bottom-up; `{lc: 2, type: "undefined"}` is undefined; `{lc: 2, type:
 *   "delta_snapshot", value}` a DeltaSnapshot; the `lc: 2` constructor records of Set, Map, RegExp,
 *   Error and Uint8Array (the same checks: anything else stays the plain object it was);
 * - `{lc: 1, type: "constructor", id: ["langchain_core", "messages", Name], kwargs}` for every message
 *   class (BaseMessage and its subclasses) the `messages` entry of @langchain/core exports: `new Name(kwargs with keys mapped by the class's
 *   lc_aliases or camel-cased)`, as `load` does, when kwargs are plain data (no key `lc`,
 *   `__lc_escaped__` or `__proto__` but in undefined records, nested less than 48 deep), whose
 *   JSON round trip through `load` upstream changes in ways reproduced here (normalizeKwargs).
 * Everything else (other `lc: 1` ids, secrets, escaped objects, deeper kwargs, invalid JSON, a
 * constructor that throws) returns `UPSTREAM`.
 *
 * Nothing user code can observe runs before the whole value is known to stay on the fast path: the
 * message constructors (and the `lc_aliases` getters they read) and the constructions whose
 * arguments hold a message are deferred to the end of the walk, in the walk's order (post-order). So a
 * value that leaves for upstream runs each constructor once, in upstream's code, as without the patch.
 * A constructor that throws is the exception: those before it ran once here and run again upstream.
 */
export const UPSTREAM: unique symbol = Symbol("decode with upstream");
import { assignmentDefinesOwn } from "./plain-assignment";
import { invertedAliases } from "./pure-aliases";

export interface JsonPlusClasses {
  /** The exports of `@langchain/core/messages` in the copy that JsonPlusSerializer's `load` imports. */
  messages: Record<string, unknown>;
  /** `DeltaSnapshot` of the same @langchain/langgraph-checkpoint copy as the serializer. */
  DeltaSnapshot: new (
    value: unknown,
  ) => unknown;
}

type Builder = new (fields: Record<string, unknown>) => unknown;

/** Thrown (never an Error: no stack is captured) to leave the fast path. */
const BAIL = { bail: true };

/** Deepest kwargs nesting handled here; `load` refuses beyond 50 (its DEFAULT_MAX_DEPTH). */
const MAX_KWARGS_DEPTH = 48;
const CAMEL_CACHE_LIMIT = 4096;

const SEPARATOR = /[-_\s]/;
const SEPARATORS = /[-_\s]+/g;
const AFTER_UNDERSCORE = /_+([a-z0-9])/g;

/** @langchain/core's keyFromJson without an alias: the key, trimmed and camel-cased. */
function camelCase(key: string): string {
  const trimmed = key.trim();
  if (!SEPARATOR.test(trimmed)) return trimmed;
  return trimmed
    .replace(SEPARATORS, "_")
    .toLowerCase()
    .replace(AFTER_UNDERSCORE, (_, char: string) => char.toUpperCase());
}

/** A kwargs value upstream's JSON round trip drops (an `{lc: 2, type: "undefined"}` record). */
const ABSENT = { absent: true };

/**
 * `value` (inside an envelope's kwargs) as upstream hands it to the constructor: revived, written
 * with JSON.stringify and revived again by `load`. For plain data that changes only an undefined
 * record (a key dropped, or null in an array), -0 (0) and a number beyond double range (null);
 * anything else that could change (`lc`, `__lc_escaped__` or `__proto__` keys, depth) leaves the
 * fast path. Mutates the fresh parse in place.
 */
function normalizeKwargs(value: unknown, depth: number): unknown {
  if (typeof value !== "object") {
    if (typeof value !== "number" || (value !== 0 && Number.isFinite(value))) return value;
    return Number.isFinite(value) ? 0 : null;
  }
  if (value === null) return value;
  if (depth > MAX_KWARGS_DEPTH) throw BAIL;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === "object" || typeof item === "number") {
        const normal = normalizeKwargs(item, depth + 1);
        value[i] = normal === ABSENT ? null : normal;
      }
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  let absent = false;
  // Own keys only (Object.keys), as upstream's Object.entries: an enumerable key on Object.prototype is no field.
  const keys = Object.keys(record);
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k];
    if (key === "lc" || key === "__lc_escaped__" || key === "__proto__") {
      if (isUndefinedRecord(record)) return ABSENT;
      throw BAIL;
    }
    const item = record[key];
    if (typeof item === "object" || typeof item === "number") {
      const normal = normalizeKwargs(item, depth + 1);
      if (normal === ABSENT) absent = true;
      else record[key] = normal;
    }
  }
  if (!absent) return record;
  const kept: Record<string, unknown> = {};
  for (const key of keys) {
    const item = record[key];
    if (!(typeof item === "object" && item !== null && isUndefinedRecord(item as Record<string, unknown>))) kept[key] = item;
  }
  return kept;
}

/** Exactly `{lc: 2, type: "undefined"}`, the record JsonPlusSerializer writes for undefined. */
function isUndefinedRecord(record: Record<string, unknown>): boolean {
  if (record.lc !== 2 || record.type !== "undefined") return false;
  const keys = Object.keys(record);
  return keys.length === 2 && (keys[0] === "lc" || keys[0] === "type") && (keys[1] === "lc" || keys[1] === "type");
}

function hasNoMethod(record: Record<string, unknown>): boolean {
  return record.method === undefined || record.method === null;
}

function singleArrayArg(args: unknown): args is [unknown[]] {
  return Array.isArray(args) && args.length === 1 && Array.isArray(args[0]);
}

function isByte(item: unknown): boolean {
  return typeof item === "number" && Number.isInteger(item) && item >= 0 && item <= 255;
}

/** The closed set of `lc: 2` constructor records JsonPlusSerializer revives; undefined keeps the record. */
function constructorRecord(record: Record<string, unknown>): unknown {
  const id = record.id;
  if (!Array.isArray(id) || id.length !== 1) return undefined;
  const args = record.args;
  switch (id[0]) {
    case "Set":
      if (!hasNoMethod(record) || !singleArrayArg(args)) return undefined;
      return new Set(args[0]);
    case "Map":
      if (!hasNoMethod(record) || !singleArrayArg(args)) return undefined;
      if (!args[0].every((entry) => Array.isArray(entry) && entry.length === 2)) return undefined;
      return new Map(args[0] as Array<[unknown, unknown]>);
    case "RegExp":
      if (!hasNoMethod(record)) return undefined;
      if (!Array.isArray(args) || args.length !== 2 || typeof args[0] !== "string" || typeof args[1] !== "string") return undefined;
      try {
        return new RegExp(args[0], args[1]);
      } catch {
        return undefined;
      }
    case "Error":
      if (!hasNoMethod(record)) return undefined;
      if (!Array.isArray(args) || args.length !== 1 || typeof args[0] !== "string") return undefined;
      return new Error(args[0]);
    case "Uint8Array":
      if (!hasNoMethod(record) && record.method !== "from") return undefined;
      if (!singleArrayArg(args) || !args[0].every(isByte)) return undefined;
      return new Uint8Array(args[0] as number[]);
    default:
      return undefined;
  }
}

const ENVELOPE_KEYS = new Set(["lc", "type", "id", "kwargs"]);

/** A construction deferred to the end of the walk; `value` is set when it has run. */
class Deferred {
  value: unknown;
  readonly run: () => unknown;
  constructor(run: () => unknown) {
    this.run = run;
  }
}

/** Where a deferred value goes once built: `container[key]`. */
interface Slot {
  container: Record<string | number, unknown> | unknown[];
  key: string | number;
  deferred: Deferred;
}

export class JsonPlusDecoder {
  private readonly builders = new Map<string, Builder>();
  private readonly DeltaSnapshot: JsonPlusClasses["DeltaSnapshot"];
  private readonly camel = new Map<string, string>();
  private readonly utf8 = new TextDecoder();
  /** Whether the text being decoded may hold a `__proto__` key (assigning it sets a prototype upstream). */
  private protoKeys = false;
  /** The walk's deferred constructions and the slots they fill, in the order they are to run. */
  private pending: Array<Deferred | Slot> = [];

  constructor(classes: JsonPlusClasses) {
    this.DeltaSnapshot = classes.DeltaSnapshot;
    // The message classes (BaseMessage and its subclasses); the entry's functions (trimMessages...) go upstream.
    const base = classes.messages.BaseMessage as Builder | undefined;
    for (const name of Object.keys(classes.messages)) {
      const value = classes.messages[name];
      if (base && typeof value === "function" && (value === base || Object.prototype.isPrototypeOf.call(base.prototype, value.prototype)))
        this.builders.set(name, value as Builder);
    }
  }

  /** The classes the fast path constructs itself: `["langchain_core", "messages", name]`. */
  get messageClasses(): string[] {
    return [...this.builders.keys()];
  }

  /** `loadsTyped(type, data)` of JsonPlusSerializer, or `UPSTREAM` to run upstream's code instead. */
  decodeTyped(type: string, data: unknown): unknown {
    if (type !== "json") return UPSTREAM;
    let text: string;
    if (typeof data === "string") text = data;
    else {
      try {
        text = this.utf8.decode(data as Uint8Array);
      } catch {
        return UPSTREAM;
      }
    }
    return this.decodeText(text);
  }

  /** JsonPlusSerializer's `_loads(text)`, or `UPSTREAM`. */
  decodeText(text: string): unknown {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return UPSTREAM;
    }
    return this.reviveParsed(parsed, JsonPlusDecoder.mayHoldProtoKeys(text));
  }

  /** Whether JSON `text` may hold a `__proto__` key (spelled out or escaped), for `reviveParsed`. */
  static mayHoldProtoKeys(text: string): boolean {
    return text.includes("proto") || text.includes("\\u");
  }

  /**
   * What `decodeText` gives for the text `parsed` is a fresh `JSON.parse` of (or an exact copy of one,
   * parsed-json.ts), or `UPSTREAM`; `protoKeys` from `mayHoldProtoKeys` of that text. Revives `parsed`
   * in place: the caller must hold it alone.
   */
  reviveParsed(parsed: unknown, protoKeys: boolean): unknown {
    if (!assignmentDefinesOwn()) return UPSTREAM;
    const outer = this.protoKeys;
    const outerPending = this.pending;
    this.protoKeys = protoKeys;
    this.pending = [];
    try {
      const revived = this.revive(parsed);
      const pending = this.pending;
      for (let i = 0; i < pending.length; i++) {
        const step = pending[i];
        if (step instanceof Deferred) step.value = step.run();
        else (step.container as Record<string | number, unknown>)[step.key] = step.deferred.value;
      }
      return revived instanceof Deferred ? revived.value : revived;
    } catch {
      // BAIL, or anything upstream would meet too (a constructor throwing): upstream decides.
      return UPSTREAM;
    } finally {
      this.protoKeys = outer;
      this.pending = outerPending;
    }
  }

  private defer(run: () => unknown): Deferred {
    const deferred = new Deferred(run);
    this.pending.push(deferred);
    return deferred;
  }

  /** `container[key] = value`, or, for a deferred value, once it is built. */
  private place(container: Record<string | number, unknown> | unknown[], key: string | number, value: unknown): void {
    if (value instanceof Deferred) this.pending.push({ container, key, deferred: value });
    (container as Record<string | number, unknown>)[key] = value;
  }

  /** In place: every array and object came fresh from JSON.parse and nobody else holds them. */
  private revive(value: unknown): unknown {
    if (typeof value !== "object" || value === null) return value;
    const before = this.pending.length;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (typeof item === "object" && item !== null) this.place(value, i, this.revive(item));
      }
      return value;
    }
    const record = value as Record<string, unknown>;
    if (this.protoKeys && Object.hasOwn(record, "__proto__")) return this.reviveByAssignment(record);
    if (record.lc === 1 && record.type === "constructor" && Array.isArray(record.id)) return this.construct(record);
    const keys = Object.keys(record);
    for (let k = 0; k < keys.length; k++) {
      const item = record[keys[k]];
      if (typeof item === "object" && item !== null) this.place(record, keys[k], this.revive(item));
    }
    return this.finish(record, before);
  }

  /** Upstream builds `{}` and assigns each key: an own `__proto__` key then sets the prototype. */
  private reviveByAssignment(record: Record<string, unknown>): unknown {
    const before = this.pending.length;
    const revived: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(record)) {
      const value = this.revive(item);
      // A message as a prototype: upstream's checks below would read through it before it exists here.
      if (key === "__proto__" && value instanceof Deferred) throw BAIL;
      this.place(revived, key, value);
    }
    if (revived.lc === 1 && revived.type === "constructor" && Array.isArray(revived.id)) throw BAIL;
    return this.finish(revived, before);
  }

  /** The record's own revival; deferred when its arguments hold a deferred construction (`before`: the pending count before its children). */
  private finish(record: Record<string, unknown>, before: number): unknown {
    if (record.lc !== 2) return record;
    if (this.pending.length > before) return this.defer(() => this.finishNow(record));
    return this.finishNow(record);
  }

  private finishNow(record: Record<string, unknown>): unknown {
    if (record.type === "undefined") return undefined;
    if (record.type === "delta_snapshot" && Object.hasOwn(record, "value")) return new this.DeltaSnapshot(record.value);
    if (record.type === "constructor") return constructorRecord(record) ?? record;
    return record;
  }

  /** `load()` of an `lc: 1` constructor envelope of a message class, with plain-data kwargs. */
  private construct(record: Record<string, unknown>): unknown {
    const id = record.id as unknown[];
    if (id.length !== 3 || id[0] !== "langchain_core" || id[1] !== "messages") throw BAIL;
    const name = id[2];
    const builder = typeof name === "string" ? this.builders.get(name) : undefined;
    if (builder === undefined || !Object.hasOwn(record, "kwargs")) throw BAIL;
    for (const key of Object.keys(record)) if (!ENVELOPE_KEYS.has(key)) throw BAIL;
    const raw = record.kwargs;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw BAIL;
    const kwargs = normalizeKwargs(raw, 1) as Record<string, unknown>;
    if (kwargs === ABSENT) throw BAIL;
    return this.defer(() => this.build(builder, kwargs, name as string));
  }

  private build(builder: Builder, kwargs: Record<string, unknown>, name: string): unknown {
    // For every message, as upstream's load() does: the getters run each time (one may count its calls,
    // or return another map later: hostile review round 5, finding 5).
    const aliases = invertedAliases(builder);
    const fields: Record<string, unknown> = {};
    for (const key in kwargs) if (Object.hasOwn(kwargs, key)) fields[aliases[key] || this.camelCase(key)] = kwargs[key];
    const instance = new builder(fields) as { constructor: unknown };
    const ctor = instance.constructor as object;
    if (Object.getOwnPropertyDescriptor(ctor, "name")?.value !== name) Object.defineProperty(ctor, "name", { value: name });
    return instance;
  }

  private camelCase(key: string): string {
    let mapped = this.camel.get(key);
    if (mapped === undefined) {
      if (this.camel.size >= CAMEL_CACHE_LIMIT) this.camel.clear();
      mapped = camelCase(key);
      this.camel.set(key, mapped);
    }
    return mapped;
  }
}
