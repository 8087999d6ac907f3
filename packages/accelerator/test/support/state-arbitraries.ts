import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import fc from "fast-check";

// What the exactness properties share: fast-check arbitraries for channel values (JSON-like values, chat
// messages) and the containers of a value, to edit in place.

const leaf = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));

/** Nested arrays and objects of leaves (undefined included), each at most `size` long, keys at most `keyLength`. */
export function jsonValue({ size, keyLength }: { size: number; keyLength: number }): fc.Arbitrary<unknown> {
  return fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small" }, leaf, tie("array"), tie("object")),
    array: fc.array(tie("value"), { maxLength: size }),
    object: fc.dictionary(fc.string({ maxLength: keyLength }), tie("value"), { maxKeys: size }),
  })).value;
}

export type MessageSpec = {
  kind: "human" | "ai" | "tool";
  content: string | Array<{ type: "text"; text: string }>;
  id?: string;
  name?: string;
  kwargs: Record<string, unknown>;
  args: Record<string, unknown>;
};

/** What a Human, AI (one tool call) or Tool message is built from; `withName` draws names too. */
export function messageSpec(json: fc.Arbitrary<unknown>, { withName }: { withName: boolean }): fc.Arbitrary<MessageSpec> {
  return fc.record({
    kind: fc.constantFrom("human" as const, "ai" as const, "tool" as const),
    content: fc.oneof(fc.string(), fc.array(fc.record({ type: fc.constant("text" as const), text: fc.string() }), { maxLength: 2 })),
    id: fc.option(fc.uuid(), { nil: undefined }),
    name: withName ? fc.option(fc.string({ maxLength: 5 }), { nil: undefined }) : fc.constant(undefined),
    kwargs: fc.dictionary(fc.string({ maxLength: 4 }), json, { maxKeys: 2 }),
    args: fc.dictionary(fc.string({ maxLength: 4 }), json, { maxKeys: 2 }),
  });
}

export function buildMessage({ kind, content, id, name, kwargs, args }: MessageSpec) {
  if (kind === "human") return new HumanMessage({ content, id, name, additional_kwargs: kwargs });
  if (kind === "tool") return new ToolMessage({ content, id, name, tool_call_id: "call", additional_kwargs: kwargs });
  return new AIMessage({ content, id, name, additional_kwargs: kwargs, tool_calls: [{ id: "call", name: "f", args }] });
}

/** Every object and array reachable from `root` (each once), for edits in place. */
export function containers(root: unknown): Array<Record<string | number, unknown>> {
  const out: Array<Record<string | number, unknown>> = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown) => {
    if (v === null || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    out.push(v as Record<string, unknown>);
    for (const key in v) walk((v as Record<string, unknown>)[key]);
  };
  walk(root);
  return out;
}
