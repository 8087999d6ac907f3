import type { SerializerProtocol } from "@langchain/langgraph-checkpoint";

import { encodesAsUpstream } from "./json-plus-copies";

// fast-safe-stringify (inside JsonPlusSerializer) returns this instead of throwing when JSON.stringify
// fails (a BigInt, a throwing toJSON): stored as is, the value would be silently lost.
const UNSERIALIZABLE = Buffer.from(JSON.stringify("[unable to serialize, circular reference is too complex to analyze]"));

/**
 * The checkpoint minus its values holds only ids, timestamps and version maps (strings and numbers), for
 * which plain JSON.stringify writes exactly what JsonPlusSerializer writes, several times faster: when
 * the serde encodes with upstream's own methods (a subclass or an instance with its own `_dumps`, or a
 * prototype whose `_dumps` was replaced, runs its own).
 */
export async function serializeCheckpointHead(serde: SerializerProtocol, head: object, what: string): Promise<[string, Buffer]> {
  if (encodesAsUpstream(serde) && isPlainData(head, 0)) return ["json", Buffer.from(JSON.stringify(head))];
  return serializeValue(serde, head, what);
}

function isPlainData(value: unknown, depth: number): boolean {
  if (typeof value === "string" || (typeof value === "number" && Number.isFinite(value))) return true;
  if (depth > 3 || value === null || typeof value !== "object" || Array.isArray(value)) return false;
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) if (!isPlainData((value as Record<string, unknown>)[key], depth + 1)) return false;
  return true;
}

/** Serializes with the saver's serde; a value it cannot represent is an error that says `what` it was. */
export async function serializeValue(serde: SerializerProtocol, value: unknown, what: string): Promise<[string, Buffer]> {
  let kind: string;
  let data: Buffer;
  try {
    const [k, bytes] = await serde.dumpsTyped(value);
    kind = k;
    data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    // Deep nesting overflows the serializer's recursion: say that, not the engine's bare RangeError.
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new Error(`cannot serialize ${what}: the serializer cannot represent this value (${describe(value)})`);
    }
    throw new Error(`cannot serialize ${what}: ${(error as Error).message}`);
  }
  if (kind === "json" && (data.length === 0 || data.equals(UNSERIALIZABLE))) {
    throw new Error(`cannot serialize ${what}: the serializer cannot represent this value (${describe(value)})`);
  }
  return [kind, data];
}

/**
 * Nesting at which serializing may fail: JSON serialization (JSON.stringify, then fast-safe-stringify's
 * fallback inside JsonPlusSerializer) recurses once per level. Measured on Node 20 with the default
 * stack: plain objects fail from about 5,000 levels, arrays from about 3,000; 1,000 is said as the
 * depth values stay well below.
 */
export const SAFE_NESTING_DEPTH = 1000;

/** The first BigInt in `value` (by path), and how deep it nests (iteratively: never overflows itself). */
function inspect(value: unknown): { bigint?: string; depth: number; deepest: string } {
  const seen = new Set<object>();
  const stack: [unknown, number, string][] = [[value, 0, ""]];
  let depth = 0;
  let deepest = "";
  let visited = 0;
  while (stack.length > 0 && visited++ < 1_000_000) {
    const [v, d, path] = stack.pop() as [unknown, number, string];
    if (typeof v === "bigint") return { bigint: path || "(the value itself)", depth, deepest };
    if (v === null || typeof v !== "object" || seen.has(v)) continue;
    seen.add(v);
    if (d > depth) {
      depth = d;
      deepest = path;
    }
    const entries = v instanceof Map ? [...v.entries()] : Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [k, x] of entries) stack.push([x, d + 1, `${path}${typeof k === "number" ? `[${k}]` : `.${String(k)}`}`]);
  }
  return { depth, deepest };
}

/** A path cut to its start and end: `.a.a.a … .a.leaf`. */
function shortPath(path: string): string {
  return path.length > 60 ? `${path.slice(0, 24)} … ${path.slice(-24)}` : path;
}

function describe(value: unknown): string {
  if (typeof value === "bigint") return "a BigInt";
  if (typeof value === "symbol") return "a Symbol";
  if (typeof value === "function") return "a function";
  const found = inspect(value);
  if (found.bigint !== undefined) return `a BigInt at ${shortPath(found.bigint)}`;
  if (found.depth > SAFE_NESTING_DEPTH) {
    return `it is nested ${found.depth} levels deep (at ${shortPath(found.deepest)}), too deeply for the serializer, which recurses once per level; keep values under ${SAFE_NESTING_DEPTH} levels`;
  }
  return `a value of type ${value?.constructor?.name ?? typeof value} containing something JSON cannot hold (a BigInt, or a toJSON that throws)`;
}
