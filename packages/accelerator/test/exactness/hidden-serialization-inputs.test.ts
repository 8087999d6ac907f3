import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { MemorySaver } from "@langchain/langgraph";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";

import { RustSqliteSaver } from "../../src";
import { ValueBytesCache } from "../../src/checkpoint/value-bytes-cache";
import { shadowOf } from "../../src/checkpoint/shadow";

// What a value's bytes depend on beyond what a walk of its enumerable own keys sees (hostile review of
// the value-bytes cache, round 29): fields LangChain's toJSON and kwargs escaping read through `in`
// (non-enumerable or inherited), and arrays with a toJSON. A cached serialization must never stand in
// for such a value: the bytes are always `serde.dumpsTyped(value)`'s as the value is at the put.

const serde = new JsonPlusSerializer();
const upstream = async (v: unknown) => Buffer.from((await serde.dumpsTyped(v))[1]).toString("utf8");
type Writable = Record<string, unknown>;

/** Each turn's value through one cache (as a thread's puts go), against the serde itself. */
async function cachedAgainstSerde(turns: Array<() => unknown>): Promise<void> {
  const cache = new ValueBytesCache(() => serde);
  for (let i = 0; i < turns.length; i++) {
    const value = turns[i]();
    const [, bytes] = await cache.serialize("t", "", "messages", String(i + 1), value);
    expect(bytes.toString("utf8")).toBe(await upstream(value));
  }
}

describe("fields toJSON reads through `in`", () => {
  test("a message field made non-enumerable, then edited", async () => {
    const m = new AIMessage({ content: "first", id: "a1" });
    Object.defineProperty(m, "content", { value: "first", writable: true, enumerable: false, configurable: true });
    await cachedAgainstSerde([
      () => [m],
      () => {
        (m as unknown as Writable).content = "CHANGED";
        return [m, new HumanMessage({ content: "next", id: "h2" })];
      },
    ]);
  });

  test("a kwarg toJSON read from lc_kwargs, later served by a non-enumerable own field", async () => {
    const m = new AIMessage({ content: "c", id: "a1", name: "from kwargs" });
    delete (m as unknown as Writable).name;
    await cachedAgainstSerde([
      () => [m],
      () => {
        Object.defineProperty(m, "name", { value: "hidden own", enumerable: false, configurable: true });
        return [m, new HumanMessage({ content: "next", id: "h2" })];
      },
    ]);
  });

  test("a kwarg toJSON read from lc_kwargs, later served by the prototype", async () => {
    class Custom extends AIMessage {}
    const m = new Custom({ content: "c", id: "a1", name: "from kwargs" });
    delete (m as unknown as Writable).name;
    await cachedAgainstSerde([
      () => [m],
      () => {
        Object.defineProperty(Custom.prototype, "name", { value: "inherited", configurable: true });
        return [m, new HumanMessage({ content: "next", id: "h2" })];
      },
    ]);
  });

  test("lc_kwargs made non-enumerable, then given a key", async () => {
    const m = new AIMessage({ content: "c", id: "a1" });
    Object.defineProperty(m, "lc_kwargs", { value: { ...m.lc_kwargs }, enumerable: false, writable: true, configurable: true });
    await cachedAgainstSerde([
      () => [m],
      () => {
        (m.lc_kwargs as Writable).extra = "appears";
        return [m, new HumanMessage({ content: "next", id: "h2" })];
      },
    ]);
  });

  test("a kwargs object given a non-enumerable `lc` (the escaping sees it)", async () => {
    const m = new AIMessage({ content: "c", id: "a1", additional_kwargs: { k: 1 } });
    await cachedAgainstSerde([
      () => [m],
      () => {
        Object.defineProperty(m.additional_kwargs, "lc", { value: 1, enumerable: false, configurable: true });
        return [m, new HumanMessage({ content: "next", id: "h2" })];
      },
    ]);
  });

  test("a kwargs object whose prototype is given a non-enumerable `lc`", async () => {
    const proto = {};
    const meta = Object.assign(Object.create(proto), { k: 1 });
    const m = new AIMessage({ content: "c", id: "a1", response_metadata: meta });
    await cachedAgainstSerde([
      () => [m],
      () => {
        Object.defineProperty(proto, "lc", { value: 1, enumerable: false, configurable: true });
        return [m, new HumanMessage({ content: "next", id: "h2" })];
      },
    ]);
  });

  test("a one-key kwargs object given a non-enumerable `__lc_escaped__`", async () => {
    const m = new AIMessage({ content: "c", id: "a1", additional_kwargs: { k: 1 } });
    await cachedAgainstSerde([
      () => [m],
      () => {
        Object.defineProperty(m.additional_kwargs, "__lc_escaped__", { value: 1, enumerable: false, configurable: true });
        return [m, new HumanMessage({ content: "next", id: "h2" })];
      },
    ]);
  });

  test("no shadow for a message with a non-enumerable field or a kwargs object with a hidden `lc`", () => {
    const m = new AIMessage({ content: "c", id: "a1" });
    expect(shadowOf([m])).toBeDefined();
    Object.defineProperty(m, "content", { value: "c", enumerable: false, writable: true, configurable: true });
    expect(shadowOf([m])).toBeUndefined();
    const k = new AIMessage({ content: "c", id: "a2", additional_kwargs: { k: 1 } });
    Object.defineProperty(k.additional_kwargs, "lc", { value: 1, enumerable: false });
    expect(shadowOf([k])).toBeUndefined();
  });
});

describe("arrays with a toJSON", () => {
  test("an element's array whose toJSON reads outside state", async () => {
    const outside = { v: "one" };
    const tags = Object.assign(["x"], { toJSON: () => outside.v });
    const element = { tags };
    await cachedAgainstSerde([
      () => [element],
      () => {
        outside.v = "two";
        return [element, { b: 1 }];
      },
    ]);
  });

  test("a message's kwargs array whose toJSON reads outside state", async () => {
    const outside = { v: "one" };
    const m = new AIMessage({ content: "c", id: "a1" });
    m.additional_kwargs.tags = Object.assign(["x"], { toJSON: () => outside.v });
    await cachedAgainstSerde([
      () => [m],
      () => {
        outside.v = "two";
        return [m, new HumanMessage({ content: "n", id: "h" })];
      },
    ]);
  });

  test("the channel's list itself with a toJSON, then a plain list of the same elements and one more", async () => {
    await cachedAgainstSerde([
      () =>
        Object.assign(["a", "b"], {
          toJSON(this: string[]) {
            return this.map((s) => s.toUpperCase());
          },
        }),
      () => ["a", "b", "c"],
    ]);
  });

  test("a plain list, then the same list given a toJSON and grown", async () => {
    const list = ["a", "b"];
    await cachedAgainstSerde([
      () => list,
      () => {
        list.push("c");
        return Object.assign(list, { toJSON: () => ["replaced"] });
      },
    ]);
  });

  test("Array.prototype given a toJSON between puts", async () => {
    const list = [new HumanMessage({ content: "a", id: "h1" })];
    const proto = Array.prototype as unknown as Writable;
    try {
      await cachedAgainstSerde([
        () => list,
        () => {
          proto.toJSON = function (this: unknown[]) {
            return { length: this.length };
          };
          return [...list, new HumanMessage({ content: "b", id: "h2" })];
        },
      ]);
    } finally {
      delete proto.toJSON;
    }
  });

  test("RustSqliteSaver's increments: a list grown into one with a toJSON reads back as MemorySaver's", async () => {
    const read = async (saver: MemorySaver | RustSqliteSaver) => {
      const config = { configurable: { thread_id: "t", checkpoint_ns: "" } };
      const cp = (id: string, items: unknown, v: number) =>
        ({
          v: 4,
          id,
          ts: "2024-01-01T00:00:00.000Z",
          channel_values: { items },
          channel_versions: { items: v },
          versions_seen: {},
        }) as never;
      const first = await saver.put(config, cp("00001", ["a", "b"], 1), { source: "input", step: -1, parents: {} } as never, { items: 1 });
      const grown = Object.assign(["a", "b", "c"], {
        toJSON(this: string[]) {
          return this.map((s) => s.toUpperCase());
        },
      });
      await saver.put(first, cp("00002", grown, 2), { source: "loop", step: 0, parents: {} } as never, { items: 2 });
      return (await saver.getTuple(config))?.checkpoint.channel_values.items;
    };
    const rust = new RustSqliteSaver(":memory:");
    try {
      const expected = await read(new MemorySaver());
      expect(expected).toEqual(["A", "B", "C"]);
      expect(await read(rust)).toEqual(expected);
    } finally {
      rust.close();
    }
  });
});

describe("errors", () => {
  test.each([
    ["a BigInt", () => new AIMessage({ content: "b", id: "a2", additional_kwargs: { n: 1n } })],
    [
      "a throwing toJSON",
      () => ({
        toJSON() {
          throw new Error("no");
        },
      }),
    ],
  ])("%s in what a grown list adds: the same error as without a cached prefix", async (_, bad) => {
    const first = new HumanMessage({ content: "a", id: "h1" });
    const list = [first, bad()];
    const warm = new ValueBytesCache(() => serde);
    await warm.serialize("t", "", "messages", "1", [first]);
    const message = (cache: ValueBytesCache) =>
      cache.serialize("t", "", "messages", "2", list).then(
        () => "serialized",
        (e: Error) => e.message,
      );
    const cold = await message(new ValueBytesCache(() => serde));
    expect(cold).toMatch(/^cannot serialize channel "messages" of thread "t"/);
    expect(await message(warm)).toBe(cold);
  });
});
