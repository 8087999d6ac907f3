import { type BaseMessage, isAIMessage, isAIMessageChunk } from "@langchain/core/messages";
import type { Generation } from "@langchain/core/outputs";

/**
 * A cache hit spends no tokens. LangChain's own convention for cached generations
 * (@langchain/core `BaseChatModel._generateCached`, and `BaseLLM`'s for text): an AI message's
 * `usage_metadata` becomes `{ input_tokens: 0, output_tokens: 0, total_tokens: 0 }` and
 * `generationInfo.tokenUsage` becomes `{}`; `response_metadata` (model name, finish reason) is kept.
 * Generations come fresh from every lookup, so they are changed in place.
 */
const ZERO_USAGE = () => ({ input_tokens: 0, output_tokens: 0, total_tokens: 0 });

function isAI(message: unknown): message is BaseMessage & { usage_metadata?: unknown } {
  return message !== null && typeof message === "object" && (isAIMessage(message as BaseMessage) || isAIMessageChunk(message as never));
}

/** A `generate` hit, as LangChain hands out one of its own cache's hits. */
export function asCachedGenerations<G extends Generation>(generations: G[]): G[] {
  for (const generation of generations) {
    const message = (generation as { message?: unknown }).message;
    if (isAI(message)) message.usage_metadata = ZERO_USAGE();
    generation.generationInfo = { ...generation.generationInfo, tokenUsage: {} };
  }
  return generations;
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
