import * as messages from "@langchain/core/messages";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import fc from "fast-check";

import { DecodedLists } from "../../src/checkpoint/decoded-lists";
import { decoderFor } from "../../src/checkpoint/json-plus-copies";
import type { JsonPlusDecoder } from "../../src/checkpoint/json-plus-decoder";
import { ValueSnapshot } from "../../src/checkpoint/value-snapshot";
import { ValueTemplate } from "../../src/checkpoint/value-template";
import { message, stateValue } from "./arbitraries";
import { firstDifference } from "./same-value";

/** A bound large enough for every case (decoded lists are opt-in: off by default). */
const ON = 32 * 2 ** 20;

const serde = new JsonPlusSerializer();
const upstream = JsonPlusSerializer.prototype.loadsTyped;
const decoder = decoderFor(serde) as JsonPlusDecoder;
const KEY = DecodedLists.key("thread", "", "messages");
const RUNS = Number(process.env.FLG_PROPERTY_RUNS ?? 300);

const decodeUpstream = (bytes: Uint8Array): Promise<unknown> => upstream.call(serde, "json", bytes);

async function bytesOf(value: unknown): Promise<Uint8Array> {
  const [kind, bytes] = await serde.dumpsTyped(value);
  expect(kind).toBe("json");
  return bytes;
}

/** Objects reached by data properties, each numbered at its first visit; a later visit records the number. */
function identityShape(value: unknown, seen = new Map<object, number>(), out: unknown[] = []): unknown[] {
  if (typeof value !== "object" || value === null) return out;
  const number = seen.get(value);
  if (number !== undefined) {
    out.push(`@${number}`);
    return out;
  }
  seen.set(value, seen.size);
  out.push("{");
  for (const key of Reflect.ownKeys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, key) as PropertyDescriptor;
    out.push(String(key));
    identityShape(d.value, seen, out);
  }
  out.push("}");
  return out;
}

/** Paths at which `a` and `b` hold the very same object (what two decodes share). */
function sharedPaths(a: unknown, b: unknown, path = "$", out: string[] = [], seen = new Set<object>()): string[] {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return out;
  if (a === b) {
    out.push(path);
    return out;
  }
  if (seen.has(a)) return out;
  seen.add(a);
  for (const key of Reflect.ownKeys(a)) {
    const da = Object.getOwnPropertyDescriptor(a, key);
    const db = Object.getOwnPropertyDescriptor(b, key);
    if (da && db && "value" in da && "value" in db) sharedPaths(da.value, db.value, `${path}.${String(key)}`, out, seen);
  }
  return out;
}

/** Ours is what a fresh upstream decode of `bytes` is: classes, descriptors, aliasing, sharing, bytes, shadow. */
async function expectFreshDecode(ours: unknown[], bytes: Uint8Array): Promise<void> {
  const theirs = await decodeUpstream(bytes);
  const again = await decodeUpstream(bytes);
  const difference = firstDifference(theirs, ours);
  if (difference) throw new Error(`decoded lists differ at ${difference}`);
  expect(identityShape(ours)).toEqual(identityShape(theirs));
  expect(sharedPaths(ours, again)).toEqual(sharedPaths(theirs, again));
  expect(Buffer.from(await bytesOf(ours)).toString("base64")).toBe(Buffer.from(await bytesOf(theirs)).toString("base64"));
}

/** Changes everything reachable in place, as node code might (content, fields, nested arrays). */
function mutateDeeply(value: unknown, seen = new Set<object>()): void {
  if (typeof value !== "object" || value === null || seen.has(value) || Object.isFrozen(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (const item of value) mutateDeeply(item, seen);
    value.push("pushed");
    return;
  }
  for (const key of Object.keys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, key);
    if (!d || !("value" in d) || !d.writable) continue;
    const item = d.value;
    if (typeof item === "object" && item !== null) mutateDeeply(item, seen);
    else (value as Record<string, unknown>)[key] = typeof item === "string" ? `${item} changed` : "changed";
  }
  (value as Record<string, unknown>).added = 1;
}

const element = fc.oneof({ weight: 6, arbitrary: message }, { weight: 1, arbitrary: stateValue });
const stats = { reads: 0, served: 0 };

describe("decoded lists: a grown list decodes only its new elements and hands out fresh copies", () => {
  it("every read equals a fresh upstream decode, whatever was done to earlier results", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(element, { maxLength: 5 }),
        fc.array(element, { minLength: 1, maxLength: 3 }),
        fc.array(element, { minLength: 1, maxLength: 3 }),
        async (base, added, more) => {
          const lists = new DecodedLists(ON);
          const b0 = await bytesOf(base);
          const b1 = await bytesOf([...base, ...added]);
          const b2 = await bytesOf([...base, ...added, ...more]);
          // A thread growing, read again unchanged, an older checkpoint read, growing again.
          for (const bytes of [b0, b1, b1, b0, b2, b2]) {
            stats.reads++;
            const read = lists.load(KEY, decoder, bytes);
            if (!read) continue; // the caller decodes as before
            stats.served++;
            await expectFreshDecode(read.value, bytes);
            if (read.parts) expect(ValueSnapshot.fromParts(read.value, read.parts).matches(read.value)).toBe(true);
            const taken = ValueSnapshot.take(read.value);
            if (read.parts && taken) {
              expect(ValueSnapshot.fromParts(read.value, read.parts).prefixMatches(read.value, read.value.length)).toBe(true);
            }
            mutateDeeply(read.value);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("served most reads of message lists itself (the comparisons are not all fallbacks)", () => {
    // Reads of an older (shorter) list and lists holding a value without a template are left to the caller.
    expect(stats.served).toBeGreaterThan(stats.reads / 3);
  });

  it("counts hits and misses, and decodes an extension of the bytes only when it is one", async () => {
    const lists = new DecodedLists(ON);
    const a = new messages.AIMessage({ content: "a", id: "1" });
    const h = new messages.HumanMessage({ content: "h", id: "2" });
    const b0 = await bytesOf([a]);
    const b1 = await bytesOf([a, h]);
    expect(lists.load(KEY, decoder, b0)).toBeDefined();
    expect(lists.stats()).toMatchObject({ entries: 1, hits: 0, misses: 1 });
    const grown = lists.load(KEY, decoder, b1);
    expect(lists.stats()).toMatchObject({ entries: 1, hits: 1, misses: 1 });
    await expectFreshDecode(grown?.value as unknown[], b1);
    // Bytes that extend the remembered ones but are not JSON: left to the caller (upstream's error).
    const broken = Buffer.concat([Buffer.from(b1).subarray(0, b1.length - 1), Buffer.from(",1]]")]);
    expect(lists.load(KEY, decoder, broken)).toBeUndefined();
    await expect(decodeUpstream(broken)).rejects.toThrow();
    // Whitespace before the closing bracket is still a prefix of the grown list.
    const utf8 = (text: string) => new TextEncoder().encode(text);
    const spacedLists = new DecodedLists(ON);
    expect(spacedLists.load(KEY, decoder, utf8("[1 ]"))?.value).toEqual([1]);
    expect(spacedLists.load(KEY, decoder, utf8("[1 ,2]"))?.value).toEqual([1, 2]);
    expect(spacedLists.stats().hits).toBe(1);
    // A shorter list (an older checkpoint): left to the caller, the entry kept.
    expect(spacedLists.load(KEY, decoder, utf8("[1]"))).toBeUndefined();
    expect(spacedLists.stats()).toMatchObject({ entries: 1, hits: 1 });
    // An empty list with a space ("[ ]"): "[ ,1]" is no JSON, though "[" + "1]" would be.
    const empty = new DecodedLists(ON);
    expect(empty.load(KEY, decoder, utf8("[ ]"))?.value).toEqual([]);
    expect(empty.load(KEY, decoder, utf8("[ ,1]"))?.value).toBeUndefined();
    expect(empty.stats().hits).toBe(0);
    // [1] then [12]: not an extension (no comma where the bracket was).
    const other = new DecodedLists(ON);
    expect(other.load(KEY, decoder, new TextEncoder().encode("[1]"))?.value).toEqual([1]);
    expect(other.load(KEY, decoder, new TextEncoder().encode("[12]"))?.value).toEqual([12]);
    expect(other.stats()).toMatchObject({ hits: 0, misses: 2 });
  });

  it("a value the templates cannot copy (Map, Set, bytes, an accessor) is decoded as before", async () => {
    const lists = new DecodedLists(ON);
    expect(lists.load(KEY, decoder, await bytesOf([new Set([1])]))).toBeUndefined();
    expect(lists.load(KEY, decoder, await bytesOf([new Uint8Array([1])]))).toBeUndefined();
    expect(lists.load(KEY, decoder, await bytesOf([new Map([[1, 2]])]))).toBeUndefined();
    // AIMessageChunk with tool call chunks defines accessors on the instance.
    const chunk = new messages.AIMessageChunk({ content: "", tool_call_chunks: [{ name: "f", args: "{}", id: "c", index: 0 }] });
    expect(lists.load(KEY, decoder, await bytesOf([chunk]))).toBeUndefined();
  });

  it("a list with an element without a template is not tried again while it grows; a changed list is", async () => {
    const lists = new DecodedLists(ON);
    const h = (id: string) => new messages.HumanMessage({ content: id, id });
    const refused = [new Set([1]), h("1")];
    expect(lists.load(KEY, decoder, await bytesOf(refused))).toBeUndefined();
    expect(lists.load(KEY, decoder, await bytesOf([...refused, h("2")]))).toBeUndefined();
    expect(lists.load(KEY, decoder, await bytesOf(refused))).toBeUndefined();
    expect(lists.stats()).toMatchObject({ entries: 1, hits: 0, misses: 3 });
    // Not an extension any more (the Set was removed): decoded, templated and served again.
    const changed = [h("1"), h("2"), h("3")];
    const read = lists.load(KEY, decoder, await bytesOf(changed));
    expect(read).toBeDefined();
    await expectFreshDecode(read?.value as unknown[], await bytesOf(changed));
    expect(lists.load(KEY, decoder, await bytesOf([...changed, h("4")]))).toBeDefined();
    expect(lists.stats()).toMatchObject({ hits: 1, misses: 4 });
  });

  it("sees a changed lc_aliases getter: the remembered elements are decoded again", async () => {
    const lists = new DecodedLists(ON);
    const proto = messages.ToolMessage.prototype;
    const original = Object.getOwnPropertyDescriptor(proto, "lc_aliases") as PropertyDescriptor;
    const json = JSON.stringify([
      {
        lc: 1,
        type: "constructor",
        id: ["langchain_core", "messages", "ToolMessage"],
        kwargs: { content: "c", tool_call_id: "t", art_ref: 1 },
      },
    ]);
    const bytes = new TextEncoder().encode(json);
    const artifactOf = (read: ReturnType<DecodedLists["load"]>) => (read?.value[0] as messages.ToolMessage | undefined)?.artifact;
    const served = lists.load(KEY, decoder, bytes);
    expect(served).toBeDefined();
    expect(artifactOf(served)).toBeUndefined();
    Object.defineProperty(proto, "lc_aliases", { configurable: true, get: () => ({ tool_call_id: "tool_call_id", artifact: "art_ref" }) });
    try {
      const read = lists.load(KEY, decoder, bytes);
      expect(artifactOf(read)).toBe(1);
      expect(firstDifference(await decodeUpstream(bytes), read?.value)).toBeUndefined();
    } finally {
      Object.defineProperty(proto, "lc_aliases", original);
    }
    const after = lists.load(KEY, decoder, bytes);
    expect(after).toBeDefined();
    expect(artifactOf(after)).toBeUndefined();
  });

  it("is bounded by bytes: the least recently used list goes first; 0 keeps none", async () => {
    const one = await bytesOf([new messages.HumanMessage({ content: "x".repeat(1000), id: "1" })]);
    const probe = new DecodedLists(ON);
    probe.load(DecodedLists.key("a", "", "m"), decoder, one);
    const lists = new DecodedLists(Math.ceil(probe.stats().bytes * 1.5));
    lists.load(DecodedLists.key("a", "", "m"), decoder, one);
    lists.load(DecodedLists.key("b", "", "m"), decoder, one);
    expect(lists.stats()).toMatchObject({ entries: 1, evictions: 1 });
    expect(lists.stats().bytes).toBeLessThanOrEqual(lists.stats().maxBytes);
    const none = new DecodedLists(0);
    expect(none.load(KEY, decoder, one)).toBeUndefined();
    expect(none.stats().entries).toBe(0);
  });
});

describe("ValueTemplate", () => {
  const protos = new Set<object | null>([Object.prototype]);

  it("copies share what two decodes share and nothing else; aliasing inside a value is kept", () => {
    const shared = { constant: true };
    const make = () => {
      const inner = { n: [1, 2] };
      return { shared, a: inner, b: inner, list: [inner] };
    };
    const template = ValueTemplate.build(make(), make(), protos);
    const one = template?.instantiate() as ReturnType<typeof make>;
    const two = template?.instantiate() as ReturnType<typeof make>;
    expect(one).toEqual(make());
    expect(one.shared).toBe(shared);
    expect(one.a).toBe(one.b);
    expect(one.list[0]).toBe(one.a);
    expect(one.a).not.toBe(two.a);
  });

  it("gives no template when the decodes differ (a random id, a different shape) or hold what it cannot copy", () => {
    expect(ValueTemplate.build({ id: "a" }, { id: "b" }, protos)).toBeUndefined();
    expect(ValueTemplate.build({ a: 1 }, { a: 1, b: 2 }, protos)).toBeUndefined();
    const inner = {};
    expect(ValueTemplate.build({ x: inner, y: inner }, { x: {}, y: {} }, protos)).toBeUndefined();
    expect(ValueTemplate.build([new Map()], [new Map()], protos)).toBeUndefined();
    expect(ValueTemplate.build(Object.freeze({}), Object.freeze({}), protos)).toBeUndefined();
    const withGetter = () => Object.defineProperty({}, "g", { get: () => 1, enumerable: true });
    expect(ValueTemplate.build(withGetter(), withGetter(), protos)).toBeUndefined();
  });

  it("reproduces property attributes and keys the prototype chain has (defined, not assigned)", () => {
    const make = () => {
      const o = JSON.parse('{"__proto__":1,"toString":2}');
      Object.defineProperty(o, "hidden", { value: 3, enumerable: false, writable: false, configurable: true });
      return o;
    };
    const copy = ValueTemplate.build(make(), make(), protos)?.instantiate() as object;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptors(copy)).toEqual(Object.getOwnPropertyDescriptors(make()));
    expect(Reflect.ownKeys(copy)).toEqual(Reflect.ownKeys(make()));
  });
});
