import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import fc from "fast-check";

import { ValueSnapshot } from "../../src/checkpoint/value-snapshot";
import { buildMessage, containers, jsonValue, messageSpec } from "../support/state-arbitraries";

const serde = new JsonPlusSerializer();
const bytes = async (v: unknown) => Buffer.from((await serde.dumpsTyped(v))[1]).toString("utf8");
const encode = async (v: unknown) => Buffer.from((await serde.dumpsTyped(v))[1]);
const decode = async (data: Uint8Array) => (await serde.loadsTyped("json", data)) as unknown[];

const json = jsonValue({ size: 4, keyLength: 6 });
const message = messageSpec(json, { withName: true }).map(buildMessage);

const state = fc.oneof(fc.array(message, { maxLength: 5 }), json, fc.array(fc.oneof(message, json), { maxLength: 4 }));

const mutation = fc.record({
  target: fc.nat(),
  op: fc.constantFrom("set", "delete", "push", "setExisting", "cloneChild"),
  key: fc.string({ maxLength: 4 }),
  value: json,
});

type Mutation = { target: number; op: string; key: string; value: unknown };

function mutate(root: unknown, m: Mutation): void {
  const all = containers(root);
  if (all.length === 0) return;
  const target = all[m.target % all.length];
  const keys = Object.keys(target);
  const existing = keys.length ? keys[m.target % keys.length] : m.key;
  if (m.op === "set") target[m.key] = m.value;
  else if (m.op === "delete") delete target[existing];
  else if (m.op === "push" && Array.isArray(target)) target.push(m.value);
  else if (m.op === "setExisting") target[existing] = m.value;
  else if (m.op === "cloneChild") {
    // Replacing a child by an equal copy changes identity but not the serialization.
    const child = target[existing];
    if (child !== null && typeof child === "object" && Object.getPrototypeOf(child) === Object.prototype) target[existing] = { ...child };
  }
}

describe("value snapshots prove a value serializes as it did", () => {
  it("a value matches the snapshot taken of it", async () => {
    await fc.assert(
      fc.asyncProperty(state, async (value) => {
        const snapshot = ValueSnapshot.take(value);
        expect(snapshot).toBeDefined();
        expect(snapshot?.matches(value)).toBe(true);
      }),
      { seed: 1, numRuns: 300 },
    );
  });

  it("after any in-place change, a match means the serialized bytes are unchanged (and a changed value never matches)", async () => {
    let detected = 0;
    await fc.assert(
      fc.asyncProperty(state, fc.array(mutation, { minLength: 1, maxLength: 3 }), async (value, mutations) => {
        const before = await bytes(value);
        const snapshot = ValueSnapshot.take(value) as ValueSnapshot;
        for (const m of mutations) mutate(value, m);
        const after = await bytes(value);
        if (snapshot.matches(value)) expect(after).toBe(before);
        if (after !== before) {
          expect(snapshot.matches(value)).toBe(false);
          detected += 1;
        }
      }),
      { seed: 2, numRuns: 500 },
    );
    expect(detected).toBeGreaterThan(100);
  });

  it("a snapshot retaken for another value proves what a fresh one proves: the same bytes counted, the same matches after any change", async () => {
    let differed = 0;
    await fc.assert(
      fc.asyncProperty(
        state,
        fc.array(mutation, { maxLength: 3 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (original, before, after) => {
          // The snapshot of one value, retaken for a copy that may differ from it (another writer's row,
          // a constructor that builds something else): the copy is the value as reloaded.
          const snapshot = ValueSnapshot.take(original) as ValueSnapshot;
          const reloaded = await serde.loadsTyped("json", (await serde.dumpsTyped(original))[1]);
          for (const m of before) mutate(reloaded, m);
          if ((await bytes(reloaded)) !== (await bytes(original))) differed += 1;
          const fresh = ValueSnapshot.take(reloaded);
          const retaken = snapshot.retaken(reloaded);
          expect(retaken === undefined).toBe(fresh === undefined);
          if (fresh === undefined || retaken === undefined) return;
          expect(retaken.bytes).toBe(fresh.bytes);
          expect(retaken.matches(reloaded)).toBe(true);
          const serialized = await bytes(reloaded);
          for (const m of after) mutate(reloaded, m);
          expect(retaken.matches(reloaded)).toBe(fresh.matches(reloaded));
          if (retaken.matches(reloaded)) expect(await bytes(reloaded)).toBe(serialized);
        },
      ),
      { seed: 3, numRuns: 400 },
    );
    expect(differed).toBeGreaterThan(50);
  });

  it("a list snapshot reloaded for a new read of its row (decoded elements kept unproven, live ones retaken) proves what a fresh one proves, before and after its first match adopts the new strings", async () => {
    let differed = 0;
    let partlyLive = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(message, json), { maxLength: 5 }),
        fc.array(fc.oneof(message, json), { maxLength: 3 }),
        fc.array(mutation, { maxLength: 3 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (stored, appended, before, after) => {
          // A row read before (its decode's snapshot), then a put that appended live objects to it.
          const read = await decode(await encode(stored));
          const tail = ValueSnapshot.take(appended) as ValueSnapshot;
          const known = (ValueSnapshot.take(read, await encode(read)) as ValueSnapshot).extendedWith(tail, read.length);
          const row = await encode([...read, ...appended]);
          if (appended.length > 0) partlyLive += 1;
          // The next read of that row: a fresh decode, changed in place by node code before and after a first match.
          const reread = await decode(row);
          const fresh = ValueSnapshot.take(await decode(row));
          const reloaded = known.reloaded(reread, row);
          expect(reloaded === undefined).toBe(fresh === undefined);
          if (fresh === undefined || reloaded === undefined) return;
          const original = await bytes(reread);
          for (const m of before) mutate(reread, m);
          if ((await bytes(reread)) !== original) differed += 1;
          expect(reloaded.matches(reread)).toBe(fresh.matches(reread));
          if (reloaded.matches(reread)) expect(await bytes(reread)).toBe(original);
          for (const m of after) mutate(reread, m);
          expect(reloaded.matches(reread)).toBe(fresh.matches(reread));
          if (reloaded.matches(reread)) expect(await bytes(reread)).toBe(original);
        },
      ),
      { seed: 4, numRuns: 400 },
    );
    expect(differed).toBeGreaterThan(50);
    expect(partlyLive).toBeGreaterThan(100);
  });

  it("a reloaded snapshot whose kept elements do not decode as before only fails to match (they are stored again)", async () => {
    const read = [new HumanMessage({ content: "a", id: "1" }), new AIMessage({ content: "b", id: "2" })];
    const data = await encode(read);
    const known = ValueSnapshot.take(read, data) as ValueSnapshot;
    // The same bytes decoding to something else for a kept element (a constructor changed since, say).
    const reread = [new HumanMessage({ content: "a", id: "1" }), new AIMessage({ content: "b", id: "2", name: "renamed" })];
    const reloaded = known.reloaded(reread, data) as ValueSnapshot;
    expect(reloaded.matches(reread)).toBe(false);
    expect(reloaded.matchingPrefix(reread)).toBe(1);
  });

  it("a row rewritten under the same version and checkpoint id (another connection, a restore) is retaken, not trusted", async () => {
    const read = [new HumanMessage({ content: "x", id: "m1" }), new AIMessage({ content: "b", id: "m2" })];
    const known = ValueSnapshot.take(read, await encode(read)) as ValueSnapshot;
    const rewritten = [new HumanMessage({ content: "y", id: "m1" }), new AIMessage({ content: "b", id: "m2" })];
    const data = await encode(rewritten);
    const reloaded = known.reloaded(await decode(data), data) as ValueSnapshot;
    // What the row holds now matches; the value it held before (a put of "x") does not.
    expect(reloaded.matches(await decode(data))).toBe(true);
    expect(reloaded.matches([new HumanMessage({ content: "x", id: "m1" }), new AIMessage({ content: "b", id: "m2" })])).toBe(false);
    // Grown by elements of its own: still the same row, its decoded elements kept.
    const grown = await encode([...rewritten, new HumanMessage({ content: "c", id: "m3" })]);
    const again = reloaded.extendedWith(ValueSnapshot.take([new HumanMessage({ content: "c", id: "m3" })]) as ValueSnapshot, 2);
    expect(again.reloaded(await decode(grown), grown)?.matches(await decode(grown))).toBe(true);
  });

  it("list prefixes: elements pushed keep the prefix; an element edited in place breaks it", () => {
    const list = [new HumanMessage({ content: "a", id: "1" }), new AIMessage({ content: "b", id: "2" })];
    const snapshot = ValueSnapshot.take(list) as ValueSnapshot;
    list.push(new HumanMessage({ content: "c", id: "3" }));
    expect(snapshot.prefixMatches(list, 2)).toBe(true);
    (list[1] as AIMessage).response_metadata.model = "changed";
    expect(snapshot.prefixMatches(list, 2)).toBe(false);
    expect(snapshot.elementMatches(0, list[0])).toBe(true);
  });

  it("values whose serialization it cannot see through get no snapshot", () => {
    for (const value of [new Map([[1, 2]]), new Set([1]), new Date(0), new Uint8Array(2), new Error("x"), { toJSON: () => 1 }]) {
      expect(ValueSnapshot.take({ nested: [value] })).toBeUndefined();
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(ValueSnapshot.take(cyclic)).toBeUndefined();
  });
});
