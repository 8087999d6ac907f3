import type { Checkpoint, SerializerProtocol } from "@langchain/langgraph-checkpoint";

import { inKeyOrder, scanKeyOrder } from "./channel-order";
import { serializeCheckpointHead } from "./serialize";
import { ValueBytesCache, type ValueBytesCacheStats } from "./value-bytes-cache";

const VALUES_KEY = Buffer.from('"channel_values":{');

/**
 * Serializes whole checkpoints in the official SqliteSaver layout (every channel value inline), each
 * value through a ValueBytesCache so that what did not change is not serialized again.
 */
export class OfficialCheckpointSerializer {
  private readonly values: ValueBytesCache;

  constructor(
    private readonly serde: SerializerProtocol,
    maxBytes?: number,
  ) {
    this.values = new ValueBytesCache(serde, maxBytes);
  }

  stats(): ValueBytesCacheStats {
    return this.values.stats();
  }

  /** The checkpoint's bytes, or undefined when a value does not serialize to JSON (use serde whole). */
  async serialize(threadId: string, ns: string, checkpoint: Checkpoint): Promise<[string, Buffer] | undefined> {
    // Every value is serialized before the first await, as it was when put was called.
    const pending = Promise.all(
      Object.entries(checkpoint.channel_values).map(
        async ([channel, value]) =>
          [channel, await this.values.bytes(threadId, ns, channel, checkpoint.channel_versions[channel], value)] as const,
      ),
    );
    pending.catch(() => {}); // awaited below; this only keeps an early failure from being reported as unhandled
    const [kind, head] = await serializeCheckpointHead(
      this.serde,
      { ...checkpoint, channel_values: {} },
      `checkpoint of thread "${threadId}"`,
    );
    const entries = await pending;
    if (kind !== "json" || entries.some(([, bytes]) => bytes === undefined)) return undefined;
    const whole = injectChannelValues(head, entries as Array<[string, Buffer]>);
    return whole && [kind, whole];
  }

  forgetThread(threadId: string): void {
    this.values.forgetThread(threadId);
  }
}

/**
 * A serialized checkpoint whose `channel_values` is `{}` or the keys of keyOrder (channel-order.ts), with
 * the given serialized values put in, in the order of those keys; undefined if the head has neither.
 * (Quotes inside JSON strings are escaped, so the first unescaped `"channel_values":{` is the key itself.)
 */
export function injectChannelValues(head: Buffer, values: Array<[string, Uint8Array]>): Buffer | undefined {
  const at = head.indexOf(VALUES_KEY);
  if (at < 0) return undefined;
  const order = scanKeyOrder(head, at + VALUES_KEY.length);
  if (!order) return undefined;
  const parts: Uint8Array[] = [head.subarray(0, at), VALUES_KEY];
  inKeyOrder(order.keys, values).forEach(([channel, bytes], i) => {
    parts.push(Buffer.from(`${i ? "," : ""}${JSON.stringify(channel)}:`), bytes);
  });
  parts.push(Buffer.from("}"), head.subarray(order.end));
  return Buffer.concat(parts);
}
