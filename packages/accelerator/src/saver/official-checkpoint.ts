import type { Checkpoint, SerializerProtocol } from "@langchain/langgraph-checkpoint";

import { serializeCheckpointHead, serializeValue } from "./serialize";

interface Entry {
  version: unknown;
  value: unknown;
  elements: unknown[] | undefined;
  bytes: Buffer;
}

const EMPTY_VALUES = Buffer.from('"channel_values":{}');

/**
 * Serializes whole checkpoints in the official SqliteSaver layout (every channel value inline) without
 * re-serializing what did not change: a channel whose version and value are the ones serialized last
 * time reuses its bytes, and a list that only grew (same leading elements, by identity) is its previous
 * bytes with the new elements' bytes spliced in. Same assumption as increments: stored elements are
 * not mutated in place.
 */
export class OfficialCheckpointSerializer {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly serde: SerializerProtocol,
    private readonly capacity = 4096,
  ) {}

  /** The checkpoint's bytes, or undefined when a value does not serialize to JSON (use serde whole). */
  async serialize(threadId: string, ns: string, checkpoint: Checkpoint): Promise<[string, Buffer] | undefined> {
    // Every value is serialized before the first await, as it was when put was called.
    const pending = Promise.all(
      Object.entries(checkpoint.channel_values).map(
        async ([channel, value]) => [channel, await this.channelBytes(threadId, ns, channel, checkpoint.channel_versions[channel], value)] as const,
      ),
    );
    pending.catch(() => {}); // awaited below; this only keeps an early failure from being reported as unhandled
    const [kind, head] = await serializeCheckpointHead(this.serde, { ...checkpoint, channel_values: {} }, `checkpoint of thread "${threadId}"`);
    const entries = await pending;
    if (kind !== "json" || entries.some(([, bytes]) => bytes === undefined)) return undefined;
    const whole = injectChannelValues(head, entries as Array<[string, Buffer]>);
    return whole && [kind, whole];
  }

  private async channelBytes(threadId: string, ns: string, channel: string, version: unknown, value: unknown): Promise<Buffer | undefined> {
    const key = `${threadId}\u0000${ns}\u0000${channel}`;
    const what = `channel "${channel}" of thread "${threadId}"`;
    const entry = this.entries.get(key);
    let bytes: Buffer | undefined;
    if (entry && entry.version === version && entry.value === value) {
      bytes = entry.bytes;
    } else if (entry?.elements && Array.isArray(value) && extends_(value, entry.elements)) {
      const appended = value.slice(entry.elements.length);
      const [kind, more] = await serializeValue(this.serde, appended, what);
      if (kind !== "json") return undefined;
      bytes = spliceArrays(entry.bytes, more);
    } else {
      const [kind, full] = await serializeValue(this.serde, value, what);
      if (kind !== "json") return undefined;
      bytes = full;
    }
    this.entries.delete(key);
    this.entries.set(key, { version, value, elements: Array.isArray(value) ? value.slice() : undefined, bytes });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return bytes;
  }

  forgetThread(threadId: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(`${threadId}\u0000`)) this.entries.delete(key);
  }
}

/**
 * A serialized checkpoint whose `channel_values` is `{}`, with the given serialized values put in;
 * undefined if the head has no empty `channel_values`. (Quotes inside JSON strings are escaped, so the
 * first unescaped `"channel_values":{}` is the key itself.)
 */
export function injectChannelValues(head: Buffer, values: Array<[string, Uint8Array]>): Buffer | undefined {
  const at = head.indexOf(EMPTY_VALUES);
  if (at < 0) return undefined;
  const parts: Uint8Array[] = [head.subarray(0, at), Buffer.from('"channel_values":{')];
  values.forEach(([channel, bytes], i) => parts.push(Buffer.from(`${i ? "," : ""}${JSON.stringify(channel)}:`), bytes));
  parts.push(Buffer.from("}"), head.subarray(at + EMPTY_VALUES.length));
  return Buffer.concat(parts);
}

function extends_(value: unknown[], prefix: unknown[]): boolean {
  if (value.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (value[i] !== prefix[i]) return false;
  return true;
}

/** `[a,b]` + `[c]` -> `[a,b,c]`, on serialized JSON arrays. */
function spliceArrays(base: Buffer, more: Buffer): Buffer {
  const moreInner = more.subarray(1, more.length - 1);
  if (moreInner.length === 0) return base;
  const baseInner = base.subarray(1, base.length - 1);
  return Buffer.concat([Buffer.from("["), baseInner, Buffer.from(baseInner.length ? "," : ""), moreInner, Buffer.from("]")]);
}
