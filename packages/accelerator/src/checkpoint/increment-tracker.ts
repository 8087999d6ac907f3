import { RemoveMessage } from "@langchain/core/messages";

/**
 * Remembers, per (thread, namespace, channel), the last list this process stored or loaded and the
 * checkpoint that stored it, and plans how to store the channel's next value as an increment of it:
 * - "append": the list only grew; store the new elements;
 * - "merge": a list of messages changed the way LangGraph's messages reducer changes it (messages
 *   replaced in place by id, removed, appended); store that update (replacements, RemoveMessages and
 *   new messages), which the Rust reducer replays on read.
 * Elements are compared by identity and assumed not mutated in place once stored (the assumption
 * LangGraph's own DeltaChannel makes); the list itself is copied, so changes to the array are seen.
 */
export interface IncrementPlan {
  increment: "append" | "merge";
  baseOwnerId: string;
  elements: unknown[];
}

interface Entry {
  ownerId: string;
  elements: unknown[];
}

interface MessageLike {
  id: string;
  getType(): string;
}

function isMessage(x: unknown): x is MessageLike {
  return (
    typeof x === "object" && x !== null && typeof (x as MessageLike).id === "string" && typeof (x as MessageLike).getType === "function"
  );
}

/** The reducer update that turns `stored` into `value`, if one is much smaller than `value`. */
function mergeUpdate(stored: unknown[], value: unknown[]): unknown[] | undefined {
  if (!stored.every(isMessage) || !value.every(isMessage)) return undefined;
  const oldIndex = new Map(stored.map((m, i) => [m.id, i]));
  if (oldIndex.size !== stored.length) return undefined;
  const seen = new Set<string>();
  const changed: unknown[] = [];
  let lastOld = -1;
  let appending = false;
  for (const m of value) {
    if (seen.has(m.id)) return undefined;
    seen.add(m.id);
    const i = oldIndex.get(m.id);
    if (i === undefined) {
      appending = true;
      changed.push(m);
    } else {
      if (appending || i < lastOld) return undefined;
      lastOld = i;
      if (stored[i] !== m) changed.push(m);
    }
  }
  const removals = stored.filter((m) => !seen.has(m.id)).map((m) => new RemoveMessage({ id: m.id }));
  const update = [...removals, ...changed];
  return update.length * 2 <= value.length ? update : undefined;
}

export class IncrementTracker {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity = 2048) {}

  private static key(threadId: string, ns: string, channel: string): string {
    return `${threadId}\u0000${ns}\u0000${channel}`;
  }

  plan(threadId: string, ns: string, channel: string, value: unknown): IncrementPlan | undefined {
    if (!Array.isArray(value)) return undefined;
    const entry = this.entries.get(IncrementTracker.key(threadId, ns, channel));
    if (entry === undefined) return undefined;
    const stored = entry.elements;
    let grew = value.length >= stored.length;
    for (let i = 0; grew && i < stored.length; i++) grew = value[i] === stored[i];
    if (grew) return { increment: "append", baseOwnerId: entry.ownerId, elements: value.slice(stored.length) };
    const update = mergeUpdate(stored, value);
    return update && { increment: "merge", baseOwnerId: entry.ownerId, elements: update };
  }

  remember(threadId: string, ns: string, channel: string, ownerId: string, value: unknown): void {
    const key = IncrementTracker.key(threadId, ns, channel);
    this.entries.delete(key);
    if (!Array.isArray(value)) return;
    this.entries.set(key, { ownerId, elements: value.slice() });
    if (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  forgetThread(threadId: string): void {
    const prefix = `${threadId}\u0000`;
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(prefix)) this.entries.delete(key);
    }
  }
}
