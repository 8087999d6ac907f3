import { ByteLru } from "../../src/checkpoint/byte-lru";

// The bound every process-side cache of a saver keeps (channel memory, value bytes, decoded lists).
describe("ByteLru", () => {
  it("lets the least recently set or touched go first, and counts what it let go", () => {
    const lru = new ByteLru<string>(10);
    lru.set("a", "A", 4);
    lru.set("b", "B", 4);
    lru.touch("a");
    lru.set("c", "C", 4);
    expect([lru.get("a"), lru.get("b"), lru.get("c")]).toEqual(["A", undefined, "C"]);
    expect({ size: lru.size, bytes: lru.bytes, evictions: lru.evictions }).toEqual({ size: 2, bytes: 8, evictions: 1 });
  });

  it("replacing a key recounts it; an entry larger than the bound is not held and the old one goes", () => {
    const lru = new ByteLru<string>(10);
    lru.set("a", "A", 4);
    lru.set("a", "A2", 6);
    expect({ value: lru.get("a"), bytes: lru.bytes, evictions: lru.evictions }).toEqual({ value: "A2", bytes: 6, evictions: 0 });
    lru.set("a", "huge", 11);
    expect({ value: lru.get("a"), bytes: lru.bytes, size: lru.size }).toEqual({ value: undefined, bytes: 0, size: 0 });
  });

  it("drops a thread's entries by key prefix", () => {
    const lru = new ByteLru<number>(100);
    lru.set("t1\u0000a", 1, 1);
    lru.set("t1\u0000b", 2, 1);
    lru.set("t10\u0000a", 3, 1);
    lru.deletePrefix("t1\u0000");
    expect({ size: lru.size, bytes: lru.bytes, kept: lru.get("t10\u0000a") }).toEqual({ size: 1, bytes: 1, kept: 3 });
  });
});
