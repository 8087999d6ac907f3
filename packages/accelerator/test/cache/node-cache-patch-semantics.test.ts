import { Annotation, START, StateGraph } from "@langchain/langgraph";
import { InMemoryCache, JsonPlusSerializer } from "@langchain/langgraph-checkpoint";

import { patchLangGraph, unpatchLangGraph } from "../../src";

// The patched InMemoryCache (on a bounded RustNodeCache) gives what LangGraph's own gives, for keys,
// namespaces, ttl edge values and value types (hostile review, round 3, finding 5).

type Cache = InMemoryCache;
const k = (namespace: unknown[], key: unknown) => [namespace, key] as never;

const cases: Record<string, (c: Cache) => Promise<unknown>> = {
  "namespaces are joined with a comma": async (c) => {
    await c.set([{ key: k(["a", "b"], "k"), value: 1 }]);
    return c.get([k(["a,b"], "k"), k(["a", "b"], "k")]);
  },
  "clear takes the exact joined namespace": async (c) => {
    await c.set([
      { key: k(["a", "b"], "k"), value: 1 },
      { key: k(["a"], "k"), value: 2 },
    ]);
    await c.clear([["a"]]);
    const first = await c.get([k(["a", "b"], "k"), k(["a"], "k")]);
    await c.clear([["a,b"]]);
    return [first, await c.get([k(["a", "b"], "k")])];
  },
  "an empty namespace is the empty string's": async (c) => {
    await c.set([{ key: k([], "k"), value: 1 }]);
    return c.get([k([""], "k"), k([], "k")]);
  },
  "ttl 0, negative and NaN have expired when set, and replace the old value": async (c) => {
    const out = [];
    for (const ttl of [0, -5, Number.NaN]) {
      await c.set([{ key: k(["n"], "k"), value: "old" }]);
      await c.set([{ key: k(["n"], "k"), value: "new", ttl }]);
      out.push(await c.get([k(["n"], "k")]));
    }
    return out;
  },
  "ttl Infinity and null never expire": async (c) => {
    await c.set([
      { key: k(["n"], "inf"), value: 1, ttl: Number.POSITIVE_INFINITY },
      { key: k(["n"], "null"), value: 2, ttl: null as never },
    ]);
    return c.get([k(["n"], "inf"), k(["n"], "null")]);
  },
  "numeric keys and namespace parts are strings": async (c) => {
    await c.set([
      { key: k(["n"], 5), value: 1 },
      { key: k([1, 2], "k"), value: 2 },
    ]);
    return c.get([k(["n"], "5"), k(["1", "2"], "k"), k(["1,2"], "k")]);
  },
  "a namespace that is not an array fails the same way": async (c) => c.set([{ key: k("abc" as never, "k"), value: 1 }]),
  "bytes, Map, Set and Date come back as they went in": async (c) => {
    await c.set([{ key: k(["n"], "k"), value: { b: new Uint8Array([1, 2]), m: new Map([["a", 1]]), s: new Set([1]), d: new Date(0) } }]);
    await c.set([{ key: k(["n"], "top"), value: new Uint8Array([3]) }]);
    const found = (await c.get([k(["n"], "k"), k(["n"], "top")])) as { value: unknown }[];
    return found.map(({ value }) =>
      value instanceof Uint8Array ? ["top", Object.getPrototypeOf(value) === Uint8Array.prototype, [...value]] : value,
    );
  },
  "replacing the public cache field empties it": async (c) => {
    await c.set([{ key: k(["n"], "k"), value: 1 }]);
    (c as unknown as { cache: object }).cache = {};
    const after = await c.get([k(["n"], "k")]);
    await c.set([{ key: k(["n"], "k"), value: 2 }]);
    return [after, await c.get([k(["n"], "k")])];
  },
  "a serde assigned after first use is used from then on": async (c) => {
    await c.set([{ key: k(["n"], "a"), value: 1 }]);
    class Tagging extends JsonPlusSerializer {
      async loadsTyped(type: string, data: Uint8Array | string) {
        return { tagged: await super.loadsTyped(type, data) };
      }
    }
    c.serde = new Tagging();
    return c.get([k(["n"], "a")]);
  },
  "the key handed back is the one asked for": async (c) => {
    await c.set([{ key: k(["n"], "k"), value: 1 }]);
    const asked = k(["n"], "k");
    const [found] = await c.get([asked]);
    return found.key === asked;
  },
};

async function outcome(run: () => Promise<unknown>) {
  try {
    return { value: await run() };
  } catch (error) {
    return { error: `${(error as Error).constructor.name}: ${(error as Error).message}` };
  }
}

afterEach(() => unpatchLangGraph());

describe("the patched InMemoryCache answers as LangGraph's own", () => {
  it.each(Object.entries(cases))("%s", async (_name, run) => {
    const expected = await outcome(() => run(new InMemoryCache()));
    await patchLangGraph({ memorySaver: false, sqliteSaver: false, postgresSaver: false, stateMerger: false });
    const cache = new InMemoryCache();
    const actual = await outcome(() => run(cache));
    expect(actual).toEqual(expected);
  });

  it("a subclass reading the cache field keeps LangGraph's own code", async () => {
    class SizedCache extends InMemoryCache {
      size() {
        const buckets = (this as unknown as { cache: Record<string, object> }).cache;
        return Object.values(buckets).reduce((n, bucket) => n + Object.keys(bucket).length, 0);
      }
    }
    const run = async () => {
      const c = new SizedCache();
      await c.set([
        { key: k(["node"], "k1"), value: 1 },
        { key: k(["node"], "k2"), value: 2 },
      ]);
      return [c.size(), await c.get([k(["node"], "k1")])];
    };
    const expected = await run();
    await patchLangGraph({ memorySaver: false, sqliteSaver: false, postgresSaver: false, stateMerger: false });
    expect(await run()).toEqual(expected);
    expect(expected[0]).toBe(2);
  });

  it("a node with cachePolicy ttl Infinity is served from the cache (it ran every time patched)", async () => {
    const runs = async () => {
      let calls = 0;
      const graph = new StateGraph(Annotation.Root({ q: Annotation<string>, a: Annotation<string> }))
        .addNode(
          "answer",
          (s) => {
            calls++;
            return { a: `answer to ${s.q}` };
          },
          { cachePolicy: { ttl: Number.POSITIVE_INFINITY } },
        )
        .addEdge(START, "answer")
        .compile({ cache: new InMemoryCache() });
      const outputs = [await graph.invoke({ q: "x" }), await graph.invoke({ q: "x" })];
      return { outputs, calls };
    };
    const expected = await runs();
    await patchLangGraph({ memorySaver: false, sqliteSaver: false, postgresSaver: false, stateMerger: false });
    expect(await runs()).toEqual(expected);
    expect(expected.calls).toBe(1);
  });
});
