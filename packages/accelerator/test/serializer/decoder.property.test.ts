import path from "node:path";

import * as messages from "@langchain/core/messages";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import fc from "fast-check";

import { decoderFor, loadTyped } from "../../src/checkpoint/json-plus-copies";
import { UPSTREAM } from "../../src/checkpoint/json-plus-decoder";
import { key, message, plain, stateValue, text } from "./arbitraries";
import { firstDifference } from "./same-value";

const serde = new JsonPlusSerializer();
const upstream = JsonPlusSerializer.prototype.loadsTyped;
const decoder = decoderFor(serde);

type Outcome = { value: unknown } | { error: string };

async function upstreamOutcome(bytes: Uint8Array | string): Promise<Outcome> {
  try {
    return { value: await upstream.call(serde, "json", bytes) };
  } catch (error) {
    return { error: `${(error as Error).constructor.name}: ${(error as Error).message}` };
  }
}

async function ourOutcome(bytes: Uint8Array | string): Promise<Outcome> {
  try {
    return { value: await loadTyped(serde, "json", bytes) };
  } catch (error) {
    return { error: `${(error as Error).constructor.name}: ${(error as Error).message}` };
  }
}

async function dumped(value: unknown): Promise<string> {
  const [kind, bytes] = await serde.dumpsTyped(value);
  return `${kind}:${Buffer.from(bytes).toString("base64")}`;
}

const stats = { fast: 0, upstream: 0 };

/** Decodes `bytes` both ways and requires the same value (classes, fields, re-serialized bytes) or error. */
async function expectSame(bytes: Uint8Array | string): Promise<boolean> {
  const fast = decoder?.decodeTyped("json", bytes);
  if (fast === UPSTREAM) stats.upstream++;
  else stats.fast++;
  const [theirs, ours] = [await upstreamOutcome(bytes), await ourOutcome(bytes)];
  if ("error" in theirs || "error" in ours) {
    expect(ours).toEqual(theirs);
    return fast !== UPSTREAM;
  }
  const difference = firstDifference(theirs.value, ours.value);
  if (difference) throw new Error(`decoded values differ at ${difference}`);
  if (fast !== UPSTREAM) {
    const direct = firstDifference(theirs.value, fast);
    if (direct) throw new Error(`the fast path differs at ${direct}`);
  }
  expect(await dumped(ours.value)).toBe(await dumped(theirs.value));
  return fast !== UPSTREAM;
}

async function bytesOf(value: unknown): Promise<Uint8Array | undefined> {
  const [kind, bytes] = await serde.dumpsTyped(value);
  return kind === "json" ? bytes : undefined;
}

const RUNS = Number(process.env.FLG_PROPERTY_RUNS ?? 300);

describe("the decoder gives what JsonPlusSerializer.loadsTyped gives", () => {
  it("is in use for the default serializer here (verified versions installed)", () => {
    expect(decoder).toBeDefined();
  });

  it("constructs only what load() resolves for the same ids: the messages entry of @langchain/core's import map", () => {
    const coreDir = path.dirname(require.resolve("@langchain/core/package.json"));
    const importMap = require(path.join(coreDir, "dist/load/import_map.cjs")) as { messages: Record<string, unknown> };
    const classes = decoder?.messageClasses ?? [];
    expect(classes).toEqual(
      expect.arrayContaining(["AIMessage", "AIMessageChunk", "HumanMessage", "SystemMessage", "ToolMessage", "RemoveMessage"]),
    );
    for (const name of classes) expect(importMap.messages[name]).toBe((messages as Record<string, unknown>)[name]);
  });

  it("decodes every message class with every field on the fast path, identically", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 4 }), async (list) => {
        const bytes = await bytesOf({ messages: list });
        if (!bytes) return;
        expect(await expectSame(bytes)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("state values of every kind JsonPlusSerializer writes", async () => {
    await fc.assert(
      fc.asyncProperty(stateValue, async (value) => {
        const bytes = await bytesOf({ channel_values: { v: value } });
        if (bytes) await expectSame(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  // Hand-written JSON: envelopes with any id and kwargs, lc:2 records with any arguments, escaped
  // objects, secrets, __proto__ keys, -0, numbers beyond double range, deep nesting.
  const id = fc.oneof(
    fc.constant(["langchain_core", "messages", "AIMessage"]),
    fc.constantFrom(...Object.keys(messages)).map((name) => ["langchain_core", "messages", name]),
    fc.constantFrom(["langchain_core", "messages", "toString"], ["langchain_core", "messages", "ai", "AIMessage"], ["langchain", "x"]),
    fc.constantFrom(["langchain_core", "documents", "Document"], ["langchain_core", "prompts", "PromptTemplate"], ["OPENAI_API_KEY"]),
    fc.array(fc.oneof(text, fc.integer()), { maxLength: 4 }),
  );
  const rawJson: fc.Arbitrary<string> = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      plain.map((v) => JSON.stringify(v) ?? "null"),
      fc.constantFrom(
        "-0",
        "1e400",
        "-1e400",
        "[-0.0]",
        '{"__proto__":{"lc":2,"type":"undefined"}}',
        '{"__proto__":[1],"a":1}',
        '"\\ud800"',
      ),
      fc
        .record({
          id,
          kwargs: fc.oneof(tie("object"), fc.constant("{}"), fc.constant('"x"')),
          extra: fc.option(tie("value"), { nil: undefined }),
        })
        .map(
          ({ id, kwargs, extra }) =>
            `{"lc":1,"type":"constructor","id":${JSON.stringify(id)},"kwargs":${kwargs}${extra ? `,"x":${extra}` : ""}}`,
        ),
      fc
        .record({ id, t: fc.constantFrom("secret", "not_implemented", "constructor") })
        .map(({ id, t }) => `{"lc":1,"type":"${t}","id":${JSON.stringify(id)}}`),
      fc
        .record({
          name: fc.constantFrom("Set", "Map", "RegExp", "Error", "Uint8Array", "Date", "Function"),
          method: fc.constantFrom("null", '"from"', '"x"', "undefined"),
          args: fc.array(tie("value"), { maxLength: 3 }),
        })
        .map(
          ({ name, method, args }) =>
            `{"lc":2,"type":"constructor","id":["${name}"]${method === "undefined" ? "" : `,"method":${method}`},"args":[${args.join(",")}]}`,
        ),
      fc.constantFrom('{"lc":2,"type":"undefined"}', '{"lc":2,"type":"delta_snapshot","value":[1]}', '{"lc":2,"type":"delta_snapshot"}'),
      // Undefined records inside kwargs (dropped from objects, null in arrays), with extra keys, or as kwargs.
      fc.constantFrom(
        '{"lc":1,"type":"constructor","id":["langchain_core","messages","AIMessage"],"kwargs":{"content":"x","usage_metadata":{"lc":2,"type":"undefined"},"additional_kwargs":{"a":[{"lc":2,"type":"undefined"},1,{"type":"undefined","lc":2}]}}}',
        '{"lc":1,"type":"constructor","id":["langchain_core","messages","AIMessage"],"kwargs":{"content":"x","usage_metadata":{"lc":2,"type":"undefined","extra":{"lc":1,"type":"secret","id":["K"]}}}}',
        '{"lc":1,"type":"constructor","id":["langchain_core","messages","HumanMessage"],"kwargs":{"lc":2,"type":"undefined"}}',
        '{"lc":1,"type":"constructor","id":["langchain_core","messages","HumanMessage"],"kwargs":{"content":"x","name":-0,"id":1e400,"additional_kwargs":{"n":[-0,1e999,-1e999]}}}',
        '{"lc":2,"type":"undefined","x":{"lc":1,"type":"constructor","id":["langchain_core","messages","AIMessage"],"kwargs":{"content":"x"}}}',
        '{"lc":1,"type":"constructor","id":["langchain_core","messages","AIMessage"],"kwargs":{"content":"x"},"extra":{"lc":1,"type":"secret","id":["K"]}}',
      ),
      tie("value").map((v) => `{"__lc_escaped__":${v}}`),
      tie("value").map((v) => `${"[".repeat(60)}${v}${"]".repeat(60)}`),
      fc.array(tie("value"), { maxLength: 3 }).map((items) => `[${items.join(",")}]`),
      tie("object"),
    ),
    object: fc
      .array(fc.tuple(key, tie("value")), { maxLength: 4 })
      .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`),
  })).value as fc.Arbitrary<string>;

  it("hand-written JSON, including what upstream refuses: the same value or the same error", async () => {
    await fc.assert(
      fc.asyncProperty(rawJson, fc.boolean(), async (json, asString) => {
        await expectSame(asString ? json : new TextEncoder().encode(json));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("message envelopes with arbitrary kwargs (odd keys, nested lc objects)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(messages).filter((n) => typeof (messages as Record<string, unknown>)[n] === "function")),
        fc.dictionary(key, plain, { maxKeys: 5 }),
        async (name, kwargs) => {
          const fields = { content: "x", tool_call_id: "t", role: "r", name: "n", id: "i", ...kwargs };
          await expectSame(JSON.stringify({ lc: 1, type: "constructor", id: ["langchain_core", "messages", name], kwargs: fields }));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("sees a changed lc_aliases getter (its alias cache is keyed by the classes' getters)", async () => {
    const proto = messages.ToolMessage.prototype;
    const original = Object.getOwnPropertyDescriptor(proto, "lc_aliases") as PropertyDescriptor;
    const json = JSON.stringify({
      lc: 1,
      type: "constructor",
      id: ["langchain_core", "messages", "ToolMessage"],
      kwargs: { content: "c", tool_call_id: "t", art_ref: 1 },
    });
    expect(await expectSame(json)).toBe(true);
    Object.defineProperty(proto, "lc_aliases", { configurable: true, get: () => ({ tool_call_id: "tool_call_id", artifact: "art_ref" }) });
    try {
      expect(await expectSame(json)).toBe(true);
      expect((await loadTyped(serde, "json", json)) as messages.ToolMessage).toHaveProperty("artifact", 1);
    } finally {
      Object.defineProperty(proto, "lc_aliases", original);
    }
    const restored = (await loadTyped(serde, "json", json)) as messages.ToolMessage;
    expect(restored.artifact).toBeUndefined();
    expect(await expectSame(json)).toBe(true);
  });

  it("took the fast path for most inputs (the comparisons above are not all upstream against upstream)", () => {
    expect(stats.fast).toBeGreaterThan(stats.upstream);
  });
});
