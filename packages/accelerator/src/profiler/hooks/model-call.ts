import type { ModelCallRecord } from "../records";
import { Scopes } from "../scopes";

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
  /** Set when the call ended (scopes.ts). */
  closed: boolean;
}

const calls = new Scopes<HookedModelCall>();

/** Opens `call`: from now until `endModelCall(call)`, the code `runInModelCall(call, ...)` runs finds it. */
export function beginModelCall(call: HookedModelCall): void {
  calls.enter(call);
}

/** Ends `call` (again: nothing). */
export function endModelCall(call: HookedModelCall): void {
  calls.close(call);
}

/** Runs `fn` with `call` (begun, not ended) as the model call of everything it runs, synchronously and asynchronously. */
export function runInModelCall<T>(call: HookedModelCall, fn: () => T): T {
  return calls.within(call, fn);
}

/** The hooked model call the current code runs inside, if any (the innermost when calls nest). */
export function currentModelCall(): HookedModelCall | undefined {
  return calls.current();
}

/**
 * The hook records a note from `model`'s own `_generate` / `_streamResponseChunks` is about: its prompt
 * `promptIndex` (the option `_generateUncached` gives `_generate`; a call with one prompt needs none).
 * Undefined outside a hooked call of that model.
 */
export function hookedRecordsOf(model: object | undefined, promptIndex: unknown): ModelCallRecord[] | undefined {
  const call = calls.current();
  if (call === undefined || call.model !== model) return undefined;
  const uncached = call.uncached;
  if (uncached.length === 1) return uncached[0];
  return typeof promptIndex === "number" ? uncached[promptIndex] : undefined;
}
