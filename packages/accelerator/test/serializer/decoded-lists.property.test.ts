import * as messages from "@langchain/core/messages";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import fc from "fast-check";

import { type DecodedList, DecodedLists, LIST_UPSTREAM } from "../../src/checkpoint/decoded-lists";
import { decoderFor } from "../../src/checkpoint/json-plus-copies";
import type { JsonPlusDecoder } from "../../src/checkpoint/json-plus-decoder";
import { ValueSnapshot } from "../../src/checkpoint/value-snapshot";
import { message, stateValue } from "./arbitraries";
import { firstDifference } from "./same-value";

/** A bound large enough for every case. */
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

/** A read the lists served themselves (not left to the caller). */
function served(read: ReturnType<DecodedLists["load"]>): DecodedList {
  if (read === undefined || read === LIST_UPSTREAM) throw new Error(`not served: ${String(read)}`);
  return read;
}

describe("decoded lists: a grown list parses only its new elements and revives every element afresh", () => {
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
            if (!read || read === LIST_UPSTREAM) continue; // the caller decodes as before
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
    // Reads of an older (shorter) list and lists holding what the decoder leaves to upstream are left to the caller.
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
    await expectFreshDecode(served(grown).value, b1);
    // Bytes that extend the remembered ones but are not JSON: left to the caller (upstream's error).
    const broken = Buffer.concat([Buffer.from(b1).subarray(0, b1.length - 1), Buffer.from(",1]]")]);
    expect(lists.load(KEY, decoder, broken)).toBeUndefined();
    await expect(decodeUpstream(broken)).rejects.toThrow();
    // Whitespace before the closing bracket is still a prefix of the grown list.
    const utf8 = (text: string) => new TextEncoder().encode(text);
    const spacedLists = new DecodedLists(ON);
    expect(served(spacedLists.load(KEY, decoder, utf8("[1 ]"))).value).toEqual([1]);
    expect(served(spacedLists.load(KEY, decoder, utf8("[1 ,2]"))).value).toEqual([1, 2]);
    expect(spacedLists.stats().hits).toBe(1);
    // A comma and nothing, or a BOM after the comma (which TextDecoder would strip at a text's start): not JSON
    // as a whole list, so left to the caller on a warm entry too (hostile review round 5, finding 2).
    for (const tail of [",]", ", ]", ",\uFEFF2]"]) {
      const warm = new DecodedLists(ON);
      expect(served(warm.load(KEY, decoder, utf8("[1]"))).value).toEqual([1]);
      expect(served(warm.load(KEY, decoder, utf8("[1]"))).value).toEqual([1]);
      expect(warm.stats().hits).toBe(1);
      expect(warm.load(KEY, decoder, utf8(`[1${tail}`))).toBeUndefined();
      expect(() => JSON.parse(`[1${tail}`)).toThrow(SyntaxError);
    }
    // A shorter list (an older checkpoint): left to the caller, the entry kept.
    expect(spacedLists.load(KEY, decoder, utf8("[1]"))).toBeUndefined();
    expect(spacedLists.stats()).toMatchObject({ entries: 1, hits: 1 });
    // An empty list with a space ("[ ]"): "[ ,1]" is no JSON, though "[" + "1]" would be.
    const empty = new DecodedLists(ON);
    expect(served(empty.load(KEY, decoder, utf8("[ ]"))).value).toEqual([]);
    expect(empty.load(KEY, decoder, utf8("[ ,1]"))).toBeUndefined();
    expect(empty.stats().hits).toBe(0);
    // [1] then [12]: not an extension (no comma where the bracket was).
    const other = new DecodedLists(ON);
    expect(served(other.load(KEY, decoder, new TextEncoder().encode("[1]"))).value).toEqual([1]);
    expect(served(other.load(KEY, decoder, new TextEncoder().encode("[12]"))).value).toEqual([12]);
    expect(other.stats()).toMatchObject({ hits: 0, misses: 2 });
  });

  it("serves what the decoder revives itself (Map, Set, bytes, chunks with accessors), each read afresh", async () => {
    const chunk = new messages.AIMessageChunk({ content: "", tool_call_chunks: [{ name: "f", args: "{}", id: "c", index: 0 }] });
    for (const value of [[new Set([1])], [new Uint8Array([1])], [new Map([[1, { a: 2 }]])], [chunk], [new Date(0), undefined]]) {
      const lists = new DecodedLists(ON);
      const bytes = await bytesOf(value);
      const first = served(lists.load(KEY, decoder, bytes));
      const second = served(lists.load(KEY, decoder, bytes));
      await expectFreshDecode(first.value, bytes);
      await expectFreshDecode(second.value, bytes);
      if (typeof first.value[0] === "object" && first.value[0] !== null) expect(second.value[0]).not.toBe(first.value[0]);
    }
  });

  it("a list the decoder leaves to upstream goes to upstream's code once, and is not tried again while it grows", async () => {
    const lists = new DecodedLists(ON);
    const h = (id: string) => new messages.HumanMessage({ content: id, id });
    // An `lc` key inside kwargs: upstream escapes it; the decoder leaves such values to upstream.
    const refused = [new messages.HumanMessage({ content: "x", id: "0", additional_kwargs: { lc: 1 } }), h("1")];
    expect(lists.load(KEY, decoder, await bytesOf(refused))).toBe(LIST_UPSTREAM);
    expect(lists.load(KEY, decoder, await bytesOf([...refused, h("2")]))).toBeUndefined();
    expect(lists.load(KEY, decoder, await bytesOf(refused))).toBeUndefined();
    expect(lists.stats()).toMatchObject({ entries: 1, hits: 0, misses: 3 });
    // Not an extension any more (the refused message was removed), and longer: decoded and served again.
    const changed = [h("1"), h("2"), h("3"), h("4"), h("5")];
    const read = served(lists.load(KEY, decoder, await bytesOf(changed)));
    await expectFreshDecode(read.value, await bytesOf(changed));
    served(lists.load(KEY, decoder, await bytesOf([...changed, h("6")])));
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
    const artifactOf = (read: ReturnType<DecodedLists["load"]>) => (served(read).value[0] as messages.ToolMessage).artifact;
    const first = lists.load(KEY, decoder, bytes);
    expect(artifactOf(first)).toBeUndefined();
    Object.defineProperty(proto, "lc_aliases", { configurable: true, get: () => ({ tool_call_id: "tool_call_id", artifact: "art_ref" }) });
    try {
      const read = lists.load(KEY, decoder, bytes);
      expect(artifactOf(read)).toBe(1);
      expect(firstDifference(await decodeUpstream(bytes), served(read).value)).toBeUndefined();
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

describe("decoded lists run what a fresh decode runs, on every read (hostile review round 4, findings 3 and 7)", () => {
  const base = messages.BaseMessage.prototype;

  /** Runs `body` with a getter `lc_serializable_keys` on BaseMessage.prototype (read by every message constructor). */
  async function withKeysGetter<T>(get: () => string[] | undefined, body: () => Promise<T>): Promise<T> {
    const before = Object.getOwnPropertyDescriptor(base, "lc_serializable_keys");
    Object.defineProperty(base, "lc_serializable_keys", { configurable: true, get });
    try {
      return await body();
    } finally {
      if (before) Object.defineProperty(base, "lc_serializable_keys", before);
      else delete (base as { lc_serializable_keys?: unknown }).lc_serializable_keys;
    }
  }

  it("a constructor's side effect (a counter) runs as often as with upstream's decode, misses included (one decode per miss)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { minLength: 1, maxLength: 4 }),
        fc.array(message, { minLength: 1, maxLength: 3 }),
        async (a, b) => {
          const b0 = await bytesOf(a);
          const b1 = await bytesOf([...a, ...b]);
          const reads = [b0, b0, b1, b1, b0];
          let count = 0;
          const counting = () => {
            count++;
            return undefined;
          };
          const upstreamCount = await withKeysGetter(counting, async () => {
            count = 0;
            for (const bytes of reads) await decodeUpstream(bytes);
            return count;
          });
          const oursCount = await withKeysGetter(counting, async () => {
            count = 0;
            const lists = new DecodedLists(ON);
            for (const bytes of reads) {
              const read = lists.load(KEY, decoder, bytes);
              if (read === undefined || read === LIST_UPSTREAM) await decodeUpstream(bytes);
            }
            return count;
          });
          expect(upstreamCount).toBeGreaterThan(0);
          expect(oursCount).toBe(upstreamCount);
        },
      ),
      { numRuns: Math.min(RUNS, 100) },
    );
  });

  it("a getter the constructors read, redefined on BaseMessage.prototype after a read, is honoured by the next read", async () => {
    const list = [
      new messages.HumanMessage({ content: "h", id: "1", name: "n" }),
      new messages.AIMessage({ content: "a", id: "2", tool_calls: [{ id: "t", name: "f", args: { x: 1 } }] }),
      new messages.ToolMessage({ content: "r", tool_call_id: "t", id: "3" }),
    ];
    const bytes = await bytesOf(list);
    const lists = new DecodedLists(ON);
    await expectFreshDecode(served(lists.load(KEY, decoder, bytes)).value, bytes);
    await withKeysGetter(
      () => ["content", "id"],
      async () => {
        const read = served(lists.load(KEY, decoder, bytes));
        const fresh = (await decodeUpstream(bytes)) as messages.BaseMessage[];
        // The redefined getter changes what the constructor keeps (lc_kwargs), as upstream's decode shows.
        expect(Object.keys(fresh[0].lc_kwargs)).toEqual(["content", "id"]);
        expect(firstDifference(fresh, read.value)).toBeUndefined();
        await expectFreshDecode(read.value, bytes);
      },
    );
    await expectFreshDecode(served(lists.load(KEY, decoder, bytes)).value, bytes);
  });

  it("a prototype chain changed after a read (a method added to BaseMessage.prototype) is what the next read's values have", async () => {
    const bytes = await bytesOf([new messages.HumanMessage({ content: "h", id: "1" })]);
    const lists = new DecodedLists(ON);
    served(lists.load(KEY, decoder, bytes));
    const marker = Symbol("added");
    Object.defineProperty(base, marker, { configurable: true, get: () => "seen" });
    try {
      const read = served(lists.load(KEY, decoder, bytes));
      expect((read.value[0] as Record<symbol, unknown>)[marker]).toBe("seen");
      await expectFreshDecode(read.value, bytes);
    } finally {
      delete (base as unknown as Record<symbol, unknown>)[marker];
    }
  });
});
