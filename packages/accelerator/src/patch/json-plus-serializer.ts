import type { JsonPlusClasses } from "../checkpoint/json-plus-decoder";
import { acceleratedLoadsTyped, esmMessagesNextTo, registerSerializerCopy, unverifiedVersions } from "../checkpoint/json-plus-copies";
import { foreignSerializerMethod } from "../checkpoint/json-plus-methods";
import type { PackageCopy } from "./package-copies";

type Method = (...args: never[]) => unknown;
type SerializerClass = { prototype: object };

/** ES module copies whose @langchain/core/messages is still being imported. */
const pending: Array<Promise<unknown>> = [];

/** Why `copy` keeps upstream's loadsTyped (unverified versions, no DeltaSnapshot export), or undefined. */
export function serializerSkipReason(copy: PackageCopy): string | undefined {
  if (typeof copy.exports.DeltaSnapshot !== "function") return `${copy.file} exports no DeltaSnapshot (unsupported version?)`;
  const cls = copy.exports.JsonPlusSerializer as SerializerClass | undefined;
  return unverifiedVersions(copy.file) ?? (cls ? foreignSerializerMethod(cls.prototype) : undefined);
}

function commonJsClasses(copy: PackageCopy): JsonPlusClasses {
  const { createRequire } = require("node:module") as typeof import("node:module");
  const messages = createRequire(copy.file)("@langchain/core/messages") as Record<string, unknown>;
  return { messages, DeltaSnapshot: copy.exports.DeltaSnapshot as JsonPlusClasses["DeltaSnapshot"] };
}

/**
 * The `serializer` part: JsonPlusSerializer.prototype.loadsTyped decodes "json" with the synchronous
 * decoder of this copy (its own @langchain/core's message classes), and runs the original for
 * everything else. A subclass or instance overriding loadsTyped, `_loads` or `_reviver` keeps its own.
 */
export function acceleratedSerializerMethods(originals: Record<string, Method>, copy: PackageCopy): Record<string, Method> {
  const cls = copy.exports.JsonPlusSerializer as SerializerClass;
  const record = registerSerializerCopy(cls, "the decoder is being prepared");
  if (copy.format === "cjs") registerSerializerCopy(cls, commonJsClasses(copy));
  else {
    const DeltaSnapshot = copy.exports.DeltaSnapshot as JsonPlusClasses["DeltaSnapshot"];
    const ready = esmMessagesNextTo(copy.file).then(
      (messages) => registerSerializerCopy(cls, { messages, DeltaSnapshot }),
      (error: Error) => registerSerializerCopy(cls, `upstream decodes: ${error.message}`),
    );
    pending.push(ready);
  }
  const loadsTyped = acceleratedLoadsTyped(originals.loadsTyped);
  record.patched = loadsTyped;
  return { loadsTyped };
}

/** Resolves when every ES module copy patched so far has its decoder (or its reason not to). */
export async function serializersReady(): Promise<void> {
  await Promise.all(pending.splice(0));
}
