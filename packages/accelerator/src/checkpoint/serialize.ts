import { JsonPlusSerializer, type SerializerProtocol } from "@langchain/langgraph-checkpoint";

// fast-safe-stringify (inside JsonPlusSerializer) returns this instead of throwing when JSON.stringify
// fails (a BigInt, a throwing toJSON): stored as is, the value would be silently lost.
const UNSERIALIZABLE = Buffer.from(JSON.stringify("[unable to serialize, circular reference is too complex to analyze]"));

/**
 * The checkpoint minus its values holds only ids, timestamps and version maps (strings and numbers), for
 * which plain JSON.stringify writes exactly what JsonPlusSerializer writes, several times faster.
 */
export async function serializeCheckpointHead(serde: SerializerProtocol, head: object, what: string): Promise<[string, Buffer]> {
  if (isDefaultSerde(serde) && isPlainData(head, 0)) return ["json", Buffer.from(JSON.stringify(head))];
  return serializeValue(serde, head, what);
}

/** LangGraph's JsonPlusSerializer (exported at the package root from @langchain/langgraph-checkpoint 1.2.2). */
export function isDefaultSerde(serde: unknown): boolean {
  return typeof JsonPlusSerializer === "function" && serde instanceof JsonPlusSerializer;
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
    throw new Error(`cannot serialize ${what}: ${(error as Error).message}`);
  }
  if (kind === "json" && (data.length === 0 || data.equals(UNSERIALIZABLE))) {
    throw new Error(`cannot serialize ${what}: the serializer cannot represent this value (${describe(value)})`);
  }
  return [kind, data];
}

function describe(value: unknown): string {
  if (typeof value === "bigint") return "a BigInt";
  if (typeof value === "symbol") return "a Symbol";
  if (typeof value === "function") return "a function";
  return `a value of type ${value?.constructor?.name ?? typeof value} containing something JSON cannot hold, such as a BigInt`;
}
