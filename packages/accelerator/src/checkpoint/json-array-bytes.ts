const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/**
 * Where each element of the serialized JSON array `bytes` ends: the index of the `,` or `]` after it.
 * Undefined unless `bytes` is one array of `count` elements, written without whitespace around its
 * commas and brackets (as JSON.stringify writes it). UTF-8 continuation bytes are never ASCII, so a
 * byte-wise scan is exact.
 */
export function arrayElementEnds(bytes: Uint8Array, count: number): number[] | undefined {
  const last = bytes.length - 1;
  if (last < 1 || bytes[0] !== OPEN_ARRAY || bytes[last] !== CLOSE_ARRAY) return undefined;
  if (last === 1) return count === 0 ? [] : undefined;
  const ends: number[] = [];
  let depth = 0;
  let inString = false;
  for (let i = 1; i < last; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) depth++;
    else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
    else if (c === COMMA && depth === 0) ends.push(i);
  }
  ends.push(last);
  return ends.length === count && depth === 0 && !inString ? ends : undefined;
}

/**
 * The first `kept` elements of the serialized array `base` (whose element ends are `baseEnds`) followed
 * by the elements of the serialized array `more`: `[a,b,c]`, 2, `[d]` -> `[a,b,d]`; with the new
 * array's element ends. `kept` is at least 1.
 */
export function spliceElements(
  base: Buffer,
  baseEnds: readonly number[],
  kept: number,
  more: Buffer,
  moreEnds: readonly number[],
): { bytes: Buffer; ends: number[] } {
  const prefixEnd = baseEnds[kept - 1];
  const ends = baseEnds.slice(0, kept);
  if (moreEnds.length === 0) {
    const bytes = prefixEnd === base.length - 1 ? base : Buffer.concat([base.subarray(0, prefixEnd), Buffer.from("]")]);
    return { bytes, ends };
  }
  for (const p of moreEnds) ends.push(prefixEnd + p);
  return { bytes: Buffer.concat([base.subarray(0, prefixEnd), Buffer.from(","), more.subarray(1)]), ends };
}
