import { type BaseMessage, isAIMessage, isAIMessageChunk } from "@langchain/core/messages";
import type { ChatResult, Generation } from "@langchain/core/outputs";

/**
 * A withLLMCache hit as LangChain hands out a hit of its own cache (@langchain/core 1.4
 * `BaseChatModel._generateCached`), so that the hit equals that hit field for field:
 * - its message is the miss's message as LangChain stored it: after `_generateUncached` gave it the
 *   run's id (`run-<id>`) and merged generationInfo and (for a single generation) llmOutput into its
 *   `response_metadata`;
 * - it spends no tokens, as LangChain says of cached generations: an AI message's `usage_metadata`
 *   is all zero and `generationInfo.tokenUsage` is `{}`; nothing else is added (no `cached` flag).
 * Generations come fresh from every lookup, so they are changed in place.
 */
const ZERO_USAGE = () => ({ input_tokens: 0, output_tokens: 0, total_tokens: 0 });

function isAI(message: unknown): message is BaseMessage & { usage_metadata?: unknown } {
  return message !== null && typeof message === "object" && (isAIMessage(message as BaseMessage) || isAIMessageChunk(message as never));
}

/** A copy of `o` with the same prototype and own properties (shallow). */
function copy<T extends object>(o: T): T {
  return Object.create(Object.getPrototypeOf(o), Object.getOwnPropertyDescriptors(o));
}

/**
 * What LangChain's own cache would store for a `_generate` result: copies (the result itself goes on
 * to LangChain, which changes it in the same way) whose messages have the id and response metadata
 * that `_generateUncached` gives them once `_generate` returns.
 */
export function asLangChainStores(result: ChatResult, runId: string | undefined): Generation[] {
  const single = result.generations.length === 1;
  return result.generations.map((g) => {
    const generation = copy(g);
    const original = g.message as BaseMessage | undefined;
    if (original === undefined || original === null || typeof original !== "object") return generation;
    const message = copy(original) as BaseMessage & { _updateId?: (id: string) => void };
    if (message.lc_kwargs !== null && typeof message.lc_kwargs === "object") message.lc_kwargs = { ...message.lc_kwargs };
    if (message.id == null && runId != null) {
      if (typeof message._updateId === "function") message._updateId(`run-${runId}`);
      else message.id = `run-${runId}`;
    }
    message.response_metadata = { ...g.generationInfo, ...message.response_metadata };
    if (single) message.response_metadata = { ...result.llmOutput, ...message.response_metadata };
    generation.message = message as never;
    return generation;
  });
}

/**
 * A `generate` hit. LangChain merges each generation's generationInfo into its message's
 * `response_metadata` after `_generate` returns, which its own cache hits never go through: the
 * `tokenUsage: {}` put into generationInfo here would appear in `response_metadata`. The message's
 * `response_metadata` is therefore an accessor until that merge assigns it once: the merged value
 * loses that very `tokenUsage` object (and is the stored object itself when it adds nothing else),
 * after which it is a plain field again.
 */
export function asCachedGenerations<G extends Generation>(generations: G[]): G[] {
  for (const generation of generations) {
    const message = (generation as { message?: unknown }).message;
    if (isAI(message)) message.usage_metadata = ZERO_USAGE();
    const tokenUsage = {};
    generation.generationInfo = { ...generation.generationInfo, tokenUsage };
    if (message !== null && typeof message === "object")
      keepMergeOut(message as { response_metadata?: Record<string, unknown> }, tokenUsage);
  }
  return generations;
}

function keepMergeOut(message: { response_metadata?: Record<string, unknown> }, tokenUsage: object): void {
  const stored = message.response_metadata;
  if (stored === null || typeof stored !== "object" || Object.hasOwn(stored, "tokenUsage")) return;
  const settle = (value: unknown) =>
    Object.defineProperty(message, "response_metadata", { value, writable: true, enumerable: true, configurable: true });
  Object.defineProperty(message, "response_metadata", {
    get: () => stored,
    set(merged: Record<string, unknown>) {
      if (merged === null || typeof merged !== "object" || merged.tokenUsage !== tokenUsage) return settle(merged);
      const rest = Object.entries(merged).filter(([k]) => k !== "tokenUsage");
      const same =
        rest.length === Object.keys(stored).length && rest.every(([k, v]) => Object.hasOwn(stored, k) && Object.is(stored[k], v));
      settle(same ? stored : Object.fromEntries(rest));
    },
    enumerable: true,
    configurable: true,
  });
}

/**
 * A replayed stream: chunks that reported usage report zero (so a sum over chunks, or over the
 * concatenated message, is 0); chunks without it stay without (LangChain's cache never serves streams).
 */
export function asCachedChunks<G extends Generation>(chunks: G[]): G[] {
  for (const chunk of chunks) {
    const message = (chunk as { message?: unknown }).message;
    if (isAI(message) && message.usage_metadata !== undefined) message.usage_metadata = ZERO_USAGE();
    if (chunk.generationInfo?.tokenUsage !== undefined) chunk.generationInfo = { ...chunk.generationInfo, tokenUsage: {} };
  }
  return chunks;
}
