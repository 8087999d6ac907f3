import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import fc from "fast-check";

import { arrayElementEnds } from "../../src/checkpoint/json-array-bytes";
import { registerEncodingWrapper } from "../../src/checkpoint/serde-wrappers";
import { ValueBytesCache } from "../../src/checkpoint/value-bytes-cache";
import { buildMessage, containers, jsonValue, messageSpec } from "../support/state-arbitraries";

// The official layouts' cache of serialized values (value-bytes-cache.ts) against the serde itself: after
// any sequence of what a thread's channel goes through (a list grown, elements edited in place at any
// depth, the list reloaded from its bytes as a read rebuilds it, shrunk, replaced, versions moving or
// not), the cache's bytes are exactly `serde.dumpsTyped(value)`'s.

const serde = new JsonPlusSerializer();
const upstream = async (v: unknown) => Buffer.from((await serde.dumpsTyped(v))[1]).toString("utf8");

const json = jsonValue({ size: 3, keyLength: 5 });
// Built afresh for each run: steps change elements in place, and fast-check replays values when shrinking.
const message = messageSpec(json, { withName: false }).map((spec) => () => buildMessage(structuredClone(spec)));
const element: fc.Arbitrary<() => unknown> = fc.oneof(
  { weight: 4, arbitrary: message },
  { weight: 1, arbitrary: json.map((v) => () => structuredClone(v)) },
);

type Step =
  | { op: "append"; items: Array<() => unknown> }
  | { op: "edit"; at: number; key: string; value: unknown }
  | { op: "reload" }
  | { op: "truncate"; at: number }
  | { op: "replace"; items: Array<() => unknown> }
  | { op: "cycle"; at: number }
  | { op: "same" };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("append" as const), items: fc.array(element, { minLength: 1, maxLength: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("edit" as const), at: fc.nat(), key: fc.string({ maxLength: 4 }), value: json }) },
  { weight: 3, arbitrary: fc.constant({ op: "reload" as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("replace" as const), items: fc.array(element, { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("cycle" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: "same" as const }) },
);

async function apply(list: unknown[], s: Step): Promise<unknown[]> {
  switch (s.op) {
    case "append":
      return [...list, ...s.items.map((make) => make())];
    case "edit": {
      // In place, at any depth of any element (the list itself included), as node code may.
      const all = containers(list);
      const target = all[s.at % all.length];
      const keys = Object.keys(target);
      if (keys.length > 0 && s.at % 2 === 0) target[keys[s.at % keys.length]] = s.value;
      else target[s.key] = s.value;
      return list;
    }
    case "reload":
      // What a read gives: every element rebuilt from the bytes (messages by their constructors); an edit
      // may have made it unreadable (upstream refuses a message whose namespace was changed).
      try {
        return (await serde.loadsTyped("json", (await serde.dumpsTyped(list))[1])) as unknown[];
      } catch {
        return list;
      }
    case "truncate":
      return list.slice(0, list.length === 0 ? 0 : s.at % list.length);
    case "replace":
      return s.items.map((make) => make());
    case "cycle": {
      // An element that refers back to the list: serialized inside the list, the reference is a cycle.
      if (list.length === 0) return list;
      const target = list[s.at % list.length];
      if (target !== null && typeof target === "object") (target as Record<string, unknown>).back = list;
      return list;
    }
    case "same":
      return list;
  }
}

describe("ValueBytesCache writes exactly what the serde writes", () => {
  it("for any sequence of grown, edited, reloaded, shrunk and replaced lists, at new versions or the same", async () => {
    let spliced = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(element, { maxLength: 4 }),
        fc.array(fc.tuple(step, fc.boolean()), { minLength: 1, maxLength: 10 }),
        async (start, steps) => {
          const cache = new ValueBytesCache(serde);
          expect(cache.active).toBe(true);
          let list: unknown[] = start.map((make) => make());
          let version = 1;
          for (const [s, newVersion] of steps) {
            list = await apply(list, s);
            if (newVersion) version++;
            let expected: string;
            try {
              expected = await upstream(list);
            } catch {
              continue;
            }
            const [kind, bytes] = await cache.serialize("t", "", "messages", version, list);
            expect(kind).toBe("json");
            expect(bytes.toString("utf8")).toBe(expected);
            if (cache.stats().entries > 0) spliced++;
          }
        },
      ),
      { seed: 11, numRuns: 400 },
    );
    expect(spliced).toBeGreaterThan(500);
  });

  it("a value changed in place after its serialization was called does not change what that call writes", async () => {
    const cache = new ValueBytesCache(serde);
    const list: unknown[] = [new HumanMessage({ content: "a", id: "1" }), new AIMessage({ content: "b", id: "2" })];
    await cache.serialize("t", "", "m", 1, list);
    const reloaded = (await serde.loadsTyped("json", (await serde.dumpsTyped(list))[1])) as unknown[];
    reloaded.push(new HumanMessage({ content: "c", id: "3" }));
    const expected = await upstream(reloaded);
    const pending = cache.serialize("t", "", "m", 2, reloaded);
    (reloaded[0] as HumanMessage).content = "changed";
    reloaded.push(new HumanMessage({ content: "d", id: "4" }));
    expect((await pending)[1].toString("utf8")).toBe(expected);
    expect((await cache.serialize("t", "", "m", 3, reloaded))[1].toString("utf8")).toBe(await upstream(reloaded));
  });

  it("a serde that encodes otherwise is not spliced for (a subclass that pretty-prints)", async () => {
    class Pretty extends JsonPlusSerializer {
      async dumpsTyped(obj: unknown): Promise<[string, Uint8Array]> {
        return ["json", new TextEncoder().encode(JSON.stringify(obj, null, 2))];
      }
    }
    expect(new ValueBytesCache(new Pretty()).active).toBe(false);
    expect(new ValueBytesCache(serde).active).toBe(true);
    const instance = new JsonPlusSerializer();
    (instance as unknown as { _dumps: unknown })._dumps = () => new TextEncoder().encode("[]");
    expect(new ValueBytesCache(instance).active).toBe(false);
  });

  it("follows the saver's serde as it is now, and looks through our own wrappers only while they are as made", async () => {
    class Pretty extends JsonPlusSerializer {
      async dumpsTyped(obj: unknown): Promise<[string, Uint8Array]> {
        return ["json", new TextEncoder().encode(JSON.stringify(obj, null, 2))];
      }
    }
    const saver: { serde: JsonPlusSerializer } = { serde };
    const cache = new ValueBytesCache(() => saver.serde);
    expect(cache.active).toBe(true);
    saver.serde = new Pretty();
    expect(cache.active).toBe(false);
    // The profiler's timing wrapper (profiler/checkpointer-probe.ts) delegates to the serde it wraps.
    const wrapped = Object.create(serde) as JsonPlusSerializer;
    wrapped.dumpsTyped = (v: unknown) => serde.dumpsTyped(v);
    saver.serde = wrapped;
    expect(cache.active).toBe(false);
    registerEncodingWrapper(wrapped, serde);
    expect(cache.active).toBe(true);
    wrapped.dumpsTyped = async () => ["json", new TextEncoder().encode("[]")];
    expect(cache.active).toBe(false);
  });

  it("element ends: where each element of a serialized array ends, or nothing for what is not one", () => {
    const text = '[{"a":"x,]}\\"y"},[1,[2]],"s\\\\",3]';
    const ends = arrayElementEnds(Buffer.from(text), 4) as number[];
    expect(ends.map((e) => text[e])).toEqual([",", ",", ",", "]"]);
    expect(JSON.parse(`[${text.slice(1, ends[0])}]`)).toEqual([{ a: 'x,]}"y' }]);
    expect(arrayElementEnds(Buffer.from("[]"), 0)).toEqual([]);
    expect(arrayElementEnds(Buffer.from("[1,2]"), 3)).toBeUndefined();
    expect(arrayElementEnds(Buffer.from("{}"), 0)).toBeUndefined();
    expect(arrayElementEnds(Buffer.from('["é,ü"]'), 1)).toEqual([Buffer.byteLength('["é,ü"')]);
  });
});
