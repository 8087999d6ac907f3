import type { BaseMessage } from "@langchain/core/messages";
import { convertToOpenAITool, isLangChainTool, isRunnableToolLike } from "@langchain/core/utils/function_calling";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { isInteropZodSchema } from "@langchain/core/utils/types";

import { encodeValue, storedClassName } from "./value-encode";

type Options = Record<string, unknown>;

/** LangChain's bookkeeping on a message: derived from its fields, or the fields it was built with. */
const BOOKKEEPING = new Set(["lc_kwargs", "lc_serializable", "lc_namespace"]);

/**
 * withLLMCache's key for a prompt: each message's class and every own field as it is now (also fields
 * set after the message was built, such as `name`), with the values JSON.stringify loses kept apart
 * (value-encode.ts). So it tells apart every prompt LangChain's own key (getBufferString: role, name,
 * content, tool calls) tells apart, and more: ids, additional_kwargs, response_metadata.
 */
export function promptKey(messages: BaseMessage[]): string {
  return JSON.stringify(
    encodeValue(
      messages.map((m) => {
        const fields: Record<string, unknown> = {};
        for (const key of Object.keys(m)) {
          if (!BOOKKEEPING.has(key)) Object.defineProperty(fields, key, { value: (m as never)[key], enumerable: true });
        }
        return [storedClassName(m, "persistent") ?? m.constructor?.name, fields];
      }),
      "persistent",
    ),
  );
}

/** What a model is told of a tool when it is bound: name, description and parameters as JSON schema. */
function asBound(value: unknown): unknown {
  if (isLangChainTool(value as never) || isRunnableToolLike(value)) {
    try {
      return convertToOpenAITool(value as never);
    } catch {
      const t = value as { name?: unknown; description?: unknown };
      return { name: t.name, description: t.description };
    }
  }
  if (isInteropZodSchema(value)) return toJsonSchema(value);
  return undefined;
}

/**
 * Call options with bound tools and zod schemas as what the model is told of them: JSON.stringify of a
 * LangChain tool is its toJSON(), the same `not_implemented` record for every DynamicStructuredTool,
 * so two different tools would share a key. Plain values are kept as they are.
 */
export function keyableOptions(options: Options): Options {
  const walk = (value: unknown, depth: number): unknown => {
    if (value === null || typeof value !== "object" || depth > 8) return value;
    const bound = asBound(value);
    if (bound !== undefined) return bound;
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
    if (Object.getPrototypeOf(value) !== Object.prototype) return value;
    const out: Options = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: walk(v, depth + 1), enumerable: true });
    return out;
  };
  return walk(options, 0) as Options;
}
