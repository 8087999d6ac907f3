import type { SerializerProtocol } from "@langchain/langgraph-checkpoint";

import { ByteLru } from "./byte-lru";
import { serializeValue } from "./serialize";
import { ValueSnapshot } from "./value-snapshot";

interface Entry {
  version: unknown;
  snapshot: ValueSnapshot;
  bytes: Buffer;
}

export interface ValueBytesCacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
}

/** Default byte bound of a saver's value-bytes cache: 32 MiB (serialized bytes plus snapshots). */
export const DEFAULT_VALUE_BYTES_CACHE_BYTES = 32 * 2 ** 20;

/**
 * Whole serialized channel values without re-serializing what did not change: a value at the same
 * version that still matches the snapshot taken when it was serialized reuses its bytes, and a list
 * whose leading elements all match theirs (it only grew) is its previous bytes with the new elements'
 * bytes spliced in. The snapshots see through in-place changes at any depth (see shadow.ts), so a
 * value edited in place is serialized again. For layouts that must store every changed value whole.
 * The bytes depend only on the value, never on what a store holds. Bounded by bytes (LRU).
 */
export class ValueBytesCache {
  private readonly entries: ByteLru<Entry>;

  constructor(
    private readonly serde: SerializerProtocol,
    readonly maxBytes = DEFAULT_VALUE_BYTES_CACHE_BYTES,
  ) {
    this.entries = new ByteLru(maxBytes);
  }

  /** The value's bytes, or undefined when it does not serialize to JSON (serialize it whole with serde). */
  async bytes(threadId: string, ns: string, channel: string, version: unknown, value: unknown): Promise<Buffer | undefined> {
    const key = `${threadId}\u0000${ns}\u0000${channel}`;
    const what = `channel "${channel}" of thread "${threadId}"`;
    const entry = this.entries.get(key);
    // Snapshots are taken and serialization started before the first await: LangGraph (and node code)
    // may go on changing the state while the serialization is awaited.
    let bytes: Buffer;
    let snapshot: ValueSnapshot | undefined;
    if (entry && entry.version === version && entry.snapshot.matches(value)) {
      bytes = entry.bytes;
      snapshot = entry.snapshot;
    } else if (entry?.snapshot.isList && Array.isArray(value) && entry.snapshot.prefixMatches(value, entry.snapshot.length)) {
      const k = entry.snapshot.length;
      const tail = value.slice(k);
      const tailSnapshot = ValueSnapshot.take(tail);
      const base = entry.bytes;
      const [kind, more] = await serializeValue(this.serde, tail, what);
      if (kind !== "json") return undefined;
      bytes = spliceArrays(base, more);
      snapshot = tailSnapshot && entry.snapshot.extendedWith(tailSnapshot, k);
    } else {
      snapshot = ValueSnapshot.take(value);
      const [kind, full] = await serializeValue(this.serde, value, what);
      if (kind !== "json") return undefined;
      bytes = full;
    }
    if (snapshot) this.entries.set(key, { version, snapshot, bytes }, bytes.length + snapshot.bytes + key.length * 2);
    else this.entries.delete(key);
    return bytes;
  }

  /** Entries held and their bytes (serialized values plus snapshots), against `maxBytes`. */
  stats(): ValueBytesCacheStats {
    return { entries: this.entries.size, bytes: this.entries.bytes, maxBytes: this.maxBytes };
  }

  forgetThread(threadId: string): void {
    this.entries.deletePrefix(`${threadId}\u0000`);
  }
}

/** `[a,b]` + `[c]` -> `[a,b,c]`, on serialized JSON arrays. */
function spliceArrays(base: Buffer, more: Buffer): Buffer {
  const moreInner = more.subarray(1, more.length - 1);
  if (moreInner.length === 0) return base;
  const baseInner = base.subarray(1, base.length - 1);
  return Buffer.concat([Buffer.from("["), baseInner, Buffer.from(baseInner.length ? "," : ""), moreInner, Buffer.from("]")]);
}
