import type { Checkpoint, SerializerProtocol } from "@langchain/langgraph-checkpoint";

import { inKeyOrder, scanKeyOrder } from "./channel-order";
import { serializeCheckpointHead, serializeValue } from "./serialize";
import { ValueBytesCache, type ValueBytesCacheStats } from "./value-bytes-cache";

const VALUES_KEY = Buffer.from('"channel_values":{');

/**
 * Serializes whole checkpoints in the official SqliteSaver layout (every channel value inline), each
 * value through a ValueBytesCache so that what did not change is not serialized again.
 */
export class OfficialCheckpointSerializer {
  private readonly values: ValueBytesCache;

  /** `serde`: a function giving the saver's serde as it is now (a saver's `serde` may be replaced). */
  constructor(
    private readonly currentSerde: () => SerializerProtocol,
    maxBytes?: number,
  ) {
    this.values = new ValueBytesCache(currentSerde, maxBytes);
  }

  private get serde(): SerializerProtocol {
    return this.currentSerde();
  }

  stats(): ValueBytesCacheStats {
    return this.values.stats();
  }

  /**
   * The checkpoint's bytes, as `serde.dumpsTyped(checkpoint)` gives them now: its values through the
   * cache, or the whole checkpoint through the serde when the cache is not active for it or a value
   * would not serialize as JSON inline (a Uint8Array channel value, which the serde types as bytes).
   */
  serialize(threadId: string, ns: string, checkpoint: Checkpoint): Promise<[string, Buffer]> {
    const what = `checkpoint of thread "${threadId}"`;
    const values = Object.entries(checkpoint.channel_values);
    if (!this.values.active || values.some(([, v]) => v instanceof Uint8Array)) return serializeValue(this.serde, checkpoint, what);
    return this.spliced(threadId, ns, checkpoint, values);
  }

  private async spliced(threadId: string, ns: string, checkpoint: Checkpoint, values: Array<[string, unknown]>): Promise<[string, Buffer]> {
    // Every value is serialized before the first await, as it was when put was called.
    const pending = Promise.all(
      values.map(async ([channel, value]) => {
        const [kind, bytes] = await this.values.serialize(threadId, ns, channel, checkpoint.channel_versions[channel], value);
        return [channel, bytes, kind] as const;
      }),
    );
    pending.catch(() => {}); // awaited below; this only keeps an early failure from being reported as unhandled
    const what = `checkpoint of thread "${threadId}"`;
    const [kind, head] = await serializeCheckpointHead(this.serde, { ...checkpoint, channel_values: {} }, what);
    const entries = await pending;
    const whole =
      kind === "json" && entries.every(([, , k]) => k === "json")
        ? injectChannelValues(
            head,
            entries.map(([channel, bytes]) => [channel, bytes]),
          )
        : undefined;
    // Not seen with JsonPlusSerializer's own encoding (Uint8Array values go to the serde above).
    return whole ? [kind, whole] : serializeValue(this.serde, checkpoint, what);
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
