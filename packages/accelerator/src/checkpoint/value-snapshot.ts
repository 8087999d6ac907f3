import { type ShadowSize, type ShadowTokens, appendShadow, matchShadow, shadowBytes } from "./shadow";

/** A message's id and type (`getType()`) when a snapshot was taken. */
export interface MessageKey {
  id: string;
  type: string;
}

function messageKey(x: unknown): MessageKey | undefined {
  const m = x as { id?: unknown; getType?: unknown };
  if (typeof x !== "object" || x === null || typeof m.id !== "string" || typeof m.getType !== "function") return undefined;
  return { id: m.id, type: String((m.getType as () => unknown).call(x)) };
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
  ) {}

  /** A snapshot of `value` as it is now, or undefined when its serialization is not fully visible. */
  static take(value: unknown): ValueSnapshot | undefined {
    const tokens: ShadowTokens = [];
    const size = { tokens: 0, chars: 0 };
    if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) {
      return appendShadow(value, tokens, size) ? new ValueSnapshot(undefined, [], tokens, [], size) : undefined;
    }
    const offsets: number[] = [0];
    const keys: Array<MessageKey | undefined> = [];
    for (let i = 0; i < value.length; i++) {
      if (!appendShadow(value[i], tokens, size)) return undefined;
      offsets.push(tokens.length);
      keys.push(messageKey(value[i]));
    }
    return new ValueSnapshot(value.slice(), keys, tokens, offsets, size);
  }

  get isList(): boolean {
    return this.elements !== undefined;
  }

  get length(): number {
    return this.elements?.length ?? 0;
  }

  /** Bytes this snapshot keeps alive (element references, tokens, strings), an estimate for bounds. */
  get bytes(): number {
    return shadowBytes(this.size) + this.length * 8 + this.offsets.length * 8 + 64;
  }

  /** Whether `value` would serialize exactly as the value this snapshot was taken of. */
  matches(value: unknown): boolean {
    if (!this.isList) return matchShadow(value, this.tokens, 0) === this.tokens.length;
    if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype || value.length !== this.length) return false;
    return this.prefixMatches(value, this.length);
  }

  /** Whether element `i` of the list is unchanged as `element`. */
  elementMatches(i: number, element: unknown): boolean {
    return matchShadow(element, this.tokens, this.offsets[i]) === this.offsets[i + 1];
  }

  /** Whether the first `count` elements of `list` are this list's elements, unchanged. */
  prefixMatches(list: unknown[], count: number): boolean {
    if (!this.isList || list.length < count || count > this.length) return false;
    for (let i = 0; i < count; i++) if (!this.elementMatches(i, list[i])) return false;
    return true;
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
