import type { SerializerProtocol } from "@langchain/langgraph-checkpoint";

import { serializeValue } from "./serialize";

interface Entry {
  version: unknown;
  value: unknown;
  elements: unknown[] | undefined;
  bytes: Buffer;
}

/**
 * Whole serialized channel values without re-serializing what did not change: a value whose version
 * and identity are those serialized last time reuses its bytes, and a list that only grew (same leading
 * elements, by identity) is its previous bytes with the new elements' bytes spliced in. For layouts
 * that must store every changed value whole. Same assumption as increments: stored elements are not
 * mutated in place. The bytes depend only on the elements, never on what a store holds.
 */
export class ValueBytesCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly serde: SerializerProtocol,
    private readonly capacity = 4096,
  ) {}

  /** The value's bytes, or undefined when it does not serialize to JSON (serialize it whole with serde). */
  async bytes(threadId: string, ns: string, channel: string, version: unknown, value: unknown): Promise<Buffer | undefined> {
    const key = `${threadId}\u0000${ns}\u0000${channel}`;
    const what = `channel "${channel}" of thread "${threadId}"`;
    const entry = this.entries.get(key);
    // The list is copied now: LangGraph may go on changing the state while the serialization is awaited.
    const elements = Array.isArray(value) ? value.slice() : undefined;
    let bytes: Buffer;
    if (entry && entry.version === version && entry.value === value) {
      bytes = entry.bytes;
    } else if (entry?.elements && elements && startsWith(elements, entry.elements)) {
      const [kind, more] = await serializeValue(this.serde, elements.slice(entry.elements.length), what);
      if (kind !== "json") return undefined;
      bytes = spliceArrays(entry.bytes, more);
    } else {
      const [kind, full] = await serializeValue(this.serde, value, what);
      if (kind !== "json") return undefined;
      bytes = full;
    }
    this.entries.delete(key);
    this.entries.set(key, { version, value, elements, bytes });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return bytes;
  }

  forgetThread(threadId: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(`${threadId}\u0000`)) this.entries.delete(key);
  }
}

function startsWith(value: unknown[], prefix: unknown[]): boolean {
  if (value.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (value[i] !== prefix[i]) return false;
  return true;
}

/** `[a,b]` + `[c]` -> `[a,b,c]`, on serialized JSON arrays. */
function spliceArrays(base: Buffer, more: Buffer): Buffer {
  const moreInner = more.subarray(1, more.length - 1);
  if (moreInner.length === 0) return base;
  const baseInner = base.subarray(1, base.length - 1);
  return Buffer.concat([Buffer.from("["), baseInner, Buffer.from(baseInner.length ? "," : ""), moreInner, Buffer.from("]")]);
}
