import type { SerializerProtocol } from "@langchain/langgraph-checkpoint";

import { ByteLru } from "./byte-lru";
import { arrayElementEnds, spliceElements } from "./json-array-bytes";
import { encodesAsUpstream } from "./json-plus-copies";
import { serializeValue } from "./serialize";
import { ValueSnapshot, isPlainList } from "./value-snapshot";

interface Entry {
  version: unknown;
  snapshot: ValueSnapshot;
  bytes: Buffer;
  /** For a list: where each element's bytes end in `bytes` (see arrayElementEnds). */
  ends: number[] | undefined;
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
 * whose leading elements match theirs is those elements' bytes followed by the rest's, serialized now
 * (a list that only grew serializes its new elements; one whose last elements were rebuilt, as a read
 * rebuilds every message, serializes those). The snapshots see through in-place changes at any depth
 * (see shadow.ts), so an element edited in place is serialized again. For layouts that must store every
 * changed value whole. The bytes depend only on the value, never on what a store holds. Only for a
 * serde that encodes as LangGraph's JsonPlusSerializer (whose arrays are their elements' encodings
 * joined by commas); any other serde serializes every value itself. Bounded by bytes (LRU).
 */
export class ValueBytesCache {
  private readonly entries: ByteLru<Entry>;
  private readonly currentSerde: () => SerializerProtocol;

  /** `serde`: the saver's serde, or a function giving it as it is now (a saver's `serde` may be replaced). */
  constructor(
    serde: SerializerProtocol | (() => SerializerProtocol),
    readonly maxBytes = DEFAULT_VALUE_BYTES_CACHE_BYTES,
  ) {
    this.entries = new ByteLru(maxBytes);
    this.currentSerde = typeof serde === "function" ? serde : () => serde;
  }

  private get serde(): SerializerProtocol {
    return this.currentSerde();
  }

  /** Whether this cache serializes for the serde now (else the caller serializes with the serde itself). */
  get active(): boolean {
    return this.maxBytes > 0 && encodesAsUpstream(this.serde);
  }

  /**
   * `serde.dumpsTyped(value)` as it is now (kind and bytes, for an error the message serializeValue
   * gives), reusing the bytes of what matches the value's last serialization. Only when `active`.
   */
  async serialize(threadId: string, ns: string, channel: string, version: unknown, value: unknown): Promise<[string, Buffer]> {
    const key = `${threadId}\u0000${ns}\u0000${channel}`;
    const what = `channel "${channel}" of thread "${threadId}"`;
    const entry = this.entries.get(key);
    // A read since the last put decoded every element anew: the first match takes their strings, so the
    // puts after it compare them by pointer.
    entry?.snapshot.adoptOnNextMatch();
    // Snapshots are taken and serialization started before the first await: LangGraph (and node code)
    // may go on changing the state while the serialization is awaited.
    if (entry && entry.version === version && entry.snapshot.matches(value)) return ["json", entry.bytes];
    const kept = entry?.ends && isPlainList(value) ? entry.snapshot.matchingPrefix(value) : 0;
    if (entry?.ends && kept > 0) {
      const tail = (value as unknown[]).slice(kept);
      // A tail without a snapshot may hold what serializes differently outside the list (a cycle through it).
      const tailSnapshot = ValueSnapshot.take(tail);
      if (tailSnapshot) return this.spliced(key, what, entry, version, value as unknown[], kept, tail, tailSnapshot);
    }
    const snapshot = ValueSnapshot.take(value);
    const [kind, bytes] = await serializeValue(this.serde, value, what);
    const ends = snapshot?.isList ? arrayElementEnds(bytes, snapshot.length) : undefined;
    if (kind === "json" && snapshot && (ends || !snapshot.isList)) this.set(key, { version, snapshot, bytes, ends });
    else this.entries.delete(key);
    return [kind, bytes];
  }

  private async spliced(
    key: string,
    what: string,
    entry: Entry,
    version: unknown,
    value: unknown[],
    kept: number,
    tail: unknown[],
    tailSnapshot: ValueSnapshot,
  ): Promise<[string, Buffer]> {
    const { bytes: base, ends: baseEnds } = entry as Entry & { ends: number[] };
    const whole = () => {
      // The tail did not serialize as a JSON array of its elements, or failed (its error would name
      // paths in the tail): the whole value, as it was when called.
      if (!entry.snapshot.prefixMatches(value, kept) || !tailSnapshot.matches(value.slice(kept))) {
        throw new Error(`cannot serialize ${what}: it changed while its put was pending`);
      }
      this.entries.delete(key);
      return serializeValue(this.serde, value, what);
    };
    let kind: string;
    let more: Buffer;
    try {
      [kind, more] = tail.length > 0 ? await serializeValue(this.serde, tail, what) : ["json", Buffer.from("[]")];
    } catch {
      return whole();
    }
    const moreEnds = kind === "json" ? arrayElementEnds(more, tail.length) : undefined;
    if (!moreEnds) return whole();
    const { bytes, ends } = spliceElements(base, baseEnds, kept, more, moreEnds);
    // Extends the entry's snapshot in place when no other put changed it meanwhile, else a copy.
    const snapshot = entry.snapshot.extendedWith(tailSnapshot, kept);
    this.set(key, { version, snapshot, bytes, ends });
    return ["json", bytes];
  }

  /**
   * True or false when the value this cache last serialized for the channel was at `version`: whether
   * `value` still matches it. Undefined when it does not know.
   */
  isUnchanged(threadId: string, ns: string, channel: string, version: unknown, value: unknown): boolean | undefined {
    const entry = this.entries.get(`${threadId}\u0000${ns}\u0000${channel}`);
    if (entry === undefined || entry.version !== version) return undefined;
    return entry.snapshot.matches(value);
  }

  /** Entries held and their bytes (serialized values plus snapshots), against `maxBytes`. */
  stats(): ValueBytesCacheStats {
    return { entries: this.entries.size, bytes: this.entries.bytes, maxBytes: this.maxBytes };
  }

  forgetThread(threadId: string): void {
    this.entries.deletePrefix(`${threadId}\u0000`);
  }

  private set(key: string, entry: Entry): void {
    const endsBytes = (entry.ends?.length ?? 0) * 8;
    this.entries.set(key, entry, entry.bytes.length + entry.snapshot.bytes + endsBytes + key.length * 2);
  }
}
