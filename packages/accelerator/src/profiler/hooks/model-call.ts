import { AsyncLocalStorage } from "node:async_hooks";
import type { ModelCallRecord } from "../records";

/**
 * One chat model call the hooks are recording (BaseChatModel `generate` or `_streamIterator`), as the
 * code running inside it finds it: the model's `_generate` / `_streamResponseChunks` (withLLMCache and
 * withResilience note their cache lookups, rate-limit waits and retries), LangChain's `_generateCached`
 * (cache hits and misses) and the call's run managers (streamed tokens). No run id is needed, so this
 * works with no LangChain callbacks at all.
 */
export interface HookedModelCall {
  /** The model instance whose call this is (`this` of generate): a note from another model is not about it. */
  readonly model: object;
  /** Per prompt of the call (a batch has several), the record of each recorder. */
  readonly prompts: ModelCallRecord[][];
  /**
   * The prompts `_generateUncached` sends to the model, by the `promptIndex` it gives `_generate`: all of
   * them, or, after a LangChain cache lookup, those that missed.
   */
  uncached: ModelCallRecord[][];
  /**
   * The run managers LangChain started for the prompts (in their order), from the first
   * `CallbackManager.handleChatModelStart` inside this call; `null` until then; none with no callbacks.
   */
  managers: readonly unknown[] | null;
  /** Whether the run managers' `handleLLMNewToken` counts tokens (a `_streamIterator` call counts its chunks itself). */
  readonly countTokens: boolean;
}

const storage = new AsyncLocalStorage<HookedModelCall>();

/** Runs `fn` with `call` as the model call of everything it runs, synchronously and asynchronously. */
export function runInModelCall<T>(call: HookedModelCall, fn: () => T): T {
  return storage.run(call, fn);
}

/** The hooked model call the current code runs inside, if any (the innermost when calls nest). */
export function currentModelCall(): HookedModelCall | undefined {
  return storage.getStore();
}

/**
 * Stops tracking model calls (the storage's per-promise propagation ends) until the next hooked call.
 * Called when the last recorder is deactivated.
 */
export function stopModelCalls(): void {
  storage.disable();
}

/**
 * The hook records a note from `model`'s own `_generate` / `_streamResponseChunks` is about: its prompt
 * `promptIndex` (the option `_generateUncached` gives `_generate`; a call with one prompt needs none).
 * Undefined outside a hooked call of that model.
 */
export function hookedRecordsOf(model: object | undefined, promptIndex: unknown): ModelCallRecord[] | undefined {
  const call = storage.getStore();
  if (call === undefined || call.model !== model) return undefined;
  const uncached = call.uncached;
  if (uncached.length === 1) return uncached[0];
  return typeof promptIndex === "number" ? uncached[promptIndex] : undefined;
}
