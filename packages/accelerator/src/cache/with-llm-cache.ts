import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { ChatGenerationChunk, ChatResult } from "@langchain/core/outputs";

import { modelCallsOf, noteCacheLookup } from "../model-notes";
import { asCachedChunks, asCachedGenerations, asLangChainStores } from "./cache-hit";
import { keyableOptions, promptKey } from "./prompt-key";
import { RustLLMCache, type RustLLMCacheOptions } from "./rust-llm-cache";

type Options = Record<string, unknown>;

/** Where withLLMCache keeps the model's own calls, so that a wrapper applied after it (withResilience)
 * can go inside the cache: a hit then never reaches that wrapper. */
export const CACHE_INNER = Symbol.for("fast-langgraph.llmCache.inner");

export interface CacheInner {
  generate: CacheableModel["_generate"];
  stream?: NonNullable<CacheableModel["_streamResponseChunks"]>;
}

export interface CacheableModel {
  _generate(messages: BaseMessage[], options: Options, runManager?: CallbackManagerForLLMRun): Promise<ChatResult>;
  _streamResponseChunks?(
    messages: BaseMessage[],
    options: Options,
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk>;
  _getSerializedCacheKeyParametersForCall(options: Options): string;
}

/** Everything that changes the answer: every field of every message (prompt-key.ts), and the model's
 * parameters for this call (its settings, bound tools by name, description and schema, tool choice,
 * structured-output schema, stop words...). */
function cacheKey(model: CacheableModel, messages: BaseMessage[], options: Options): [string, string] {
  const {
    signal: _signal,
    callbacks: _callbacks,
    runName: _runName,
    runId: _runId,
    metadata: _metadata,
    tags: _tags,
    ...rest
  } = options ?? {};
  // LangChain gives `_generate` the prompt's place in its batch (`promptIndex`), which is not part of the
  // question: every place keys as the first, 0, as a single call's keys have always had it.
  if (rest.promptIndex !== undefined) rest.promptIndex = 0;
  return [promptKey(messages), model._getSerializedCacheKeyParametersForCall(keyableOptions(rest))];
}

/** Whether the model implements streaming itself (LangChain's default only throws). */
function streamsNatively(model: object): boolean {
  let proto = Object.getPrototypeOf(model);
  while (proto && proto.constructor?.name !== "BaseChatModel") {
    if (Object.hasOwn(proto, "_streamResponseChunks")) return true;
    proto = Object.getPrototypeOf(proto);
  }
  return false;
}

/**
 * Returns `model` with a Rust cache in front of it, for `invoke`/`generate` and for `stream`: a
 * repeated stream replays the cached chunks (LangChain's own cache is bypassed when streaming).
 * Keys cover every message field and every call parameter, so a change of tool, schema or setting
 * misses. The model instance itself is modified (its bound and structured-output forms share it).
 * A `generate`/`invoke` hit is what a hit of LangChain's own cache would be: the miss's message as
 * LangChain stored it, spending no tokens (`usage_metadata` all zero, `generationInfo.tokenUsage`
 * `{}`), and the hit's text reported to callbacks as one token (see cache-hit.ts).
 */
export function withLLMCache<M extends BaseChatModel>(
  model: M,
  options: RustLLMCacheOptions & { cache?: RustLLMCache } = {},
): M & { llmCache: RustLLMCache } {
  const cache = options.cache ?? new RustLLMCache(options);
  const target = model as unknown as CacheableModel & { llmCache?: RustLLMCache; [CACHE_INNER]?: CacheInner };
  const inner: CacheInner = {
    generate: target._generate.bind(target),
    stream: streamsNatively(model) ? target._streamResponseChunks?.bind(target) : undefined,
  };
  target[CACHE_INNER] = inner;
  const stream = inner.stream;

  target._generate = async (messages, callOptions, runManager) => {
    const [prompt, llmKey] = cacheKey(target, messages, callOptions);
    const hit = await cache.lookup(prompt, `generate:${llmKey}`);
    noteCacheLookup(modelCallsOf(runManager?.runId, target, callOptions?.promptIndex), hit ? "hit" : "miss");
    if (hit) {
      const generations = asCachedGenerations(hit as ChatResult["generations"]);
      if (generations.length > 0) await runManager?.handleLLMNewToken(generations[0].text);
      return { generations };
    }
    const result = await inner.generate(messages, callOptions, runManager);
    await cache.update(prompt, `generate:${llmKey}`, asLangChainStores(result, runManager?.runId));
    return result;
  };

  if (stream) {
    target._streamResponseChunks = async function* (messages, callOptions, runManager) {
      const [prompt, llmKey] = cacheKey(target, messages, callOptions);
      const hit = await cache.lookup(prompt, `stream:${llmKey}`);
      noteCacheLookup(modelCallsOf(runManager?.runId, target), hit ? "hit" : "miss");
      if (hit) {
        for (const chunk of asCachedChunks(hit as ChatGenerationChunk[])) {
          await runManager?.handleLLMNewToken(chunk.text, undefined, undefined, undefined, undefined, { chunk });
          yield chunk;
        }
        return;
      }
      const chunks: ChatGenerationChunk[] = [];
      for await (const chunk of (inner.stream ?? stream)(messages, callOptions, runManager)) {
        chunks.push(chunk);
        yield chunk;
      }
      await cache.update(prompt, `stream:${llmKey}`, chunks);
    };
  }
  // Models whose bindTools builds a new model (rather than binding this one) get the same cache.
  const bindTools = (model as unknown as { bindTools?: (...a: unknown[]) => unknown }).bindTools?.bind(model);
  if (bindTools) {
    (model as unknown as { bindTools: (...a: unknown[]) => unknown }).bindTools = (...args: unknown[]) => {
      const bound = bindTools(...args) as { bound?: BaseChatModel & { llmCache?: RustLLMCache } };
      const inner = bound?.bound;
      if (inner && inner !== (model as unknown) && typeof inner._generate === "function" && !inner.llmCache) withLLMCache(inner, { cache });
      return bound;
    };
  }
  target.llmCache = cache;
  return model as M & { llmCache: RustLLMCache };
}
