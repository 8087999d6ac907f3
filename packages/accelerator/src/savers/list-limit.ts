/**
 * How many tuples `list(config, { limit })` yields, for every value a caller may pass, following the
 * official saver a saver replaces (read from their `list` code, @langchain/langgraph-checkpoint 1.2,
 * -sqlite 1.0, -postgres 1.0):
 * - "memorySaver": MemorySaver counts down with JavaScript's own operators (`limit <= 0` stops,
 *   `limit -= 1` per tuple): NaN, Infinity and non-numeric strings yield everything, null, 0 and
 *   negatives nothing, 2.5 three tuples, "2" two.
 * - "sqliteSaver": SqliteSaver appends `LIMIT parseInt(limit)` when `limit` is truthy: NaN, 0 and null
 *   yield everything, negatives everything (SQLite's negative LIMIT), 2.5 two, 0.5 none; Infinity or a
 *   non-numeric string make its SQL invalid, an error here too.
 * - "postgresSaver": PostgresSaver appends `LIMIT parseInt(limit)` unless it is undefined: 0 yields
 *   nothing, 2.5 two; NaN, Infinity, negatives, null and non-numeric strings fail there, and here.
 * Returns Infinity for "no limit".
 */
export type ListRule = "memorySaver" | "sqliteSaver" | "postgresSaver";

export function listLimit(rule: ListRule, limit: unknown, label: string): number {
  if (limit === undefined) return Infinity;
  const refuse = (why: string) =>
    new Error(`${label}.list: limit ${typeof limit === "string" ? JSON.stringify(limit) : String(limit)} ${why}`);
  if (rule === "memorySaver") {
    // biome-ignore lint/suspicious/noExplicitAny: MemorySaver applies <= and - to whatever it was given
    let left: any = limit;
    if (left <= 0) return 0;
    left -= 1;
    if (Number.isNaN(left) || left === Infinity) return Infinity;
    return 1 + Math.max(0, Math.ceil(left));
  }
  if (rule === "sqliteSaver" && !limit) return Infinity;
  if (rule === "postgresSaver" && limit === null) throw refuse("is not a number (PostgresSaver fails on it too)");
  const n = Number.parseInt(String(limit), 10);
  if (Number.isNaN(n)) throw refuse(`is not an integer (${rule === "sqliteSaver" ? "SqliteSaver" : "PostgresSaver"} fails on it too)`);
  if (n < 0) {
    if (rule === "sqliteSaver") return Infinity;
    throw refuse("is negative (PostgresSaver fails on it too: LIMIT must not be negative)");
  }
  return n;
}
