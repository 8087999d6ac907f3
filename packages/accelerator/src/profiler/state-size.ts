const sizes = new WeakMap<object, number>();
const SAMPLE = 8;
/**
 * Estimates of LangChain messages by id, with the content length and tool-call count they were made
 * for, for the copies a saver gives back: a thread's messages are new objects after each getTuple
 * (deserialized), with the ids they had. Bounded: cleared when it reaches MAX_BY_ID entries.
 */
interface IdSize {
  length: number;
  toolCalls: number;
  bytes: number;
}
const byId = new Map<string, IdSize>();
const MAX_BY_ID = 20_000;

function shapeOf(kwargs: Record<string, unknown>): { id?: string; length: number; toolCalls: number } {
  const id = typeof kwargs.id === "string" && kwargs.id !== "" ? kwargs.id : undefined;
  const content = kwargs.content;
  const length = typeof content === "string" ? content.length : Array.isArray(content) ? -content.length : -1e9;
  return { id, length, toolCalls: Array.isArray(kwargs.tool_calls) ? kwargs.tool_calls.length : -1 };
}

/**
 * Estimated size in bytes of a value's JSON text, without serializing it: string lengths (UTF-16 code
 * units, so ASCII-exact), 8 per number, keys plus punctuation. Objects with `toJSON` that are LangChain
 * messages (`lc_kwargs`) are measured through their kwargs. Stops after `budget` visited values (then
 * the figure is a lower bound), so one call is bounded. Arrays longer than 16 items are estimated
 * from 8 evenly spaced items, scaled to their length. The estimate of each non-array object is
 * remembered (weakly): a thread's messages are the same objects from one checkpoint to the next, so a
 * growing messages channel costs one lookup per old message; so is that of a message by its id, content
 * length and tool-call count, for the new copies of the same messages a saver's getTuple returns. A
 * figure for trends, not for billing.
 */
export function estimateJsonBytes(value: unknown, budget = 50_000): number {
  let visited = 0;
  // Objects (messages) are shared between a thread's checkpoints: their estimate is kept per object.
  const seen = new Set<object>();
  const walk = (v: unknown): number => {
    if (++visited > budget) return 0;
    switch (typeof v) {
      case "string":
        return v.length + 2;
      case "number":
        return 8;
      case "boolean":
        return 5;
      case "bigint":
        return 12;
      case "undefined":
        return 30;
      case "object": {
        if (v === null) return 4;
        if (seen.has(v)) return 0;
        seen.add(v);
        if (ArrayBuffer.isView(v)) return (v as ArrayBufferView).byteLength;
        if (Array.isArray(v)) {
          // Long arrays (a thread's messages): SAMPLE evenly spaced items, scaled to the length.
          if (v.length > SAMPLE * 2) {
            let sampled = 0;
            for (let i = 0; i < SAMPLE; i++) sampled += walk(v[Math.floor(((i + 0.5) * v.length) / SAMPLE)]) + 1;
            return 2 + Math.round((sampled * v.length) / SAMPLE);
          }
          let n = 2;
          for (const item of v) n += walk(item) + 1;
          return n;
        }
        const known = sizes.get(v);
        if (known !== undefined) return known;
        const lc = (v as { lc_kwargs?: unknown; lc_id?: unknown }).lc_kwargs;
        const shape = lc && typeof lc === "object" ? shapeOf(lc as Record<string, unknown>) : undefined;
        if (shape?.id !== undefined) {
          const same = byId.get(shape.id);
          if (same !== undefined && same.length === shape.length && same.toolCalls === shape.toolCalls) {
            sizes.set(v, same.bytes);
            return same.bytes;
          }
        }
        const target = lc && typeof lc === "object" ? lc : v;
        let n = lc ? 60 : 2;
        for (const key in target as Record<string, unknown>) {
          const item = (target as Record<string, unknown>)[key];
          if (item === undefined || typeof item === "function") continue;
          n += key.length + 4 + walk(item);
        }
        if (visited <= budget) {
          sizes.set(v, n);
          if (shape?.id !== undefined) {
            if (byId.size >= MAX_BY_ID) byId.clear();
            byId.set(shape.id, { length: shape.length, toolCalls: shape.toolCalls, bytes: n });
          }
        }
        return n;
      }
      default:
        return 0;
    }
  };
  return walk(value);
}
