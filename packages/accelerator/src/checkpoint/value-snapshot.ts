import { type ShadowSize, type ShadowTokens, addTokenSize, appendShadow, matchShadow, matchShadowAdopting, shadowBytes } from "./shadow";

/** A message's id and type (`getType()`) when a snapshot was taken. */
export interface MessageKey {
  id: string;
  type: string;
}

/**
 * A list whose JSON is its elements' JSON in order: an array of Array.prototype without a toJSON (which
 * JSON.stringify would call instead).
 */
export function isPlainList(value: unknown): value is unknown[] {
  return Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype && (value as { toJSON?: unknown }).toJSON === undefined;
}

function messageKey(x: unknown): MessageKey | undefined {
  const m = x as { id?: unknown; getType?: unknown };
  if (typeof x !== "object" || x === null || typeof m.id !== "string" || typeof m.getType !== "function") return undefined;
  return { id: m.id, type: String((m.getType as () => unknown).call(x)) };
}

/** What `asWas` gives when the value as it was cannot be told from the value now. */
export const UNPROVEN: unique symbol = Symbol("unproven");

const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;

/** Whether JSON list bytes `data` are the list `earlier` with elements appended, or the same list. */
function extendsList(data: Uint8Array, earlier: Uint8Array): boolean {
  const end = earlier.length - 1;
  if (end < 1 || earlier[end] !== CLOSE_BRACKET || data.length < earlier.length) return false;
  const next = data[end];
  if (next !== COMMA && !(next === CLOSE_BRACKET && data.length === earlier.length)) return false;
  return Buffer.compare(data.subarray(0, end), earlier.subarray(0, end)) === 0;
}

/**
 * A list's shadow in parts: each element's tokens (between offsets[i] and offsets[i + 1]) and message
 * key. Kept by decoded-lists.ts for the elements of a list it remembers: a fresh copy of an element has
 * the same shadow as the decode it was copied from, so a list of copies is remembered without walking it.
 * Never changed once made (snapshots copy it).
 */
export interface ListParts {
  readonly tokens: ShadowTokens;
  readonly offsets: number[];
  readonly keys: Array<MessageKey | undefined>;
  readonly size: ShadowSize;
  /** Bytes the parts keep alive (for bounds). */
  readonly bytes: number;
}

/** The parts of `list`'s shadow, or undefined when an element's serialization is not fully visible. */
export function takeListParts(list: unknown[]): ListParts | undefined {
  const tokens: ShadowTokens = [];
  const size = { tokens: 0, chars: 0 };
  const offsets: number[] = [0];
  const keys: Array<MessageKey | undefined> = [];
  for (let i = 0; i < list.length; i++) {
    if (!appendShadow(list[i], tokens, size)) return undefined;
    offsets.push(tokens.length);
    keys.push(messageKey(list[i]));
  }
  return { tokens, offsets, keys, size, bytes: shadowBytes(size) + offsets.length * 8 };
}

/** The parts of `a` followed by those of `b` (new arrays; neither is changed). */
export function concatListParts(a: ListParts, b: ListParts): ListParts {
  const tokens = a.tokens.concat(b.tokens);
  const shift = a.tokens.length;
  const offsets = a.offsets.slice();
  for (let i = 1; i < b.offsets.length; i++) offsets.push(b.offsets[i] + shift);
  const size = { tokens: a.size.tokens + b.size.tokens, chars: a.size.chars + b.size.chars };
  return { tokens, offsets, keys: a.keys.concat(b.keys), size, bytes: shadowBytes(size) + offsets.length * 8 };
}

/**
 * What a channel value was when it was serialized (or loaded): its shadow, and for a list each
 * element's shadow apart, so that "the list only grew" and "message i is unchanged" can be proven
 * against the live value later, whatever node code did to it in place since.
 */
export class ValueSnapshot {
  private constructor(
    /** For a list: the elements as they were (identity is a hint only; the shadows decide). */
    readonly elements: unknown[] | undefined,
    /** For a list: each message element's id and type as they were (undefined for other elements). */
    readonly messageKeys: Array<MessageKey | undefined>,
    private readonly tokens: ShadowTokens,
    /** For a list: offsets[i] is where element i's tokens start; offsets[length] is the end. */
    private readonly offsets: number[],
    private readonly size: ShadowSize,
    /**
     * For a list: how many leading elements have the tokens of a decode of the stored row (taken of a
     * freshly loaded value, or proven against one), not of live objects a put was given.
     */
    private readonly decodedCount = 0,
    /** The JSON bytes those elements were decoded from (the whole list as read then). */
    private readonly decodedFrom?: Uint8Array,
  ) {}

  /**
   * Elements below this index get the primitives of the value their next match walks (equal to the
   * tokens; see `reloaded`): later matches against the same live value then compare strings by pointer.
   */
  private adoptBelow = 0;

  /** A snapshot of `value` as it is now, or undefined when its serialization is not fully visible. */
  static take(value: unknown, decodedFrom?: Uint8Array): ValueSnapshot | undefined {
    const tokens: ShadowTokens = [];
    const size = { tokens: 0, chars: 0 };
    if (!isPlainList(value)) {
      return appendShadow(value, tokens, size) ? new ValueSnapshot(undefined, [], tokens, [], size) : undefined;
    }
    const offsets: number[] = [0];
    const keys: Array<MessageKey | undefined> = [];
    for (let i = 0; i < value.length; i++) {
      if (!appendShadow(value[i], tokens, size)) return undefined;
      offsets.push(tokens.length);
      keys.push(messageKey(value[i]));
    }
    return new ValueSnapshot(value.slice(), keys, tokens, offsets, size, decodedFrom ? value.length : 0, decodedFrom);
  }

  /**
   * The snapshot `take(list)` would give, from the parts of a list whose elements have those shadows
   * now (fresh copies of the elements the parts were taken of, not yet handed to anyone).
   */
  static fromParts(list: unknown[], parts: ListParts, decodedFrom?: Uint8Array): ValueSnapshot {
    if (!isPlainList(list) || list.length !== parts.keys.length) throw new Error("ValueSnapshot.fromParts: parts of another list");
    const decoded = decodedFrom ? list.length : 0;
    return new ValueSnapshot(
      list.slice(),
      parts.keys.slice(),
      parts.tokens.slice(),
      parts.offsets.slice(),
      { ...parts.size },
      decoded,
      decodedFrom,
    );
  }

  /**
   * What `take(value)` gives, for a value just loaded from the row this snapshot describes (held by no
   * one yet): the elements of a list that match their old shadows keep those tokens (a match proves
   * they serialize as the old elements did); the others, and a value that is no list, are walked anew.
   * A chat thread's history then costs a match per element, not a new walk; only the messages the
   * last turn added (stored from live objects, which a fresh decode need not rebuild field for field)
   * are taken again.
   */
  retaken(value: unknown, decodedFrom?: Uint8Array): ValueSnapshot | undefined {
    if (!this.isList || !isPlainList(value)) return ValueSnapshot.take(value, decodedFrom);
    const tokens: ShadowTokens = [];
    const size = { tokens: 0, chars: 0 };
    const offsets: number[] = [0];
    const keys: Array<MessageKey | undefined> = [];
    if (!this.retakeElements(value, 0, tokens, size, offsets, keys)) return undefined;
    return new ValueSnapshot(value.slice(), keys, tokens, offsets, size, decodedFrom ? value.length : 0, decodedFrom);
  }

  /**
   * Appends to the parts the shadow of each element of `list` from `from` on: an element that matches
   * its old shadow copies the old tokens with the element's primitives (its strings, which the next
   * puts' matches then compare by identity); any other is walked anew. False when one is not visible.
   */
  private retakeElements(
    list: unknown[],
    from: number,
    tokens: ShadowTokens,
    size: ShadowSize,
    offsets: number[],
    keys: Array<MessageKey | undefined>,
  ): boolean {
    for (let i = from; i < list.length; i++) {
      const mark = tokens.length;
      if (i < this.length && matchShadow(list[i], this.tokens, this.offsets[i], tokens) === this.offsets[i + 1]) {
        addTokenSize(this.tokens, this.offsets[i], this.offsets[i + 1], size);
      } else {
        tokens.length = mark;
        if (!appendShadow(list[i], tokens, size)) return false;
      }
      offsets.push(tokens.length);
      keys.push(messageKey(list[i]));
    }
    return true;
  }

  /**
   * What `retaken(value, data)` proves, for a value just decoded from `data` (JSON bytes read from the
   * row this snapshot describes; held by no one yet), without walking it whole when `data` begins with
   * the very elements an earlier decode gave these tokens for (`decodedFrom`, the list as read then,
   * less its `]`): those elements are decoded from the same bytes, so their tokens are kept unproven,
   * and only the elements stored from live objects since are retaken. A row rewritten meanwhile (another
   * connection, a restore under the same checkpoint ids) fails the byte comparison and is retaken. A
   * kept element that decodes otherwise than before (a constructor changed since) only fails its next
   * match: every use of a snapshot is a match against the live value, so it is stored again. The first
   * match then adopts the new decode's strings, so the puts after it compare them by pointer, as after
   * `retaken`.
   */
  reloaded(value: unknown, data: Uint8Array): ValueSnapshot | undefined {
    const known = this.decodedCount;
    if (
      !this.isList ||
      !isPlainList(value) ||
      value.length !== this.length ||
      known === 0 ||
      this.decodedFrom === undefined ||
      !extendsList(data, this.decodedFrom)
    )
      return this.retaken(value, data);
    const start = this.offsets[known];
    const tail = { tokens: 0, chars: 0 };
    addTokenSize(this.tokens, start, this.tokens.length, tail);
    const tokens = this.tokens.slice(0, start);
    const size = { tokens: this.size.tokens - tail.tokens, chars: this.size.chars - tail.chars };
    const offsets = this.offsets.slice(0, known + 1);
    const keys = this.messageKeys.slice(0, known);
    if (!this.retakeElements(value, known, tokens, size, offsets, keys)) return undefined;
    const snapshot = new ValueSnapshot(value.slice(), keys, tokens, offsets, size, value.length, data);
    snapshot.adoptBelow = known;
    return snapshot;
  }

  /**
   * The next whole-list match (`matches`, `prefixMatches`, `matchingPrefix`) adopts the value's
   * primitives, as the first match after `reloaded` does: for a list that may have been read and
   * decoded anew since this snapshot was taken.
   */
  adoptOnNextMatch(): void {
    if (this.isList) this.adoptBelow = this.length;
  }

  get isList(): boolean {
    return this.elements !== undefined;
  }

  get length(): number {
    return this.elements?.length ?? 0;
  }

  /** Bytes this snapshot keeps alive (element references, tokens, strings), an estimate for bounds. */
  get bytes(): number {
    return shadowBytes(this.size) + this.length * 8 + this.offsets.length * 8 + (this.decodedFrom?.length ?? 0) + 64;
  }

  /** Whether `value` would serialize exactly as the value this snapshot was taken of. */
  matches(value: unknown): boolean {
    if (!this.isList) return matchShadow(value, this.tokens, 0) === this.tokens.length;
    if (!isPlainList(value) || value.length !== this.length) return false;
    return this.prefixMatches(value, this.length);
  }

  /**
   * The value this snapshot was taken of, from `value` as it is now: `value` itself while it matches; a
   * list that only had elements pushed since, its first `length` elements (a new array of the same
   * element objects, which match their shadows); else UNPROVEN. `length`: how long the list was when
   * the caller relied on this snapshot (a snapshot may be extended in place since).
   */
  asWas(value: unknown, length = this.length): unknown {
    if (!this.isList) return this.matches(value) ? value : UNPROVEN;
    if (!isPlainList(value) || value.length < length || !this.prefixMatches(value, length)) return UNPROVEN;
    return value.length === length ? value : value.slice(0, length);
  }

  /** Whether element `i` of the list is unchanged as `element`. */
  elementMatches(i: number, element: unknown): boolean {
    const match = i < this.adoptBelow ? matchShadowAdopting : matchShadow;
    return match(element, this.tokens, this.offsets[i]) === this.offsets[i + 1];
  }

  /** Whether the first `count` elements of `list` are this list's elements, unchanged. */
  prefixMatches(list: unknown[], count: number): boolean {
    if (!this.isList || !isPlainList(list) || list.length < count || count > this.length) return false;
    try {
      for (let i = 0; i < count; i++) if (!this.elementMatches(i, list[i])) return false;
      return true;
    } finally {
      this.adoptBelow = 0;
    }
  }

  /** How many leading elements of `list` are this list's elements, unchanged. */
  matchingPrefix(list: unknown[]): number {
    if (!this.isList || !isPlainList(list)) return 0;
    const n = Math.min(list.length, this.length);
    let i = 0;
    while (i < n && this.elementMatches(i, list[i])) i++;
    this.adoptBelow = 0;
    return i;
  }

  /**
   * This list followed by the elements of `tail` (a snapshot of the appended elements, taken when they
   * were serialized). Extends in place when this snapshot is still `expectedLength` long, else copies.
   */
  extendedWith(tail: ValueSnapshot, expectedLength: number): ValueSnapshot {
    const base = this.length === expectedLength ? this : this.truncated(expectedLength);
    const shift = base.tokens.length;
    for (const t of tail.tokens) base.tokens.push(t);
    for (let i = 1; i < tail.offsets.length; i++) base.offsets.push(tail.offsets[i] + shift);
    for (const e of tail.elements ?? []) base.elements?.push(e);
    for (const k of tail.messageKeys) base.messageKeys.push(k);
    base.size.tokens += tail.size.tokens;
    base.size.chars += tail.size.chars;
    return base;
  }

  private truncated(length: number): ValueSnapshot {
    const end = this.offsets[length];
    const tokens = this.tokens.slice(0, end);
    const size = { tokens: tokens.length, chars: 0 };
    for (const t of tokens) if (typeof t === "string") size.chars += t.length;
    return new ValueSnapshot(
      this.elements?.slice(0, length),
      this.messageKeys.slice(0, length),
      tokens,
      this.offsets.slice(0, length + 1),
      size,
    );
  }
}
