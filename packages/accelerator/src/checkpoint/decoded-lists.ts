import { ByteLru } from "./byte-lru";
import { JsonPlusDecoder, UPSTREAM } from "./json-plus-decoder";
import { copyParsed } from "./parsed-json";
import { assignmentDefinesOwn } from "./plain-assignment";
import { stampDepartures } from "./shadow";
import { type ListParts, concatListParts, takeListParts } from "./value-snapshot";

/**
 * Per (thread, namespace, channel): the bytes of the list value this saver last decoded, with a
 * private copy of each element's `JSON.parse` result (plain data, never handed out). A chat thread's
 * messages channel grows by a few messages per turn: when the next read's bytes are the remembered
 * bytes (or those bytes with elements appended: `[A,B` + `,C,D]`), only the appended elements are
 * UTF-8 decoded and parsed; every element is then revived by the decoder from a fresh copy of its
 * parse, exactly as `decodeText` revives a fresh parse (json-plus-decoder.ts): the same
 * constructors called with the same arguments in the same order, every class's `lc_aliases` and
 * every getter the constructors read looked up at that time, on every read. So what is handed out is
 * built by the same steps as a fresh decode; only the UTF-8 decoding and `JSON.parse` of unchanged
 * elements are skipped, and those are pure functions of the bytes.
 *
 * Exactness rests on: (1) the JSON grammar: if `[A,B]` is valid, `[A,B,C]` holds A and B then C, and
 * the decoder revives each element of a list independently, so parsing the appended elements alone
 * gives what parsing the whole list gives for them; (2) parsed-json.ts: a copy of a parse is another
 * parse of the same text. The elements' shadows (value-snapshot.ts), which ChannelMemory keeps to
 * prove at the next put that the list only grew, are those of the read that first decoded each
 * element: they describe a fresh decode of the same bytes, and a put compares the live value against
 * them, so a value that differs from them in any way (in-place edits, a constructor that does not
 * build the same object twice) is serialized again. Anything that does not fit (invalid JSON, the
 * decoder leaving the value to upstream) decodes as before; such a list is remembered as refused
 * while it only grows, so that its reads do not try again.
 * One decode per miss, and no more work than without decoded lists: the miss's parse is revived and
 * handed out, and only the bytes and shadows are kept; the private copy is parsed at the second read.
 * Entries are bounded by bytes, least recently used first: the bytes read, the copies as counted by
 * parsed-json.ts, the shadows, and the key.
 */
export interface DecodedListStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  /** Reads served from remembered elements (only appended elements, if any, were parsed). */
  hits: number;
  /** Reads decoded whole (no entry, or bytes that do not extend it). */
  misses: number;
  evictions: number;
}

/**
 * Default byte bound of a saver's decoded lists: 0, off (opt-in: in `benchmarks/decoded-lists.bench.mjs`,
 * beside the native store's assembled values, they changed the CPU of a chat turn at 1,000 messages by
 * between -14% and +14% from run to run, and a thread read once per process pays for what they keep;
 * README "Decoded lists"). A thread of 1,000 chat messages (~700 KB as stored) counts
 * 2.62 MiB after its first read (`node --expose-gc benchmarks/decoded-lists.bench.mjs` prints it) and
 * about 4 MiB once its parse is kept (5.7 bytes per stored byte in decoded-lists-bytes.test.ts's chat case).
 */
export const DEFAULT_DECODED_LIST_BYTES = 0;

/** Bytes counted per shadow token of an entry's parts (see `set`). */
const PART_TOKEN_BYTES = 12;

/** What an entry costs besides its parts: the Entry object, its arrays' headers, the LRU's map slot. */
const ENTRY_BYTES = 256;

interface Entry {
  /** The list holds what the decoder leaves to upstream: reads of it and its extensions decode as before. */
  refused?: boolean;
  decoder: JsonPlusDecoder;
  /** The bytes as read (a Buffer no one else holds: the engine's copy for this read). */
  data: Uint8Array;
  /** How many elements the list has. */
  count: number;
  /**
   * Each element's JSON.parse result, a private copy (parsed-json.ts); undefined until the list is
   * read a second time (a cold read costs what it costs without decoded lists: no copy is made).
   */
  parsed: unknown[] | undefined;
  /** Bytes `parsed` keeps (parsed-json.ts's count). */
  parsedBytes: number;
  /** Whether the text may hold a `__proto__` key (JsonPlusDecoder.mayHoldProtoKeys). */
  protoKeys: boolean;
  /** Each element's shadow and message key, to remember the value without walking it (or undefined). */
  parts: ListParts | undefined;
}

/** A list read: its value (fresh), and its parts for a snapshot when they are known. */
export interface DecodedList {
  value: unknown[];
  parts: ListParts | undefined;
}

/** `load`'s answer when the decoder left the whole list to upstream: run upstream's code, not the decoder again. */
export const LIST_UPSTREAM = "upstream";

const COMMA = 0x2c;
const CLOSE = 0x5d;

function extendsList(data: Uint8Array, old: Uint8Array): boolean {
  const n = old.length;
  if (data.length <= n || n < 3 || old[n - 1] !== CLOSE || data[n - 1] !== COMMA) return false;
  return Buffer.from(data.buffer, data.byteOffset, n - 1).equals(Buffer.from(old.buffer, old.byteOffset, n - 1));
}

function sameBytes(data: Uint8Array, old: Uint8Array): boolean {
  return data.length === old.length && Buffer.from(data.buffer, data.byteOffset, data.length).equals(old);
}

function parseList(text: string): unknown[] | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The list's parts, unless a getter toJSON reads differs from how the process first saw it (see shadow.ts). */
function partsOf(list: unknown[]): ListParts | undefined {
  const before = stampDepartures();
  const parts = takeListParts(list);
  return stampDepartures() === before ? parts : undefined;
}

export class DecodedLists {
  private readonly entries: ByteLru<Entry>;
  // A BOM after the comma is text JSON.parse refuses, as it refuses it in the whole list: keep it.
  private readonly utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
  private hits = 0;
  private misses = 0;

  constructor(readonly maxBytes = DEFAULT_DECODED_LIST_BYTES) {
    this.entries = new ByteLru(maxBytes);
  }

  static key(threadId: string, ns: string, channel: string): string {
    return `${threadId}\u0000${ns}\u0000${channel}`;
  }

  /**
   * The decoder's value of `data` (a JSON list of a channel); undefined when the caller should decode
   * as before, LIST_UPSTREAM when it should run upstream's code (the decoder just declined these bytes).
   * Remembers the list's elements for the next read of the same key.
   */
  load(key: string, decoder: JsonPlusDecoder, data: Uint8Array): DecodedList | typeof LIST_UPSTREAM | undefined {
    if (this.maxBytes === 0 || data.length < 2 || data[0] !== 0x5b) return undefined;
    // Copies are made by assignment: while Object.prototype is not plain, the decoder goes upstream.
    if (!assignmentDefinesOwn()) return undefined;
    const entry = this.entries.get(key);
    if (entry && entry.decoder === decoder) {
      if (entry.refused) {
        // Its remembered part holds what the decoder declines: while the list only grows (or an older
        // checkpoint is read) there is no need to try again.
        const grows = extendsList(data, entry.data);
        if (grows || data.length <= entry.data.length) {
          if (grows) this.set(key, { ...entry, data });
          this.misses++;
          return undefined;
        }
      } else if (sameBytes(data, entry.data)) {
        const base = this.basis(key, entry);
        if (base === undefined) return this.decline(key, entry, data);
        const value = this.revive(decoder, base, [], entry.protoKeys);
        if (value === undefined) return this.decline(key, entry, data);
        this.hits++;
        this.entries.touch(key);
        return { value, parts: entry.parts };
      } else if (entry.count > 0 && extendsList(data, entry.data)) {
        const base = this.basis(key, entry);
        const text = `[${this.utf8.decode(data.subarray(entry.data.length))}`;
        const tail = parseList(text);
        // `[A,B` + `,]` parses as a tail of nothing, but `[A,B,]` is not JSON: an extension has an element.
        if (base === undefined || tail === undefined || tail.length === 0) return this.decline(key, entry, data);
        const protoKeys = entry.protoKeys || JsonPlusDecoder.mayHoldProtoKeys(text);
        const size = { bytes: 0 };
        const kept = copyParsed(tail, size) as unknown[];
        const value = this.revive(decoder, base, tail, protoKeys);
        if (value === undefined) return this.decline(key, entry, data);
        this.hits++;
        const fresh = value.slice(base.length);
        const tailParts = partsOf(fresh);
        const parts = entry.parts && tailParts ? concatListParts(entry.parts, tailParts) : undefined;
        const parsed = base.concat(kept);
        this.set(key, { decoder, data, count: parsed.length, parsed, parsedBytes: entry.parsedBytes + size.bytes, protoKeys, parts });
        return { value, parts };
      } else if (data.length < entry.data.length) {
        // An older checkpoint of the thread (history, a fork): decoded as before, the entry kept.
        this.misses++;
        return undefined;
      }
    }
    this.misses++;
    const text = this.utf8.decode(data);
    const parsed = parseList(text);
    const protoKeys = JsonPlusDecoder.mayHoldProtoKeys(text);
    if (parsed === undefined) {
      this.set(key, { refused: true, decoder, data, count: 0, parsed: undefined, parsedBytes: 0, protoKeys, parts: undefined });
      return undefined;
    }
    const value = decoder.reviveParsed(parsed, protoKeys);
    if (value === UPSTREAM || !Array.isArray(value)) {
      this.set(key, { refused: true, decoder, data, count: 0, parsed: undefined, parsedBytes: 0, protoKeys, parts: undefined });
      return LIST_UPSTREAM;
    }
    const parts = partsOf(value);
    this.set(key, { decoder, data, count: value.length, parsed: undefined, parsedBytes: 0, protoKeys, parts });
    return { value, parts };
  }

  /**
   * The entry's private parse, made at its second read (from its bytes, the ones read then), or
   * undefined when those bytes are no JSON list of `count` elements (they were, at the first read).
   */
  private basis(key: string, entry: Entry): unknown[] | undefined {
    if (entry.parsed) return entry.parsed;
    const parsed = parseList(this.utf8.decode(entry.data));
    if (parsed === undefined || parsed.length !== entry.count) return undefined;
    const size = { bytes: 0 };
    entry.parsed = copyParsed(parsed, size) as unknown[];
    entry.parsedBytes = size.bytes;
    this.set(key, entry);
    return entry.parsed;
  }

  /**
   * A fresh parse of the remembered elements (copies) followed by `tail` (a fresh parse, handed over),
   * revived as one list by the decoder, or undefined when the decoder declines it now.
   */
  private revive(decoder: JsonPlusDecoder, parsed: unknown[], tail: unknown[], protoKeys: boolean): unknown[] | undefined {
    const list: unknown[] = [];
    for (let i = 0; i < parsed.length; i++) list.push(copyParsed(parsed[i]));
    for (let i = 0; i < tail.length; i++) list.push(tail[i]);
    const value = decoder.reviveParsed(list, protoKeys);
    return value === UPSTREAM || !Array.isArray(value) ? undefined : value;
  }

  /** The decoder declines what it revived before (a class changed since): decode as before from now on. */
  private decline(key: string, entry: Entry, data: Uint8Array): undefined {
    this.misses++;
    this.set(key, { ...entry, refused: true, data, count: 0, parsed: undefined, parsedBytes: 0, parts: undefined });
    return undefined;
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
    // The parts: their token and offset slots, the heap numbers among the tokens (12 bytes a token in
    // all), and their strings, which are the first decode's (the private parse, made at the second read,
    // has its own), at a byte a character (chat text is one-byte).
    const p = entry.parts;
    const parts = p ? p.size.tokens * PART_TOKEN_BYTES + p.offsets.length * 8 + p.size.chars : 0;
    this.entries.set(key, entry, ENTRY_BYTES + entry.data.length + entry.parsedBytes + parts + key.length * 2);
  }
}
