import path from "node:path";

import * as messages from "@langchain/core/messages";
import { DeltaSnapshot, JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import fc from "fast-check";

import { decoderFor, loadTyped } from "../../src/checkpoint/json-plus-copies";
import { UPSTREAM } from "../../src/checkpoint/json-plus-decoder";
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

// Strings: printable, full Unicode, lone surrogates, and keys that mean something to someone.
const oddKey = fc.constantFrom(
  "__proto__",
  "constructor",
  "toString",
  "lc",
  "__lc_escaped__",
  "type",
  "id",
  "kwargs",
  "tool_calls",
  "toolCalls",
  "a-b",
  " padded ",
  "ABCDef",
  "x_y_z",
  "__",
  "0",
  "10",
  "",
);
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.constantFrom("\u2028", "\ud800", "\udfff x", "\u0000"),
);
const key = fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 8 }) }, { weight: 1, arbitrary: oddKey });
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 1e21, 5e-324));

const plain: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    text,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 4 }),
  ),
})).value;

/** JSON data with no `lc`, `__lc_escaped__` or `__proto__` key and no -0: what messages usually hold. */
const cleanKey = fc.string({ maxLength: 8 }).filter((k) => k !== "lc" && k !== "__lc_escaped__" && k !== "__proto__");
const clean: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    text,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(cleanKey, tie("value"), { maxKeys: 3 }),
  ),
})).value;

const contentBlock = fc.oneof(
  fc.record({ type: fc.constant("text"), text }),
  fc.record({ type: fc.constant("image_url"), image_url: fc.record({ url: text }) }),
  fc.record({ type: fc.constant("image"), url: text, mimeType: fc.constant("image/png") }),
  fc.record({ type: fc.constant("reasoning"), reasoning: text }),
);
const content = fc.oneof(text, fc.array(contentBlock, { maxLength: 3 }));
const toolCall = fc.record(
  { name: text, args: fc.dictionary(cleanKey, clean, { maxKeys: 3 }), id: text, type: fc.constant("tool_call") },
  { requiredKeys: ["name", "args"] },
);
const invalidToolCall = fc.record(
  { name: text, args: text, id: text, error: text, type: fc.constant("invalid_tool_call") },
  { requiredKeys: [] },
);
const usage = fc.record(
  {
    input_tokens: fc.nat(),
    output_tokens: fc.nat(),
    total_tokens: fc.nat(),
    input_token_details: fc.record({ cache_read: fc.nat(), audio: fc.nat() }, { requiredKeys: [] }),
  },
  { requiredKeys: ["input_tokens", "output_tokens", "total_tokens"] },
);
const common = {
  content,
  name: text,
  id: text,
  additional_kwargs: fc.dictionary(cleanKey, clean, { maxKeys: 3 }),
  response_metadata: fc.dictionary(cleanKey, clean, { maxKeys: 3 }),
};
const opt = { requiredKeys: ["content"] as "content"[] };

/** A message of every class the messages entry exports, with every field it takes. */
const message: fc.Arbitrary<unknown> = fc.oneof(
  fc
    .record(
      {
        ...common,
        tool_calls: fc.array(toolCall, { maxLength: 2 }),
        invalid_tool_calls: fc.array(invalidToolCall, { maxLength: 2 }),
        usage_metadata: usage,
      },
      opt,
    )
    .map((f) => new messages.AIMessage(f as never)),
  fc
    .record(
      {
        ...common,
        tool_call_chunks: fc.array(fc.record({ name: text, args: text, id: text, index: fc.nat(3) }), { maxLength: 2 }),
        usage_metadata: usage,
      },
      opt,
    )
    .map((f) => new messages.AIMessageChunk(f as never)),
  fc.record(common, opt).map((f) => new messages.HumanMessage(f as never)),
  fc.record(common, opt).map((f) => new messages.HumanMessageChunk(f as never)),
  fc.record(common, opt).map((f) => new messages.SystemMessage(f as never)),
  fc.record(common, opt).map((f) => new messages.SystemMessageChunk(f as never)),
  fc
    .record(
      { ...common, tool_call_id: text, artifact: clean, status: fc.constantFrom("success", "error") },
      { requiredKeys: ["content", "tool_call_id"] },
    )
    .map((f) => new messages.ToolMessage(f as never)),
  fc
    .record({ ...common, tool_call_id: text, artifact: clean }, { requiredKeys: ["content", "tool_call_id"] })
    .map((f) => new messages.ToolMessageChunk(f as never)),
  fc.record({ ...common, role: text }, { requiredKeys: ["content", "role"] }).map((f) => new messages.ChatMessage(f as never)),
  fc.record({ ...common, role: text }, { requiredKeys: ["content", "role"] }).map((f) => new messages.ChatMessageChunk(f as never)),
  fc.record({ ...common, name: text }, { requiredKeys: ["content", "name"] }).map((f) => new messages.FunctionMessage(f as never)),
  fc.record({ ...common, name: text }, { requiredKeys: ["content", "name"] }).map((f) => new messages.FunctionMessageChunk(f as never)),
  text.map((id) => new messages.RemoveMessage({ id })),
);

/** Other state values JsonPlusSerializer handles: Date, Map, Set, undefined, bytes, RegExp, Error, DeltaSnapshot. */
const stateValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    plain,
    message,
    fc.constant(undefined),
    fc.date({ noInvalidDate: true }),
    fc.uint8Array({ maxLength: 6 }),
    fc.array(tie("value"), { maxLength: 3 }).map((v) => new Set(v)),
    fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 3 }).map((e) => new Map(e)),
    fc.constantFrom(/a+b/gi, /x/y),
    text.map((m) => new Error(m)),
    tie("value").map((v) => new DeltaSnapshot(v)),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(key, tie("value"), { maxKeys: 3 }),
  ),
})).value;

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
