/**
 * Remembers, per (thread, namespace, channel), the last array value this process stored and the
 * checkpoint that stored it, so that a list which only grew is stored as its new elements.
 *
 * Relies on one assumption, the one LangGraph's own DeltaChannel makes: elements already stored are
 * not mutated in place. Elements are compared by identity; the array itself is copied, so pushing onto,
 * splicing or reassigning slots of the same array is detected.
 */
export interface AppendPlan {
  baseOwnerId: string;
  appended: unknown[];
}

interface Entry {
  ownerId: string;
  elements: unknown[];
}

export class AppendTracker {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity = 2048) {}

  private static key(threadId: string, ns: string, channel: string): string {
    return `${threadId}\u0000${ns}\u0000${channel}`;
  }

  plan(threadId: string, ns: string, channel: string, value: unknown): AppendPlan | undefined {
    if (!Array.isArray(value)) return undefined;
    const entry = this.entries.get(AppendTracker.key(threadId, ns, channel));
    if (entry === undefined || value.length < entry.elements.length) return undefined;
    const stored = entry.elements;
    for (let i = 0; i < stored.length; i++) {
      if (value[i] !== stored[i]) return undefined;
    }
    return { baseOwnerId: entry.ownerId, appended: value.slice(stored.length) };
  }

  remember(threadId: string, ns: string, channel: string, ownerId: string, value: unknown): void {
    const key = AppendTracker.key(threadId, ns, channel);
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
