import { compareWritesSortKeys, type CheckpointTuple } from "@langchain/langgraph-checkpoint";

/**
 * The form two savers' answers are compared in. It keeps everything a caller can observe through
 * LangGraph's serializer and nothing else:
 * - objects with their own `toJSON` (LangChain messages) become what `toJSON` returns, tagged with
 *   the class name, so a revived AIMessage and a plain object of the same fields differ;
 * - other class instances are tagged with their class name too; plain objects get no tag;
 * - keys are sorted (savers that store JSONB reorder them) and `undefined` properties dropped, as
 *   JSON drops them (`parentConfig: undefined` equals no parentConfig);
 * - numbers go through JSON (NaN and Infinity become null, -0 becomes 0), as every saver stores them;
 * - array order is kept.
 */
export function canonical(value: unknown): unknown {
  const seen = new Set<object>();
  const walk = (v: unknown): unknown => {
    if (v === undefined) return undefined;
    if (typeof v === "number") return Number.isFinite(v) ? (Object.is(v, -0) ? 0 : v) : null;
    if (typeof v === "bigint") return `${v}n`;
    if (v === null || typeof v !== "object") return v;
    if (seen.has(v)) return "<cycle>";
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : walk(x)));
      const proto = Object.getPrototypeOf(v);
      const className = proto === Object.prototype || proto === null ? undefined : (proto.constructor?.name ?? "?");
      const source = typeof (v as { toJSON?: unknown }).toJSON === "function" ? (v as { toJSON(): unknown }).toJSON() : v;
      if (source !== v && (source === null || typeof source !== "object")) return { $class: className, $json: walk(source) };
      const entries = Object.entries(source as object)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, x]) => [k, walk(x)] as const);
      const out: Record<string, unknown> = className ? { $class: className } : {};
      for (const [k, x] of entries) out[k] = x;
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return walk(value);
}

/** A stable JSON text of `canonical(value)`, for equality checks and fingerprints. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value)) ?? "undefined";
}

/** Where two canonical forms first differ, as a path and the two values there (for failure messages). */
export function firstDifference(a: unknown, b: unknown, path = "$"): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a && b && typeof a === "object" && typeof b === "object") {
    if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) {
      return `${path}: length ${a.length} vs ${b.length}: ${short(a)} vs ${short(b)}`;
    }
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path}: ${short(a)} vs ${short(b)}`;
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? "undefined";
  return s.length > 300 ? `${s.slice(0, 300)}...` : s;
}

/**
 * LangGraph's contract order for pending writes (BaseCheckpointSaver: `writesSortKey(taskPath, taskId, idx)`),
 * applied to a reference's list as a stable sort on (taskPath, taskId): the reference already orders
 * each task's writes by idx, and its rows carry no task path, so the path comes from `pathOf`.
 */
export function inWritesSortKeyOrder(writes: CheckpointTuple["pendingWrites"], pathOf: (taskId: string) => string) {
  const indexed = (writes ?? []).map((w, i) => ({ w, i }));
  indexed.sort((a, b) => compareWritesSortKeys([pathOf(a.w[0]), a.w[0], 0], [pathOf(b.w[0]), b.w[0], 0]) || a.i - b.i);
  return indexed.map(({ w }) => w);
}
