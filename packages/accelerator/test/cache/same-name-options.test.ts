import { RustLLMCache, RustNodeCache } from "../../src";

// Issue 12 item 8 (cache part): a second cache of the same name may not silently drop its own options.
const unique = (n: string) => `${n}-${process.pid}-${Date.now()}`;

describe("a second cache of the same name", () => {
  it("refuses other bounds or another ttl, naming the cache and both values", () => {
    const name = unique("llm");
    new RustLLMCache({ name, maxEntries: 10, ttl: 60_000 });
    expect(() => new RustLLMCache({ name, maxEntries: 20 })).toThrow(
      `RustLLMCache: the cache "${name}" is already open in this process with other options: maxEntries 20 (open with 10)`,
    );
    expect(() => new RustLLMCache({ name, ttl: 1000 })).toThrow(/ttl 1000 ms \(open with 60000\)/);
    expect(() => new RustLLMCache({ name, maxBytes: 1 << 20 })).toThrow(/maxBytes 1048576 \(open with 268435456\)/);
  });

  it("joins the open cache when given the same options or none", async () => {
    const name = unique("join");
    const first = new RustLLMCache({ name, maxEntries: 10 });
    await first.update("p", "k", [{ text: "shared" }]);
    const same = new RustLLMCache({ name, maxEntries: 10 });
    const bare = new RustLLMCache({ name });
    expect((await same.lookup("p", "k"))?.[0].text).toBe("shared");
    expect((await bare.lookup("p", "k"))?.[0].text).toBe("shared");
  });

  it("applies to RustNodeCache the same way", () => {
    const name = unique("node");
    new RustNodeCache({ name, ttl: 5000 });
    expect(() => new RustNodeCache({ name, ttl: 9000 })).toThrow(
      /^RustNodeCache: the cache ".*" is already open .*ttl 9000 ms \(open with 5000\)/,
    );
    expect(() => new RustNodeCache({ name })).not.toThrow();
  });
});

describe("PostgreSQL tier options in the wrong place", () => {
  test("a top-level table or schema is refused, naming where it belongs", () => {
    const misplaced = (o: object) => o as ConstructorParameters<typeof RustNodeCache>[0];
    expect(() => new RustNodeCache(misplaced({ postgres: "postgresql://u@127.0.0.1:1/db", table: "node_cache" }))).toThrow(
      /RustNodeCache: table is an option of the PostgreSQL tier: give it as postgres: \{ connectionString, table \}/,
    );
    expect(() => new RustLLMCache(misplaced({ postgres: "postgresql://u@127.0.0.1:1/db", schema: "cache" }))).toThrow(
      /RustLLMCache: schema is an option/,
    );
  });
});
