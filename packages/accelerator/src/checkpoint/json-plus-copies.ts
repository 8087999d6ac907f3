import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { DeltaSnapshot, JsonPlusSerializer } from "@langchain/langgraph-checkpoint";

import { type JsonPlusClasses, JsonPlusDecoder, UPSTREAM } from "./json-plus-decoder";
import { foreignSerializerMethod, upstreamEncodingMethods } from "./json-plus-methods";
import { encodingSerde } from "./serde-wrappers";

/**
 * The versions whose JsonPlusSerializer reviver and @langchain/core `load()` the decoder reproduces;
 * any other installed version keeps upstream's code. 1.4.0 is checked by test/serializer; the
 * `reviver`, `load`, map_keys and validation code of 1.1.48 and 1.3.4 (the other versions in
 * scripts/install-test's matrix) differ from 1.4.0's only in layout (compared with `npm pack`).
 */
export const DECODER_VERSIONS: Record<string, ReadonlySet<string>> = {
  "@langchain/langgraph-checkpoint": new Set(["1.2.2"]),
  "@langchain/core": new Set(["1.1.48", "1.3.4", "1.4.0"]),
};

type Method = (...args: never[]) => unknown;

/** One loaded JsonPlusSerializer class: its original methods and the decoder for its copy. */
interface SerializerCopy {
  loadsTyped: unknown;
  loads: unknown;
  reviver: unknown;
  /** The patched loadsTyped installed on this copy, if any. */
  patched?: unknown;
  decoder?: JsonPlusDecoder;
  /** Why the copy has no decoder. */
  reason?: string;
  /** Set when the prototype's methods were not upstream's own at registration: never a decoder. */
  foreign?: string;
  dumpsTyped: unknown;
  dumps: unknown;
  /** Whether dumpsTyped and _dumps were upstream's own at registration. */
  upstreamEncoding: boolean;
}

const copies = new Map<object, SerializerCopy>();

/** Counts since the process started (or the last reset): what the decoder decided, what went upstream. */
export interface SerializerStats {
  /** "json" values the synchronous decoder returned. */
  decoded: number;
  /** "json" values of an eligible serializer it handed to upstream's code (unknown `lc` ids, secrets...). */
  upstream: number;
}

const stats: SerializerStats = { decoded: 0, upstream: 0 };

/** How often the decoder decoded and how often it handed the bytes to upstream. */
export function getSerializerStats(options: { reset?: boolean } = {}): SerializerStats {
  const copy = { ...stats };
  if (options.reset) stats.decoded = stats.upstream = 0;
  return copy;
}

/** Counts a value decoded without upstream's code by another path of ours (decoded-lists.ts). */
export function countDecoded(): void {
  stats.decoded++;
}

/** Counts a value another path of ours (decoded-lists.ts) found the decoder declines, handed to upstream's code. */
export function countUpstream(): void {
  stats.upstream++;
}

function decodeCounted(decoder: JsonPlusDecoder, type: string, data: unknown): unknown {
  const value = decoder.decodeTyped(type, data);
  if (value === UPSTREAM) stats.upstream++;
  else stats.decoded++;
  return value;
}

function versionOf(packageJson: string): string | undefined {
  try {
    return JSON.parse(fs.readFileSync(packageJson, "utf8")).version;
  } catch {
    return undefined;
  }
}

/** Why the copies of the two packages next to `file` cannot use the decoder, or undefined. */
export function unverifiedVersions(checkpointFile: string): string | undefined {
  const req = createRequire(checkpointFile);
  const bad: string[] = [];
  for (const pkg of Object.keys(DECODER_VERSIONS)) {
    let version: string | undefined;
    try {
      version = versionOf(req.resolve(`${pkg}/package.json`));
    } catch {
      version = undefined;
    }
    if (version === undefined || !DECODER_VERSIONS[pkg].has(version))
      bad.push(`${pkg} ${version ?? "(not found)"} (the decoder is verified for ${[...DECODER_VERSIONS[pkg]].join(", ")})`);
  }
  return bad.length > 0 ? `upstream decodes: ${bad.join("; ")}` : undefined;
}

/**
 * Records a JsonPlusSerializer class (its prototype's own methods as they are now) with the classes
 * its `load()` constructs; without classes, the reason it keeps upstream's code.
 */
export function registerSerializerCopy(cls: { prototype: object }, classes: JsonPlusClasses | string): SerializerCopy {
  const proto = cls.prototype as Record<string, unknown>;
  let copy = copies.get(proto);
  if (!copy) {
    copy = {
      loadsTyped: proto.loadsTyped,
      loads: proto._loads,
      reviver: proto._reviver,
      foreign: foreignSerializerMethod(proto),
      dumpsTyped: proto.dumpsTyped,
      dumps: proto._dumps,
      upstreamEncoding: upstreamEncodingMethods(proto),
    };
    copies.set(proto, copy);
  }
  if (copy.foreign) copy.reason = copy.foreign;
  else if (typeof classes === "string") copy.reason = classes;
  else if (!copy.decoder) copy.decoder = new JsonPlusDecoder(classes);
  return copy;
}

/** After unpatchLangGraph: the prototypes have their own loadsTyped again. */
export function forgetPatchedSerializers(): void {
  for (const copy of copies.values()) copy.patched = undefined;
}

let ownCopyRegistered = false;

/** The decoder's classes for the copy this package imports, found from its files, or why there are none. */
function ownCopyFromFiles(): JsonPlusClasses | string {
  const file: unknown = require.resolve("@langchain/langgraph-checkpoint");
  if (typeof file !== "string") throw new Error(`require.resolve gave ${typeof file}`);
  const reason = unverifiedVersions(file);
  return reason ?? { messages: createRequire(file)("@langchain/core/messages") as Record<string, unknown>, DeltaSnapshot };
}

/**
 * Inside a bundle there are no files to resolve: the bundler inlined the manifests and the message classes
 * that these literal requires name, the ones this package's own imports resolved to.
 */
function ownCopyFromBundle(): JsonPlusClasses | string {
  const version = (pkg: string, manifest: { version?: string }) =>
    manifest.version !== undefined && DECODER_VERSIONS[pkg].has(manifest.version)
      ? undefined
      : `${pkg} ${manifest.version ?? "(no version)"} (the decoder is verified for ${[...DECODER_VERSIONS[pkg]].join(", ")})`;
  const bad = [
    version("@langchain/langgraph-checkpoint", require("@langchain/langgraph-checkpoint/package.json")),
    version("@langchain/core", require("@langchain/core/package.json")),
  ].filter((b) => b !== undefined);
  if (bad.length > 0) return `upstream decodes: ${bad.join("; ")}`;
  return { messages: require("@langchain/core/messages") as Record<string, unknown>, DeltaSnapshot };
}

/** The CommonJS copy this package imports: its @langchain/core is the one next to that copy. */
function registerOwnCopy(): void {
  ownCopyRegistered = true;
  let classes: JsonPlusClasses | string;
  try {
    classes = ownCopyFromFiles();
  } catch (error) {
    try {
      classes = ownCopyFromBundle();
    } catch {
      classes = `upstream decodes: ${(error as Error).message}`;
    }
  }
  registerSerializerCopy(JsonPlusSerializer, classes);
}

/**
 * The decoder for `serde` when it decodes as a JsonPlusSerializer of a registered copy does: its
 * loadsTyped, `_loads` and `_reviver` are that copy's own (or our patched loadsTyped). A subclass or
 * instance that overrides any of them keeps its own code (undefined).
 */
export function decoderFor(serde: unknown): JsonPlusDecoder | undefined {
  if (!ownCopyRegistered) registerOwnCopy();
  if (typeof serde !== "object" || serde === null) return undefined;
  const s = serde as Record<string, unknown>;
  let proto = Object.getPrototypeOf(serde);
  for (let depth = 0; proto !== null && depth < 16; depth++, proto = Object.getPrototypeOf(proto)) {
    const copy = copies.get(proto);
    if (!copy) continue;
    if (!copy.decoder) return undefined;
    if (s.loadsTyped !== copy.loadsTyped && s.loadsTyped !== copy.patched) return undefined;
    if (s._loads !== copy.loads || s._reviver !== copy.reviver) return undefined;
    return copy.decoder;
  }
  return undefined;
}

/**
 * Whether `serde` encodes as a registered copy of JsonPlusSerializer does: its dumpsTyped and `_dumps`
 * are that copy's own, upstream's text (through our own wrappers, see serde-wrappers.ts). A subclass or
 * instance that overrides either does not.
 */
export function encodesAsUpstream(given: unknown): boolean {
  if (!ownCopyRegistered) registerOwnCopy();
  const serde = encodingSerde(given);
  if (typeof serde !== "object" || serde === null) return false;
  const s = serde as Record<string, unknown>;
  let proto = Object.getPrototypeOf(serde);
  for (let depth = 0; proto !== null && depth < 16; depth++, proto = Object.getPrototypeOf(proto)) {
    const copy = copies.get(proto);
    if (copy) return copy.upstreamEncoding && s.dumpsTyped === copy.dumpsTyped && s._dumps === copy.dumps;
  }
  return false;
}

/**
 * `serde.loadsTyped(type, data)`: synchronously when the decoder decides it, else upstream's promise.
 * Values come out exactly as `serde.loadsTyped` gives them, fresh on every call.
 */
export function loadTyped(serde: { loadsTyped(type: string, data: never): Promise<unknown> }, type: string, data: unknown): unknown {
  const decoder = type === "json" ? decoderFor(serde) : undefined;
  if (decoder) {
    const value = decodeCounted(decoder, type, data);
    if (value !== UPSTREAM) return value;
  }
  return serde.loadsTyped(type, data as never);
}

/**
 * `serde.loadsTyped(type, data)` by upstream's own code, for bytes the decoder just declined: when
 * `serde`'s loadsTyped is our patched one, its copy's original (so the decoder does not run twice).
 */
export function upstreamLoadsTyped(
  serde: { loadsTyped(type: string, data: never): Promise<unknown> },
  type: string,
  data: unknown,
): Promise<unknown> {
  let proto = Object.getPrototypeOf(serde);
  for (let depth = 0; proto !== null && depth < 16; depth++, proto = Object.getPrototypeOf(proto)) {
    const copy = copies.get(proto);
    if (copy?.patched !== undefined && serde.loadsTyped === copy.patched)
      return (copy.loadsTyped as (t: string, d: unknown) => Promise<unknown>).call(serde, type, data);
    if (copy) break;
  }
  return serde.loadsTyped(type, data as never);
}

/** The patched `JsonPlusSerializer.prototype.loadsTyped` for a copy whose original is `original`. */
export function acceleratedLoadsTyped(original: Method): Method {
  return async function loadsTyped(this: unknown, type: string, data: unknown): Promise<unknown> {
    const decoder = type === "json" ? decoderFor(this) : undefined;
    if (decoder) {
      const value = decodeCounted(decoder, type, data);
      if (value !== UPSTREAM) return value;
    }
    return (original as unknown as (t: string, d: unknown) => Promise<unknown>).call(this, type, data);
  } as unknown as Method;
}

/** The ES module build of `@langchain/core/messages` next to an ES module build of the checkpoint package. */
export async function esmMessagesNextTo(checkpointFile: string): Promise<Record<string, unknown>> {
  const manifest = createRequire(checkpointFile).resolve("@langchain/core/package.json");
  const json = JSON.parse(fs.readFileSync(manifest, "utf8")) as { exports?: Record<string, unknown> };
  let entry: unknown = json.exports?.["./messages"];
  for (let depth = 0; depth < 4 && entry && typeof entry === "object"; depth++) {
    const conditions = entry as Record<string, unknown>;
    entry = conditions.import ?? conditions.node ?? conditions.default;
  }
  if (typeof entry !== "string") throw new Error(`${manifest} has no ES module entry for ./messages`);
  const url = pathToFileURL(path.join(path.dirname(manifest), entry)).href;
  // A real dynamic import: TypeScript must not turn it into require() in the CommonJS build.
  const load = new Function("url", "return import(url)") as (url: string) => Promise<Record<string, unknown>>;
  return load(url);
}
