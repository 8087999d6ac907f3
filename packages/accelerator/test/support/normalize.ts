const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{32}\b/gi;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * Makes two runs of the same graph comparable: every uuid and 32-hex id (checkpoint, task, message and interrupt ids) becomes
 * `<id-N>` in order of first appearance, and timestamps become `<time>`. Two runs that behave alike
 * produce the same ids in the same order (object keys are visited sorted), so the placeholders line up.
 */
export function normalize(value: unknown): unknown {
  const ids = new Map<string, string>();
  const rename = (s: string) =>
    s.replace(UUID, (id) => {
      if (!ids.has(id)) ids.set(id, `<id-${ids.size}>`);
      return ids.get(id) as string;
    });
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return ISO_TIME.test(v) ? "<time>" : rename(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const plain = typeof (v as { toJSON?: unknown }).toJSON === "function" ? (v as { toJSON(): unknown }).toJSON() : v;
      if (plain !== v) return walk(plain);
      // Keys in sorted order, so that ids are numbered the same however a saver orders its fields.
      const entries = Object.entries(v as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return Object.fromEntries(entries.map(([k, x]) => [rename(k), walk(x)]));
    }
    return v;
  };
  return walk(JSON.parse(JSON.stringify(value ?? null)));
}
