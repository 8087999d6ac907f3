import type { JsonPlusClasses } from "./json-plus-decoder";
import { JsonPlusDecoder } from "./json-plus-decoder";

type LoadsTyped = (this: unknown, type: string, data: Uint8Array) => Promise<unknown>;

/**
 * Why `classes` are not the message classes that `serializerClass`'s own (unpatched) `loadsTyped`
 * constructs, or undefined when they are. Given module namespaces (`patchLangGraph({ modules })`) are
 * trusted for nothing: an application that passes the CommonJS `@langchain/core/messages` with the ES
 * module checkpoint (the dual-package hazard) would otherwise get the other build's prototypes.
 * Upstream decodes one envelope per class the decoder builds itself; a class upstream refuses to
 * build is left to the property tests (the decoder reproduces upstream's refusals).
 */
export async function messageClassesMismatch(
  serializerClass: new () => unknown,
  originalLoadsTyped: LoadsTyped,
  classes: JsonPlusClasses,
): Promise<string | undefined> {
  const serde = new serializerClass();
  const encoder = new TextEncoder();
  for (const name of new JsonPlusDecoder(classes).messageClasses) {
    const kwargs = { content: "probe", id: "probe", tool_call_id: "probe", role: "user" };
    const envelope = { lc: 1, type: "constructor", id: ["langchain_core", "messages", name], kwargs };
    let value: unknown;
    try {
      value = await originalLoadsTyped.call(serde, "json", encoder.encode(JSON.stringify(envelope)));
    } catch {
      continue;
    }
    const expected = (classes.messages[name] as { prototype: object }).prototype;
    if (typeof value !== "object" || value === null || Object.getPrototypeOf(value) !== expected)
      return `upstream decodes: the given modules["@langchain/core/messages"] is not the copy this JsonPlusSerializer's load() constructs (its ${name} differs)`;
  }
  return undefined;
}
