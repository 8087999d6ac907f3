import { ByteLru } from "./byte-lru";
import { type JsonPlusDecoder, UPSTREAM, sameSources } from "./json-plus-decoder";
import { ValueTemplate } from "./value-template";
import { type ListParts, concatListParts, takeListParts } from "./value-snapshot";

/**
 * Per (thread, namespace, channel): the bytes of the list value this saver last decoded, with a
 * private template of each element (see value-template.ts). A chat thread's messages channel grows by
 * a few messages per turn: when the next read's bytes are the remembered bytes with elements
 * appended (`[A,B` + `,C,D]`), only the appended elements are parsed and revived; every element is
 * handed out as a fresh copy of its template, as a fresh decode would be. Templates are never handed
 * out, so no code can change them.
 *
 * Exactness rests on: (1) the JSON grammar: if `[A,B]` is valid, `[A,B,C]` holds A and B then C, and
 * the decoder revives each element of a list independently (json-plus-decoder.ts), so decoding the
 * appended elements alone gives what decoding the whole list gives for them; (2) the templates (two
 * decodes compared, see ValueTemplate); (3) the decoder building what it built then: the same decoder
 * and the same fingerprint of its classes (prototype chains, lc_aliases getters). Anything that does
 * not fit (the bytes are not an extension, an element without a template, UPSTREAM) decodes as before;
 * a list with an element without a template is remembered as refused while it only grows, so that
 * its reads do not try again.
 * Entries are bounded by bytes (their bytes plus an estimate of their templates), least recently used
 * first.
 */
export interface DecodedListStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  /** Reads served from remembered elements (only appended elements, if any, were decoded). */
  hits: number;
  /** Reads decoded whole (no entry, or bytes that do not extend it). */
  misses: number;
  evictions: number;
}

/** Default byte bound of a saver's decoded lists: 0, off (they are opt-in: see `decodedListBytes`). */
export const DEFAULT_DECODED_LIST_BYTES = 0;

interface Entry {
  /** The list has an element without a template (or goes to upstream): reads of it and its extensions decode as before. */
  refused?: boolean;
  decoder: JsonPlusDecoder;
  fingerprint: unknown[];
  /** The bytes as read (a Buffer no one else holds: the engine's copy for this read). */
  data: Uint8Array;
  templates: ValueTemplate[];
  /** Each element's shadow and message key, to remember the value without walking it (or undefined). */
  parts: ListParts | undefined;
}

/** A list read: its value (fresh), and its parts for a snapshot when they are known. */
export interface DecodedList {
  value: unknown[];
  parts: ListParts | undefined;
}

const COMMA = 0x2c;
const CLOSE = 0x5d;
/**
 * Bytes templates are counted per byte read, besides the bytes themselves and the shadows' estimate.
 * Measured: 1,000 zipf-chat messages (716 KB) keep 4.7 MB of heap (templates and shadows) besides the
 * Buffer; counted as 5.9 MB.
 */
const TEMPLATE_OVERHEAD = 3;

function extendsList(data: Uint8Array, old: Uint8Array): boolean {
  const n = old.length;
  if (data.length <= n || n < 3 || old[n - 1] !== CLOSE || data[n - 1] !== COMMA) return false;
  return Buffer.from(data.buffer, data.byteOffset, n - 1).equals(Buffer.from(old.buffer, old.byteOffset, n - 1));
}

function sameBytes(data: Uint8Array, old: Uint8Array): boolean {
  return data.length === old.length && Buffer.from(data.buffer, data.byteOffset, data.length).equals(old);
}

export class DecodedLists {
  private readonly entries: ByteLru<Entry>;
  private readonly utf8 = new TextDecoder();
  private hits = 0;
  private misses = 0;

  constructor(readonly maxBytes = DEFAULT_DECODED_LIST_BYTES) {
    this.entries = new ByteLru(maxBytes);
  }

  static key(threadId: string, ns: string, channel: string): string {
    return `${threadId}\u0000${ns}\u0000${channel}`;
  }

  /**
   * The decoder's value of `data` (a JSON list of a channel) or undefined when the caller should
   * decode as before. Remembers the list's elements for the next read of the same key.
   */
  load(key: string, decoder: JsonPlusDecoder, data: Uint8Array): DecodedList | undefined {
    if (this.maxBytes === 0 || data.length < 2 || data[0] !== 0x5b) return undefined;
    const entry = this.entries.get(key);
    const fingerprint = decoder.fingerprint();
    if (fingerprint === undefined) return undefined;
    if (entry && entry.decoder === decoder && sameSources(entry.fingerprint, fingerprint)) {
      if (entry.refused) {
        // Its remembered part holds what has no template: while the list only grows (or an older
        // checkpoint is read) there is no need to try again.
        const grows = extendsList(data, entry.data);
        if (grows || data.length <= entry.data.length) {
          if (grows) this.set(key, { ...entry, data });
          this.misses++;
          return undefined;
        }
      } else if (sameBytes(data, entry.data)) {
        this.hits++;
        this.entries.touch(key);
        return { value: entry.templates.map((t) => t.instantiate()), parts: entry.parts };
      } else if (entry.templates.length > 0 && extendsList(data, entry.data)) {
        const tail = this.decodeTwice(decoder, `[${this.utf8.decode(data.subarray(entry.data.length))}`);
        if (tail) {
          this.hits++;
          const value = entry.templates.map((t) => t.instantiate());
          for (const item of tail.value) value.push(item);
          const parts = entry.parts && tail.parts ? concatListParts(entry.parts, tail.parts) : undefined;
          this.set(key, { ...entry, data, templates: entry.templates.concat(tail.templates), parts });
          return { value, parts };
        }
        this.set(key, { ...entry, refused: true, data, templates: [], parts: undefined });
        this.misses++;
        return undefined;
      } else if (data.length < entry.data.length) {
        // An older checkpoint of the thread (history, a fork): decoded as before, the entry kept.
        this.misses++;
        return undefined;
      }
    }
    this.misses++;
    const whole = this.decodeTwice(decoder, this.utf8.decode(data));
    if (!whole) {
      this.set(key, { refused: true, decoder, fingerprint, data, templates: [], parts: undefined });
      return undefined;
    }
    this.set(key, { decoder, fingerprint, data, templates: whole.templates, parts: whole.parts });
    return { value: whole.value, parts: whole.parts };
  }

  /**
   * Decodes a JSON list twice: the first decode is handed out (nobody held it before), the second
   * (with the first) makes each element's template. Undefined when the decoder leaves it to upstream
   * or an element has no template.
   */
  private decodeTwice(
    decoder: JsonPlusDecoder,
    text: string,
  ): { value: unknown[]; templates: ValueTemplate[]; parts: ListParts | undefined } | undefined {
    const a = decoder.decodeText(text);
    if (a === UPSTREAM || !Array.isArray(a)) return undefined;
    const b = decoder.decodeText(text) as unknown[];
    const protos = decoder.instancePrototypes;
    const templates: ValueTemplate[] = [];
    for (let i = 0; i < a.length; i++) {
      const template = ValueTemplate.build(a[i], b[i], protos);
      if (!template) return undefined;
      templates.push(template);
    }
    // Shadows of the fresh decode: every copy of a template has the same (value-snapshot.ts).
    return { value: a, templates, parts: takeListParts(a) };
  }

  forgetThread(threadId: string): void {
    this.entries.deletePrefix(`${threadId}\u0000`);
  }

  stats(): DecodedListStats {
    return {
      entries: this.entries.size,
      bytes: this.entries.bytes,
      maxBytes: this.maxBytes,
      hits: this.hits,
      misses: this.misses,
      evictions: this.entries.evictions,
    };
  }

  private set(key: string, entry: Entry): void {
    this.entries.set(key, entry, entry.data.length * (1 + TEMPLATE_OVERHEAD) + (entry.parts?.bytes ?? 0) + key.length * 2);
  }
}
