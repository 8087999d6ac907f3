/**
 * The order of a checkpoint's channel_values. MemorySaver and SqliteSaver give the channels back in the
 * order they were put (the checkpoint is stored whole); our layout stores each value as a row of its own,
 * so the stored checkpoint keeps the keys of its channel_values, each with 0 for its value (`keyOrder`),
 * and reads put the values back in that order (`inKeyOrder`). Checkpoints stored before kept `{}`: their
 * channels come back in the store's order.
 */
export function keyOrder(values: Record<string, unknown>): Record<string, 0> {
  return Object.fromEntries(Object.keys(values).map((k) => [k, 0]));
}

/** `entries` in the order of `keys` (those it names), then the others in their own order. */
export function inKeyOrder<T>(keys: readonly string[], entries: ReadonlyArray<readonly [string, T]>): Array<[string, T]> {
  if (keys.length === 0) return entries.map(([k, v]) => [k, v]);
  const at = new Map(entries.map(([k], i) => [k, i]));
  const out: Array<[string, T]> = [];
  for (const k of keys) {
    const i = at.get(k);
    if (i === undefined) continue;
    out.push([k, entries[i][1]]);
    at.delete(k);
  }
  for (const i of at.values()) out.push([entries[i][0], entries[i][1]]);
  return out;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const ZERO = 0x30;
const COMMA = 0x2c;
const CLOSE = 0x7d;

/**
 * The keys of the serialized keyOrder object whose first key starts at `from` (just after its `{`), and
 * the index after its `}`; undefined when the bytes there are not such an object (`{}` is one, with no keys).
 */
export function scanKeyOrder(json: Uint8Array, from: number): { keys: string[]; end: number } | undefined {
  const keys: string[] = [];
  let i = from;
  if (json[i] === CLOSE) return { keys, end: i + 1 };
  for (;;) {
    if (json[i] !== QUOTE) return undefined;
    let j = i + 1;
    while (j < json.length && json[j] !== QUOTE) j += json[j] === BACKSLASH ? 2 : 1;
    if (j >= json.length || json[j + 1] !== COLON || json[j + 2] !== ZERO) return undefined;
    keys.push(JSON.parse(Buffer.from(json.buffer, json.byteOffset + i, j + 1 - i).toString("utf8")) as string);
    i = j + 3;
    if (json[i] === CLOSE) return { keys, end: i + 1 };
    if (json[i] !== COMMA) return undefined;
    i++;
  }
}
