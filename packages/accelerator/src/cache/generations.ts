import type { Generation } from "@langchain/core/outputs";

import { CorruptEntry, decodeValue } from "./value-decode";
import { type CodecMode, Unencodable, encodeValue, storedClassName } from "./value-encode";

/**
 * Generations as text and back (value-encode.ts): messages keep their class and every own field
 * (also those a model set after building the message), chunks stay chunks, generationInfo and
 * response_metadata keep Dates, undefined, -0, NaN, Infinity, and every decode builds fresh objects
 * (LangChain mutates what a cache hands out). A decode checks the whole entry: anything else throws
 * CorruptEntry.
 */
const FORMAT = 2;

export function encodeGenerations(generations: Generation[], mode: CodecMode = "persistent"): string {
  if (!Array.isArray(generations)) throw new Unencodable("a cache value must be an array of generations");
  for (const g of generations) {
    const message = (g as { message?: unknown }).message;
    if (message !== undefined && (!isMessage(message) || storedClassName(message as object, mode) === undefined)) {
      throw new Unencodable(`cannot cache a message of class ${(message as object)?.constructor?.name ?? typeof message}`);
    }
  }
  return JSON.stringify({ v: FORMAT, g: encodeValue(generations, mode) });
}

export function decodeGenerations(text: string, mode: CodecMode = "persistent"): Generation[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CorruptEntry("the entry is not JSON");
  }
  const envelope = parsed as { v?: unknown; g?: unknown };
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    !Object.hasOwn(parsed, "v") ||
    envelope.v !== FORMAT ||
    !Object.hasOwn(parsed, "g")
  ) {
    throw new CorruptEntry("the entry is not in this version's format (written by an earlier version, or damaged)");
  }
  let value: unknown;
  try {
    value = decodeValue(envelope.g, mode);
  } catch (e) {
    throw e instanceof CorruptEntry ? e : new CorruptEntry("the entry is malformed");
  }
  checkGenerations(value);
  return value;
}

function checkGenerations(value: unknown): asserts value is Generation[] {
  if (!Array.isArray(value)) throw new CorruptEntry("the entry is not a list of generations");
  value.forEach((g, i) => {
    const where = `generation ${i}`;
    if (!isRecord(g) || typeof g.text !== "string") throw new CorruptEntry(`${where} has no text`);
    if (g.generationInfo !== undefined && !isRecord(g.generationInfo)) throw new CorruptEntry(`${where} has a malformed generationInfo`);
    if (g.message !== undefined && !isWellFormedMessage(g.message)) throw new CorruptEntry(`${where} has a malformed message`);
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A LangChain message of any copy of @langchain/core. */
function isMessage(v: unknown): boolean {
  return isRecord(v) && typeof (v as { _getType?: unknown })._getType === "function";
}

function isWellFormedMessage(m: unknown): boolean {
  if (!isMessage(m)) return false;
  const f = m as Record<string, unknown>;
  const optionalRecord = (k: string) => f[k] === undefined || isRecord(f[k]);
  const optionalArray = (k: string) => f[k] === undefined || Array.isArray(f[k]);
  return (
    (typeof f.content === "string" || Array.isArray(f.content)) &&
    typeof f.type === "string" &&
    isRecord(f.lc_kwargs) &&
    optionalRecord("additional_kwargs") &&
    optionalRecord("response_metadata") &&
    optionalRecord("usage_metadata") &&
    optionalArray("tool_calls") &&
    optionalArray("invalid_tool_calls") &&
    (f.tool_calls === undefined || (f.tool_calls as unknown[]).every((c) => isRecord(c) && typeof c.name === "string"))
  );
}
