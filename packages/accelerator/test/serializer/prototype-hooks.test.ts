import * as messages from "@langchain/core/messages";
import { HumanMessage, ToolMessage } from "@langchain/core/messages";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";

import { RustSqliteSaver } from "../../src";
import { loadTyped } from "../../src/checkpoint/json-plus-copies";
import { firstDifference } from "./same-value";

// Code elsewhere in the process that changes what upstream's reviver builds between reads: an lc_aliases getter
// whose map changes (the same function), and an accessor or a read-only property on Object.prototype (upstream
// builds objects by assignment). The decoder and decoded lists must give what upstream gives on every read
// (hostile review round 5, findings 4 and 5).
const serde = new JsonPlusSerializer();
const upstream = (bytes: Uint8Array) => JsonPlusSerializer.prototype.loadsTyped.call(serde, "json", bytes);

type Outcome = { value: unknown } | { error: string };
async function outcome(read: () => unknown): Promise<Outcome> {
  try {
    return { value: await read() };
  } catch (error) {
    return { error: `${(error as Error).constructor.name}: ${(error as Error).message}` };
  }
}

async function expectSameAsUpstream(bytes: Uint8Array, ours: () => unknown): Promise<Outcome> {
  const [theirs, mine] = [await outcome(() => upstream(bytes)), await outcome(ours)];
  if ("error" in theirs || "error" in mine) expect(mine).toEqual(theirs);
  else expect(firstDifference(theirs.value, mine.value)).toBeUndefined();
  return theirs;
}

describe("an lc_aliases getter that returns another map later", () => {
  const original = Object.getOwnPropertyDescriptor(ToolMessage.prototype, "lc_aliases") as PropertyDescriptor;
  let rename = true;
  let calls = 0;
  beforeAll(() => {
    Object.defineProperty(ToolMessage.prototype, "lc_aliases", {
      configurable: true,
      get() {
        calls++;
        return rename ? { tool_call_id: "tool_call_id", artifact: "art_ref" } : { tool_call_id: "tool_call_id" };
      },
    });
  });
  afterAll(() => Object.defineProperty(ToolMessage.prototype, "lc_aliases", original));

  it("maps kwargs through the map in effect at each read, calling the getter as often as upstream", async () => {
    rename = true;
    const [, bytes] = await serde.dumpsTyped([new ToolMessage({ content: "c", tool_call_id: "x", id: "m1", artifact: { big: 1 } })]);
    for (const flag of [true, false, true]) {
      rename = flag;
      calls = 0;
      await upstream(bytes);
      const upstreamCalls = calls;
      calls = 0;
      await loadTyped(serde, "json", bytes);
      expect(calls).toBe(upstreamCalls);
      const theirs = await expectSameAsUpstream(bytes, () => loadTyped(serde, "json", bytes));
      const message = ("value" in theirs ? (theirs.value as ToolMessage[]) : [])[0];
      expect(message.artifact).toEqual(flag ? { big: 1 } : undefined);
    }
  });
});

describe("lc_aliases getters changed after the alias maps were computed", () => {
  const { BaseMessage, AIMessage } = messages;
  const places: Array<[string, object]> = [
    ["BaseMessage.prototype", BaseMessage.prototype],
    ["AIMessage.prototype", AIMessage.prototype],
    ["Object.prototype", Object.prototype],
  ];
  it.each(places)(
    "a literal getter defined on %s is honoured by the next read, and its removal by the one after",
    async (_name, target) => {
      const state = [
        new AIMessage({ content: "a", id: "a1", additional_kwargs: { k: 1 }, tool_calls: [{ id: "c", name: "f", args: {} }] }),
      ];
      const [, bytes] = await serde.dumpsTyped(state);
      await expectSameAsUpstream(bytes, () => loadTyped(serde, "json", bytes)); // the maps computed and kept
      const original = Object.getOwnPropertyDescriptor(target, "lc_aliases");
      Object.defineProperty(target, "lc_aliases", {
        configurable: true,
        get() {
          return { additional_kwargs: "extra_kwargs", tool_calls: "calls" };
        },
      });
      try {
        await expectSameAsUpstream(bytes, () => loadTyped(serde, "json", bytes));
        await expectSameAsUpstream(bytes, () => loadTyped(serde, "json", bytes));
      } finally {
        if (original) Object.defineProperty(target, "lc_aliases", original);
        else delete (target as { lc_aliases?: unknown }).lc_aliases;
      }
      await expectSameAsUpstream(bytes, () => loadTyped(serde, "json", bytes));
    },
  );
});

describe("a value that leaves the fast path after its messages", () => {
  const original = Object.getOwnPropertyDescriptor(HumanMessage.prototype, "lc_aliases");
  let calls = 0;
  beforeAll(() => {
    Object.defineProperty(HumanMessage.prototype, "lc_aliases", {
      configurable: true,
      get() {
        calls++;
        return {};
      },
    });
  });
  afterAll(() => {
    if (original) Object.defineProperty(HumanMessage.prototype, "lc_aliases", original);
    else delete (HumanMessage.prototype as { lc_aliases?: unknown }).lc_aliases;
  });

  const envelope = (kwargs: object) => ({ lc: 1, type: "constructor", id: ["langchain_core", "messages", "HumanMessage"], kwargs });
  const nested = (depth: number): object => (depth === 0 ? { leaf: true } : { next: nested(depth - 1) });

  // Messages first, then what the decoder leaves to upstream: an lc id outside the messages, a secret, a message
  // inside a message's kwargs. Each message's lc_aliases getter must run as often as upstream alone runs it.
  it.each<[string, object]>([
    ["another lc class", { lc: 1, type: "constructor", id: ["langchain_core", "documents", "Document"], kwargs: { page_content: "p" } }],
    [
      "a message whose kwargs hold a secret",
      envelope({ content: "c", additional_kwargs: { key: { lc: 1, type: "secret", id: ["NOT_SET_ANYWHERE"] } } }),
    ],
    ["a message whose kwargs nest 60 deep", envelope({ content: "c", additional_kwargs: nested(60) })],
  ])("with %s, the getters run as often as upstream's", async (_name, tail) => {
    const messages = [new HumanMessage({ content: "a", id: "h1" }), new HumanMessage({ content: "b", id: "h2" })];
    const [, head] = await serde.dumpsTyped({ history: messages });
    const text = `${new TextDecoder().decode(head).slice(0, -1)},"later":${JSON.stringify(tail)}}`;
    const bytes = new TextEncoder().encode(text);
    calls = 0;
    const theirs = await outcome(() => upstream(bytes));
    const upstreamCalls = calls;
    calls = 0;
    const mine = await outcome(() => loadTyped(serde, "json", bytes));
    expect(calls).toBe(upstreamCalls);
    if ("error" in theirs || "error" in mine) expect(mine).toEqual(theirs);
    else expect(firstDifference(theirs.value, mine.value)).toBeUndefined();
  });

  it("keeps messages nested in Maps, Sets and DeltaSnapshots where upstream puts them", async () => {
    const message = new HumanMessage({ content: "m", id: "h3" });
    const state = { map: new Map([["k", message]]), set: new Set([message]), list: [[message]] };
    const [, bytes] = await serde.dumpsTyped(state);
    calls = 0;
    await upstream(bytes);
    const upstreamCalls = calls;
    calls = 0;
    await expectSameAsUpstream(bytes, () => loadTyped(serde, "json", bytes));
    expect(calls).toBe(2 * upstreamCalls);
    const mine = (await loadTyped(serde, "json", bytes)) as typeof state;
    expect(mine.map.get("k")).toBeInstanceOf(HumanMessage);
    expect([...mine.set][0]).toBeInstanceOf(HumanMessage);
  });
});

describe("Object.prototype with an accessor or a read-only property named like a state key", () => {
  const state = [{ url: "https://x", score: 0.9 }, new HumanMessage({ content: "q", id: "h1", additional_kwargs: { score: 3 } })];
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).score;
  });

  it.each([
    ["a setter that defines nothing", { configurable: true, get: () => undefined, set: () => {} }],
    ["a read-only property", { configurable: true, value: undefined, writable: false }],
  ])("the decoder gives what upstream gives, with %s", async (_name, descriptor) => {
    const [, bytes] = await serde.dumpsTyped(state);
    Object.defineProperty(Object.prototype, "score", descriptor);
    await expectSameAsUpstream(bytes, () => loadTyped(serde, "json", bytes));
  });

  it.each([
    ["a setter that defines nothing", { configurable: true, get: () => undefined, set: () => {} }],
    ["a read-only property", { configurable: true, value: undefined, writable: false }],
  ])("decoded lists give what upstream gives on every read, misses and hits, with %s", async (_name, descriptor) => {
    const saver = new RustSqliteSaver(":memory:", { decodedListBytes: 2 ** 20 });
    try {
      const config = { configurable: { thread_id: "t", checkpoint_ns: "" } };
      const checkpoint = {
        v: 4,
        id: "1",
        ts: "2026-12-01T00:00:00.000Z",
        channel_values: { sources: state },
        channel_versions: { sources: 1 },
        versions_seen: {},
      };
      await saver.put(config, checkpoint as never, { source: "input", step: -1, parents: {} } as never, { sources: 1 });
      const [, bytes] = await serde.dumpsTyped(state);
      const read = async () => {
        const tuple = await saver.getTuple(config);
        if (!tuple) throw new Error("the checkpoint put above is gone");
        return (tuple.checkpoint.channel_values as { sources: unknown }).sources;
      };
      await read(); // remembered while Object.prototype is plain
      await read();
      Object.defineProperty(Object.prototype, "score", descriptor);
      for (let i = 0; i < 3; i++) await expectSameAsUpstream(bytes, read);
    } finally {
      saver.close();
    }
  });
});
