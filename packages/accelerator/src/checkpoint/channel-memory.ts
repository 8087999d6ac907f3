import { RemoveMessage } from "@langchain/core/messages";

import { ByteLru } from "./byte-lru";
import { stampDepartures } from "./shadow";
import { type ListParts, type MessageKey, UNPROVEN, ValueSnapshot, isPlainList } from "./value-snapshot";

/**
 * Per (thread, namespace, channel): the value this process last stored or loaded, as a snapshot, with
 * its version and the checkpoint whose row holds it. From it a put learns, exactly:
 * - whether a channel newVersions does not name still holds the stored value (then it is carried
 *   over by reference; a value changed in place is stored again);
 * - how to store a changed list as an increment of the stored one: "append" (the list only grew;
 *   store the new elements) or "merge" (a list of messages changed the way LangGraph's messages
 *   reducer changes it: replaced by id, removed, appended; store that update, replayed in Rust on read).
 * Every comparison is against the snapshot's shadows, never object identity alone, so node code that
 * mutates state in place (pushes, edits of content, tool calls or kwargs at any depth) is stored as
 * it is. A value whose serialization cannot be seen through (see shadow.ts) is never remembered, so
 * it is always serialized whole. Bounded by bytes (least recently used entries go first).
 */
export interface IncrementPlan {
  increment: "append" | "merge";
  baseOwnerId: string;
  /** The base row's write token, when the store has them (see `ChannelMemoryOptions.rowTokens`). */
  baseRowToken?: string;
  elements: unknown[];
  /** The value's snapshot as it was serialized, to remember once the put is stored. */
  snapshot: PendingSnapshot;
}

/** A snapshot taken when a value was serialized, waiting for its put to be stored. */
export interface PendingSnapshot {
  /** The snapshot to remember (may extend the remembered one in place: call only on commit). */
  build(): ValueSnapshot | undefined;
  /** Whether `value` is still what was serialized (no side effects). */
  matches(value: unknown): boolean;
  /** What was serialized, from `value` now (see `ValueSnapshot.asWas`), or UNPROVEN. */
  asWas(value: unknown): unknown;
}

interface Entry {
  version: string;
  ownerId: string;
  snapshot: ValueSnapshot;
  rowToken?: string;
}

/** The stored row a remembered value came from: its owner and, where the store has them, write token. */
export interface RememberedRow {
  ownerId: string;
  rowToken?: string;
}

/** What `prove` found for a value unchanged since it was stored or loaded. */
export interface CarryProof {
  /** The snapshot it was proven against. */
  snapshot: PendingSnapshot;
  /** The row it came from; undefined when the store has row tokens and the memory lacks this row's. */
  row: RememberedRow | undefined;
}

interface MessageLike {
  id: string;
  getType(): string;
}

function isMessage(x: unknown): x is MessageLike {
  return (
    typeof x === "object" && x !== null && typeof (x as MessageLike).id === "string" && typeof (x as MessageLike).getType === "function"
  );
}

function fixed(snapshot: ValueSnapshot | undefined): PendingSnapshot {
  const length = snapshot?.length;
  return { build: () => snapshot, matches: (v) => snapshot?.matches(v) ?? false, asWas: (v) => snapshot?.asWas(v, length) ?? UNPROVEN };
}

export interface ChannelMemoryStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  evictions: number;
}

/** Default byte bound of a saver's channel memory: 32 MiB. */
export const DEFAULT_CHANNEL_MEMORY_BYTES = 32 * 2 ** 20;

export class ChannelMemory {
  private readonly entries: ByteLru<Entry>;
  private stepVersion: number | undefined;

  /**
   * `rowTokens`: the store has write tokens per row (PostgreSQL's compact layout: a row's `xmin`, new
   * whenever the row is rewritten, by any process): a put names the rows it builds on with the tokens
   * they had when this memory learned them, and a value learned without one is never an increment's base.
   */
  constructor(
    readonly maxBytes = DEFAULT_CHANNEL_MEMORY_BYTES,
    private readonly rowTokens = false,
  ) {
    this.entries = new ByteLru(maxBytes);
  }

  /**
   * The store's data version (SQLite's `PRAGMA data_version`, which changes only when another connection
   * commits) this memory is in step with: what it holds describes the rows as of that version. A put
   * sends it, and the store trusts nothing the memory vouches for once the database has moved on.
   */
  get dataVersion(): number | undefined {
    return this.stepVersion;
  }

  /**
   * Called with the data version each read or put of the store answered at (undefined: the store has
   * none, as PostgreSQL): another connection committed since the memory was last in step, so any
   * remembered row may have been rewritten under the same ids, and the memory forgets everything.
   */
  inStep(dataVersion: number | null | undefined): void {
    if (dataVersion === undefined || dataVersion === null) return;
    if (this.stepVersion !== undefined && this.stepVersion !== dataVersion) this.entries.clear();
    this.stepVersion = dataVersion;
  }

  private static key(threadId: string, ns: string, channel: string): string {
    return `${threadId}\u0000${ns}\u0000${channel}`;
  }

  /**
   * Whether `value` is still the stored value at `version`, and if so what a put relies on when it
   * carries it: the snapshot it was proven against (with the list length then, to tell later what the
   * value was) and the row the remembered value came from (with row tokens: only when the memory has
   * the row's token). One lookup, so the snapshot and the row are the same entry's even when the
   * memory learns another row before the put reaches the store. Undefined when the value at `version`
   * is not known; false when it differs.
   */
  prove(threadId: string, ns: string, channel: string, version: string, value: unknown): CarryProof | false | undefined {
    const entry = this.entries.get(ChannelMemory.key(threadId, ns, channel));
    if (entry === undefined || entry.version !== version) return undefined;
    if (!entry.snapshot.matches(value)) return false;
    const row = this.rowTokens && entry.rowToken === undefined ? undefined : { ownerId: entry.ownerId, rowToken: entry.rowToken };
    return { snapshot: fixed(entry.snapshot), row };
  }

  /** True or false when the stored value at `version` is known; undefined when it is not. */
  isUnchanged(threadId: string, ns: string, channel: string, version: string, value: unknown): boolean | undefined {
    const entry = this.entries.get(ChannelMemory.key(threadId, ns, channel));
    if (entry === undefined || entry.version !== version) return undefined;
    return entry.snapshot.matches(value);
  }

  /** How to store `value` as an increment of the remembered list, if it is one (see the class doc). */
  plan(threadId: string, ns: string, channel: string, value: unknown): IncrementPlan | undefined {
    if (!isPlainList(value)) return undefined;
    const entry = this.entries.get(ChannelMemory.key(threadId, ns, channel));
    if (entry === undefined || !entry.snapshot.isList) return undefined;
    if (this.rowTokens && entry.rowToken === undefined) return undefined;
    const base = { baseOwnerId: entry.ownerId, baseRowToken: entry.rowToken };
    const stored = entry.snapshot;
    const k = stored.length;
    if (value.length >= k && stored.prefixMatches(value, k)) {
      const elements = value.slice(k);
      // New elements without a shadow could not be told unchanged later, when the store refuses the
      // increment (its base rewritten meanwhile) and the value must go whole as it was: stored whole now.
      const tail = ValueSnapshot.take(elements);
      if (tail === undefined) return undefined;
      const length = k + tail.length;
      const grown = (v: unknown): v is unknown[] =>
        isPlainList(v) && v.length >= length && stored.prefixMatches(v, k) && tail.prefixMatches(v.slice(k), tail.length);
      const snapshot: PendingSnapshot = {
        build: () => stored.extendedWith(tail, k),
        matches: (v) => grown(v) && v.length === length,
        asWas: (v) => (grown(v) ? v.slice(0, length) : UNPROVEN),
      };
      return { increment: "append", ...base, elements, snapshot };
    }
    const update = this.mergeUpdate(stored, value);
    const whole = update === undefined ? undefined : ValueSnapshot.take(value);
    if (update === undefined || whole === undefined) return undefined;
    return { increment: "merge", ...base, elements: update, snapshot: fixed(whole) };
  }

  /**
   * The reducer update that turns the stored list into `value`, if one is much smaller than `value`.
   * Stored ids and types are the snapshot's (node code may have renamed a message in place since). Only
   * lists LangGraph's messages reducer could have made qualify: unique ids, old messages in their
   * order, new ones after them, and no RemoveMessage kept as data (replaying would execute it).
   */
  private mergeUpdate(stored: ValueSnapshot, value: unknown[]): unknown[] | undefined {
    const keys = stored.messageKeys;
    if (keys.length !== stored.length || keys.some((k) => k === undefined || k.type === "remove")) return undefined;
    if (!value.every((m) => isMessage(m) && m.getType() !== "remove")) return undefined;
    const oldIndex = new Map(keys.map((k, i) => [(k as MessageKey).id, i]));
    if (oldIndex.size !== keys.length) return undefined;
    const seen = new Set<string>();
    const changed: unknown[] = [];
    let lastOld = -1;
    let appending = false;
    for (const m of value as MessageLike[]) {
      if (seen.has(m.id)) return undefined;
      seen.add(m.id);
      const i = oldIndex.get(m.id);
      if (i === undefined) {
        appending = true;
        changed.push(m);
      } else {
        if (appending || i < lastOld) return undefined;
        lastOld = i;
        if (!stored.elementMatches(i, m)) changed.push(m);
      }
    }
    const removals = keys.filter((k) => !seen.has((k as MessageKey).id)).map((k) => new RemoveMessage({ id: (k as MessageKey).id }));
    const update = [...removals, ...changed];
    return update.length * 2 <= value.length ? update : undefined;
  }

  /** A snapshot of `value` now, as it is about to be serialized whole. */
  capture(value: unknown): PendingSnapshot {
    return fixed(ValueSnapshot.take(value));
  }

  /** Remembers what a stored put holds for the channel (its snapshot from serialization time) and its row's token. */
  commit(
    threadId: string,
    ns: string,
    channel: string,
    version: string,
    ownerId: string,
    pending: PendingSnapshot,
    rowToken?: string,
  ): void {
    this.set(ChannelMemory.key(threadId, ns, channel), version, ownerId, pending.build(), rowToken);
  }

  /**
   * Remembers a value just loaded from the store (decoded from the JSON bytes `data`), before anyone
   * else holds it; `parts` (from decoded-lists.ts) are its elements' shadows when known, else the value
   * is walked (or, for the row this process last stored or loaded, its new elements: `reloaded`).
   */
  remember(
    threadId: string,
    ns: string,
    channel: string,
    version: string,
    ownerId: string,
    value: unknown,
    data: Uint8Array,
    parts?: ListParts,
    rowToken?: string,
  ): void {
    const key = ChannelMemory.key(threadId, ns, channel);
    const known = this.entries.get(key);
    const before = stampDepartures();
    let snapshot: ValueSnapshot | undefined;
    if (parts && isPlainList(value)) snapshot = ValueSnapshot.fromParts(value, parts, data);
    else if (known !== undefined && known.version === version && known.ownerId === ownerId) {
      // The same row this process last stored or loaded: what matches that snapshot keeps its shadow.
      snapshot = known.snapshot.reloaded(value, data);
    } else snapshot = ValueSnapshot.take(value, data);
    // Taken under a redefined toJSON getter: the value may not serialize to the stored bytes (shadow.ts).
    if (stampDepartures() !== before) {
      this.entries.delete(key);
      return;
    }
    this.set(key, version, ownerId, snapshot, rowToken);
  }

  /** Marks the channel's remembered value as also stored under `version` (carried without change). */
  carried(threadId: string, ns: string, channel: string, version: string): void {
    const entry = this.entries.get(ChannelMemory.key(threadId, ns, channel));
    if (entry) entry.version = version;
  }

  forget(threadId: string, ns: string, channel: string): void {
    this.entries.delete(ChannelMemory.key(threadId, ns, channel));
  }

  forgetThread(threadId: string): void {
    this.entries.deletePrefix(`${threadId}\u0000`);
  }

  stats(): ChannelMemoryStats {
    return { entries: this.entries.size, bytes: this.entries.bytes, maxBytes: this.maxBytes, evictions: this.entries.evictions };
  }

  private set(key: string, version: string, ownerId: string, snapshot: ValueSnapshot | undefined, rowToken?: string): void {
    if (snapshot === undefined) this.entries.delete(key);
    else this.entries.set(key, { version, ownerId, snapshot, rowToken }, snapshot.bytes + key.length * 2 + (rowToken?.length ?? 0) * 2);
  }
}
