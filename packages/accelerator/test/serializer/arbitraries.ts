import * as messages from "@langchain/core/messages";
import { DeltaSnapshot } from "@langchain/langgraph-checkpoint";
import fc from "fast-check";

/** Generators of what JsonPlusSerializer writes: every message class with every field, and other state values. */
// Strings: printable, full Unicode, lone surrogates, and keys that mean something to someone.
export const oddKey = fc.constantFrom(
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
export const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.constantFrom("\u2028", "\ud800", "\udfff x", "\u0000"),
);
export const key = fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 8 }) }, { weight: 1, arbitrary: oddKey });
export const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 1e21, 5e-324));

export const plain: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
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
export const cleanKey = fc.string({ maxLength: 8 }).filter((k) => k !== "lc" && k !== "__lc_escaped__" && k !== "__proto__");
export const clean: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
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

export const contentBlock = fc.oneof(
  fc.record({ type: fc.constant("text"), text }),
  fc.record({ type: fc.constant("image_url"), image_url: fc.record({ url: text }) }),
  fc.record({ type: fc.constant("image"), url: text, mimeType: fc.constant("image/png") }),
  fc.record({ type: fc.constant("reasoning"), reasoning: text }),
);
export const content = fc.oneof(text, fc.array(contentBlock, { maxLength: 3 }));
export const toolCall = fc.record(
  { name: text, args: fc.dictionary(cleanKey, clean, { maxKeys: 3 }), id: text, type: fc.constant("tool_call") },
  { requiredKeys: ["name", "args"] },
);
export const invalidToolCall = fc.record(
  { name: text, args: text, id: text, error: text, type: fc.constant("invalid_tool_call") },
  { requiredKeys: [] },
);
export const usage = fc.record(
  {
    input_tokens: fc.nat(),
    output_tokens: fc.nat(),
    total_tokens: fc.nat(),
    input_token_details: fc.record({ cache_read: fc.nat(), audio: fc.nat() }, { requiredKeys: [] }),
  },
  { requiredKeys: ["input_tokens", "output_tokens", "total_tokens"] },
);
export const common = {
  content,
  name: text,
  id: text,
  additional_kwargs: fc.dictionary(cleanKey, clean, { maxKeys: 3 }),
  response_metadata: fc.dictionary(cleanKey, clean, { maxKeys: 3 }),
};
export const opt = { requiredKeys: ["content"] as "content"[] };

/** A message of every class the messages entry exports, with every field it takes. */
export const message: fc.Arbitrary<unknown> = fc.oneof(
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
export const stateValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
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
