import type { JsonPlusClasses } from "../checkpoint/json-plus-decoder";
import {
  DECODER_VERSIONS,
  acceleratedLoadsTyped,
  esmMessagesNextTo,
  registerSerializerCopy,
  unverifiedVersions,
} from "../checkpoint/json-plus-copies";
import { foreignSerializerMethod } from "../checkpoint/json-plus-methods";
import { messageClassesMismatch } from "../checkpoint/json-plus-probe";
import { givenVersion } from "./given-modules";
import type { PackageCopy } from "./package-copies";

type Method = (...args: never[]) => unknown;
type SerializerClass = { prototype: object };

/** ES module copies whose @langchain/core/messages is still being imported. */
const pending: Array<Promise<unknown>> = [];

/** Why `copy` keeps upstream's loadsTyped (unverified versions, no DeltaSnapshot export), or undefined. */
export function serializerSkipReason(copy: PackageCopy): string | undefined {
  if (typeof copy.exports.DeltaSnapshot !== "function") return `${copy.file} exports no DeltaSnapshot (unsupported version?)`;
  const cls = copy.exports.JsonPlusSerializer as SerializerClass | undefined;
  const versions = copy.format === "given" ? unverifiedGivenVersions(copy) : unverifiedVersions(copy.file);
  return versions ?? (cls ? foreignSerializerMethod(cls.prototype) : undefined);
}

/**
 * Why a given (e.g. bundled) copy cannot use the decoder: its versions, which only the package.json
 * modules state, must be ones the decoder reproduces, and it needs the bundle's message classes.
 */
function unverifiedGivenVersions(copy: PackageCopy): string | undefined {
  const bad: string[] = [];
  for (const pkg of Object.keys(DECODER_VERSIONS)) {
    const version = givenVersion(pkg, copy.modules);
    if (version === undefined) bad.push(`${pkg}: version unknown (give modules["${pkg}/package.json"])`);
    else if (!DECODER_VERSIONS[pkg].has(version))
      bad.push(`${pkg} ${version} (the decoder is verified for ${[...DECODER_VERSIONS[pkg]].join(", ")})`);
  }
  if (typeof copy.modules?.["@langchain/core/messages"] !== "object")
    bad.push('the message classes are not given (modules["@langchain/core/messages"])');
  return bad.length > 0 ? `upstream decodes: ${bad.join("; ")}` : undefined;
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
  else if (copy.format === "given") {
    const messages = copy.modules?.["@langchain/core/messages"] as Record<string, unknown>;
    const classes = { messages, DeltaSnapshot: copy.exports.DeltaSnapshot as JsonPlusClasses["DeltaSnapshot"] };
    const checked = messageClassesMismatch(cls as never, originals.loadsTyped as never, classes).then(
      (reason) => registerSerializerCopy(cls, reason ?? classes),
      (error: Error) => registerSerializerCopy(cls, `upstream decodes: ${error.message}`),
    );
    pending.push(checked);
  } else {
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
