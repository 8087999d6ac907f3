import { performance } from "node:perf_hooks";
import type { LLMResult } from "@langchain/core/outputs";
import { usageOf } from "../callback-handler";
import type { ModelCallRecord } from "../records";
import { recorders } from "./active";
import { type HookedModelCall, beginModelCall, endModelCall, runInModelCall } from "./model-call";
import { type HookRecorder, currentTaskId } from "./recorder";
import { settle } from "./settle";

type Generate = (this: ChatModelLike, messages: unknown[][], options?: unknown, callbacks?: unknown) => Promise<LLMResult>;
type StreamIterator = (this: ChatModelLike, input: unknown, options?: unknown) => AsyncGenerator<unknown>;

interface ChatModelLike {
  constructor: { name: string; lc_name?: () => string; _convertInputToPromptValue?: (input: unknown) => { toChatMessages(): unknown[] } };
  _streamResponseChunks?: unknown;
  disableStreaming?: boolean;
  getLsParamsWithDefaults?: (options: unknown) => Record<string, unknown>;
  getLsParams?: (options: unknown) => Record<string, unknown>;
}

interface CallOptions {
  runName?: string;
  configurable?: Record<string, unknown>;
}

const names = new WeakMap<object, string>();

/** The name @langchain/core gives the model's runs: its class's `lc_name()`, else the class name. */
function modelName(model: ChatModelLike): string {
  const ctor = model.constructor;
  let name = names.get(ctor);
  if (name === undefined) {
    name = typeof ctor.lc_name === "function" ? String(ctor.lc_name()) : ctor.name;
    names.set(ctor, name);
  }
  return name;
}

function lsParams(model: ChatModelLike, options: unknown): Record<string, unknown> | undefined {
  try {
    const get = model.getLsParamsWithDefaults ?? model.getLsParams;
    return get?.call(model, options ?? {});
  } catch {
    return undefined;
  }
}

/**
 * Starts one record per recorder for each prompt of the call (a `generate` batch has several, as
 * LangChain starts one run per prompt), as the call's context for the code inside it (model-call.ts).
 */
function startCall(
  model: ChatModelLike,
  prompts: ReadonlyArray<ReadonlyArray<unknown>>,
  options: CallOptions | undefined,
  countTokens: boolean,
): HookedModelCall & { owners: HookRecorder[] } {
  const now = performance.now();
  const taskId = currentTaskId(options);
  const ls = lsParams(model, options);
  const name = modelName(model);
  const owners = [...recorders];
  const records = prompts.map((prompt) => owners.map((r) => r.startModel(name, options?.runName, prompt, ls, taskId, now)));
  const call = { model, owners, prompts: records, uncached: records, managers: null, countTokens, closed: false };
  beginModelCall(call);
  return call;
}

function endCall(call: HookedModelCall & { owners: HookRecorder[] }, err: unknown, failed: boolean): void {
  endModelCall(call);
  for (const records of call.prompts) for (let i = 0; i < records.length; i++) call.owners[i].endModel(records[i], err, failed);
}

/** Tokens of each prompt from the result's usage_metadata (read, never changed). */
function noteResult(prompts: ModelCallRecord[][], result: LLMResult | undefined): void {
  if (!result) return;
  for (let p = 0; p < prompts.length; p++) {
    // The combined llmOutput (legacy tokenUsage) belongs to one prompt only when there is one.
    const usage = usageOf(prompts.length === 1 ? result : { generations: [result.generations?.[p] ?? []] });
    for (const record of prompts[p]) {
      record.inputTokens = usage.input;
      record.outputTokens = usage.output;
    }
  }
}

interface UsageLike {
  usage_metadata?: { input_tokens?: number; output_tokens?: number };
}

/**
 * BaseChatModel.prototype.generate (invoke, batch and generatePrompt all come here) and
 * `_streamIterator` (stream, when the model streams): latency, time to first chunk, chunks, input and
 * output tokens from usage_metadata, and the cache's hit or miss (cache-lookup.ts), for every active
 * recorder; with none, the original call and nothing else. `baseStream` is BaseChatModel's own
 * `_streamResponseChunks`: a model that keeps it does not stream, and its `_streamIterator` calls
 * `invoke`, which `generate` records.
 */
export function profiledChatModelMethods(
  originals: { generate: Generate; _streamIterator: StreamIterator },
  baseStream: unknown,
): { generate: Generate; _streamIterator: StreamIterator } {
  const generate = originals.generate;
  const streamIterator = originals._streamIterator;
  return {
    generate(this: ChatModelLike, messages: unknown[][], options?: unknown, callbacks?: unknown) {
      if (recorders.length === 0) return generate.call(this, messages, options, callbacks);
      const prompts = Array.isArray(messages) ? messages.map((m) => (Array.isArray(m) ? m : [])) : [];
      const call = startCall(this, prompts, Array.isArray(options) ? undefined : (options as CallOptions | undefined), true);
      return settle(
        () => runInModelCall(call, () => generate.call(this, messages, options, callbacks)),
        (err, failed, result) => {
          if (!failed) noteResult(call.prompts, result as LLMResult | undefined);
          endCall(call, err, failed);
        },
      );
    },
    _streamIterator(this: ChatModelLike, input: unknown, options?: unknown) {
      if (recorders.length === 0 || this._streamResponseChunks === baseStream || this.disableStreaming)
        return streamIterator.call(this, input, options);
      return profiledStream(this, streamIterator.call(this, input, options), input, options as CallOptions | undefined);
    },
  };
}

/**
 * Follows the model's stream: the time of its first chunk, the number of chunks, and the tokens of the
 * chunks' usage_metadata. Each step of the original generator runs inside the call's context
 * (model-call.ts), so that withLLMCache and withResilience can note this call. Chunks, errors and early
 * `return()` pass through unchanged.
 */
async function* profiledStream(
  model: ChatModelLike,
  inner: AsyncGenerator<unknown>,
  input: unknown,
  options: CallOptions | undefined,
): AsyncGenerator<unknown> {
  let prompt: ReadonlyArray<unknown> = [];
  try {
    prompt = model.constructor._convertInputToPromptValue?.(input).toChatMessages() ?? [];
  } catch {
    // the original call reports a bad input itself
  }
  const call = startCall(model, [prompt], options, false);
  const records = call.prompts[0];
  let failed = false;
  let error: unknown;
  let innerDone = false;
  let input_tokens: number | undefined;
  let output_tokens: number | undefined;
  try {
    for (;;) {
      let step: IteratorResult<unknown>;
      try {
        step = await runInModelCall(call, () => inner.next());
      } catch (err) {
        innerDone = true;
        throw err;
      }
      if (step.done) {
        innerDone = true;
        break;
      }
      const chunk = step.value;
      const now = performance.now();
      const usage = (chunk as UsageLike | undefined)?.usage_metadata;
      if (usage) {
        if (usage.input_tokens !== undefined) input_tokens = (input_tokens ?? 0) + usage.input_tokens;
        if (usage.output_tokens !== undefined) output_tokens = (output_tokens ?? 0) + usage.output_tokens;
      }
      for (const record of records) {
        record.firstTokenAt ??= now;
        record.tokens++;
      }
      yield chunk;
    }
  } catch (err) {
    failed = true;
    error = err;
    throw err;
  } finally {
    // A consumer that stops early (return() or throw() at a chunk) closes the original, as `for await` does.
    if (!innerDone) await runInModelCall(call, () => inner.return(undefined));
    for (const record of records) {
      record.inputTokens = input_tokens;
      record.outputTokens = output_tokens;
    }
    endCall(call, error, failed);
  }
}
