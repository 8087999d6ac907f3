import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { ChatGenerationChunk, ChatResult } from "@langchain/core/outputs";

import { CACHE_INNER, type CacheableModel, type CacheInner } from "../cache/with-llm-cache";
import { modelCallsOf, noteRateLimitWait, noteRetry } from "../model-notes";
import { atLeastZero } from "./options";
import { type ResilienceOptions, ResiliencePipeline } from "./pipeline";
import type { ResilienceStats } from "./stats";

type Options = Record<string, unknown>;

export interface WithResilienceOptions extends ResilienceOptions {
  /** Model tokens a call will spend, reserved before it from the limiter's `tokensPerMinute` (default:
   * the characters of the messages / 4, plus the call's or model's `maxTokens` if set). */
  estimateTokens?: (messages: BaseMessage[], options: Options) => number;
  /** Share one pipeline (and its stats) between several models. */
  pipeline?: ResiliencePipeline;
}

type Resilient = { resilience: ResiliencePipeline; resilienceStats(): ResilienceStats };

function defaultEstimate(model: object, messages: BaseMessage[], options: Options): number {
  let chars = 0;
  for (const m of messages) chars += typeof m.content === "string" ? m.content.length : JSON.stringify(m.content).length;
  const max = Number(options.maxTokens ?? (model as { maxTokens?: number }).maxTokens ?? 0) || 0;
  return Math.ceil(chars / 4) + max;
}

function usageOf(message: unknown): number | undefined {
  const u = (message as { usage_metadata?: { total_tokens?: number } } | undefined)?.usage_metadata;
  return typeof u?.total_tokens === "number" ? u.total_tokens : undefined;
}

function resultTokens(result: ChatResult): number | undefined {
  let total: number | undefined;
  for (const g of result.generations) {
    const t = usageOf((g as { message?: unknown }).message);
    if (t !== undefined) total = (total ?? 0) + t;
  }
  const llm = (result.llmOutput as { tokenUsage?: { totalTokens?: number } } | undefined)?.tokenUsage?.totalTokens;
  return total ?? (typeof llm === "number" ? llm : undefined);
}

function chunkTokens(chunks: ChatGenerationChunk[]): number | undefined {
  let total: number | undefined;
  for (const c of chunks) {
    const t = usageOf(c.message);
    if (t !== undefined) total = (total ?? 0) + t;
  }
  return total;
}

function streamsNatively(model: object): boolean {
  let proto = Object.getPrototypeOf(model);
  while (proto && proto.constructor?.name !== "BaseChatModel") {
    if (Object.hasOwn(proto, "_streamResponseChunks")) return true;
    proto = Object.getPrototypeOf(proto);
  }
  return false;
}

const WRAPPED = Symbol.for("fast-langgraph.resilience.wrapped");

/** While a profiler records this model call: tell it the call's rate-limiter waits and retries (model-notes.ts). */
function profilerNotes(model: object, options: Options | undefined, runManager?: CallbackManagerForLLMRun) {
  const calls = modelCallsOf(runManager?.runId, model, options?.promptIndex);
  if (calls === undefined) return {};
  return { onRateLimitWait: (ms: number) => noteRateLimitWait(calls, ms), onRetry: (ms: number) => noteRetry(calls, ms) };
}

/**
 * Returns `model` with a rate limiter, circuit breaker, retries and a concurrency limit around each of
 * its calls to the provider (`_generate` and `_streamResponseChunks`), so `invoke`, `stream`, `batch`,
 * `bindTools`, `withStructuredOutput`, callbacks, LangGraph nodes and `createReactAgent` keep working as
 * on the model itself. Retries happen inside one LLM run (callbacks see one start and one end). A stream is
 * retried only before its first chunk. The model instance itself is modified, like `withLLMCache`; with
 * `withLLMCache` applied in either order, a cache hit spends no rate budget and does not touch the breaker.
 * Give the wrapped model `maxRetries: 0` so the provider client does not retry underneath.
 */
export function withResilience<M extends BaseChatModel>(model: M, options: WithResilienceOptions = {}): M & Resilient {
  const pipeline = options.pipeline ?? new ResiliencePipeline(options);
  const target = model as unknown as CacheableModel & Resilient & { [CACHE_INNER]?: CacheInner; [WRAPPED]?: boolean };
  if (target[WRAPPED]) throw new TypeError("withResilience: this model is already wrapped");
  target[WRAPPED] = true;
  const estimate = (messages: BaseMessage[], o: Options) => {
    const tokens = (options.estimateTokens ?? ((m, x) => defaultEstimate(model, m, x)))(messages, o);
    atLeastZero("withResilience", "the token estimate", tokens);
    return tokens;
  };
  // Inside withLLMCache when it is there, so hits never reach the pipeline.
  const slot: { generate: CacheInner["generate"]; stream?: CacheInner["stream"] } = target[CACHE_INNER] ?? {
    generate: target._generate.bind(target),
    stream: streamsNatively(model) ? target._streamResponseChunks?.bind(target) : undefined,
  };
  const generate = slot.generate;
  const stream = slot.stream;
  const withSignal = (o: Options, signal?: AbortSignal) => (signal && signal !== o?.signal ? { ...o, signal } : o);

  const resilientGenerate = (messages: BaseMessage[], o: Options, runManager?: CallbackManagerForLLMRun) =>
    pipeline.run((signal) => generate(messages, withSignal(o, signal), runManager), {
      signal: o?.signal as AbortSignal | undefined,
      tokens: estimate(messages, o ?? {}),
      usage: resultTokens,
      ...profilerNotes(model, o, runManager),
    });
  const resilientStream = stream
    ? (messages: BaseMessage[], o: Options, runManager?: CallbackManagerForLLMRun) =>
        pipeline.stream((signal) => stream(messages, withSignal(o, signal), runManager), {
          signal: o?.signal as AbortSignal | undefined,
          tokens: estimate(messages, o ?? {}),
          usage: chunkTokens,
          ...profilerNotes(model, o, runManager),
        })
    : undefined;

  if (target[CACHE_INNER]) {
    target[CACHE_INNER].generate = resilientGenerate;
    if (resilientStream) target[CACHE_INNER].stream = resilientStream;
  } else {
    target._generate = resilientGenerate;
    if (resilientStream) target._streamResponseChunks = resilientStream;
  }

  // Models whose bindTools builds a new model (rather than binding this one) get the same pipeline.
  const bindTools = (model as unknown as { bindTools?: (...a: unknown[]) => unknown }).bindTools?.bind(model);
  if (bindTools) {
    (model as unknown as { bindTools: (...a: unknown[]) => unknown }).bindTools = (...args: unknown[]) => {
      const bound = bindTools(...args) as { bound?: BaseChatModel & { [WRAPPED]?: boolean } } & { [WRAPPED]?: boolean };
      const inner = bound?.bound ?? bound;
      if (inner && inner !== (model as unknown) && typeof (inner as { _generate?: unknown })._generate === "function" && !inner[WRAPPED]) {
        withResilience(inner as BaseChatModel, { ...options, pipeline });
      }
      return bound;
    };
  }
  target.resilience = pipeline;
  target.resilienceStats = () => pipeline.stats();
  return model as M & Resilient;
}
