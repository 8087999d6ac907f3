/**
 * JavaScript strings are UTF-16 and may hold lone surrogates; Rust strings, SQLite TEXT and PostgreSQL
 * text are UTF-8 and cannot, so napi replaces each lone surrogate with U+FFFD and two different keys
 * ("user-\ud83c", "user-\ud83d") would become one. Keys therefore cross the boundary either encoded
 * (an injective mapping to well-formed strings, for stores only we read) or checked (refused with an
 * error naming the field, for stores the official savers share).
 *
 * Encoding: a string that is well-formed and holds neither U+FFFF nor NUL is unchanged (every key in
 * practice). Otherwise U+FFFF becomes U+FFFF "e", NUL becomes U+FFFF "0", and a lone surrogate becomes
 * U+FFFF "u" and its four hex digits. U+FFFF is always followed by one of these, so decoding is exact.
 */

const ESC = "\uFFFF";
const SURROGATE_OR_ESC = /[\uD800-\uDFFF\uFFFF]/;

function needsEncoding(s: string): boolean {
  return s.includes("\u0000") || SURROGATE_OR_ESC.test(s);
}

function loneSurrogateAt(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return i;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return i;
    }
  }
  return -1;
}

/** `s` as a well-formed string without NUL; distinct strings stay distinct. */
export function encodeKey(s: string): string {
  if (!needsEncoding(s)) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0xffff) out += `${ESC}e`;
    else if (c === 0) out += `${ESC}0`;
    else if (c >= 0xd800 && c <= 0xdbff && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += s[i] + s[i + 1];
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += `${ESC}u${c.toString(16).padStart(4, "0")}`;
    else out += s[i];
  }
  return out;
}

/** The string `encodeKey` was given. */
export function decodeKey(s: string): string {
  if (!s.includes(ESC)) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== ESC) {
      out += s[i];
      continue;
    }
    const tag = s[i + 1];
    if (tag === "e") out += ESC;
    else if (tag === "0") out += "\u0000";
    else if (tag === "u") {
      out += String.fromCharCode(Number.parseInt(s.slice(i + 2, i + 6), 16));
      i += 4;
    } else throw new Error(`stored key ${JSON.stringify(s)} is not an encoded key`);
    i++;
  }
  return out;
}

/**
 * Throws unless `s` can be stored as UTF-8 text as it is: no lone surrogate (and, for PostgreSQL, no
 * NUL). `what` names the field, e.g. `thread_id`.
 */
export function checkStorableKey(s: string, what: string, store: string, allowNul = true): void {
  const at = loneSurrogateAt(s);
  if (at >= 0) {
    throw new Error(
      `${what} ${JSON.stringify(s)} holds a lone surrogate (index ${at}), which ${store} text cannot hold: ` +
        "two different keys would become one. Use well-formed strings (String.prototype.toWellFormed())",
    );
  }
  if (!allowNul && s.includes("\u0000")) {
    throw new Error(`${what} ${JSON.stringify(s)} holds a NUL character, which ${store} text cannot hold`);
  }
}
