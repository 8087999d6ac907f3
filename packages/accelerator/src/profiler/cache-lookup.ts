import { noteCacheLookup, recordingModelCalls } from "../model-notes";
import { takeGenerating } from "./hooks/active";

/**
 * LangChain's model cache (a chat model's `cache` option: InMemoryCache, RustLLMCache, any BaseCache)
 * tells callbacks about hits (`cached: true`) but not about misses, which look like uncached calls. Every
 * call with a cache goes through `BaseChatModel.prototype._generateCached`, whose result names the prompts
 * that missed (`missingPromptIndices`) and the run of each prompt (`startedRunManagers`). This wraps that
 * method, in the CommonJS and the ES module build of the @langchain/core this package resolves (its peer), to note
 * each lookup's outcome for the profilers recording that run. The wrapper returns the method's own result
 * untouched, and reads it only while a profiler has a model call open. Installed once, by the first
 * profiler; it stays (it costs one map-size check per cached call). The hook path (no callbacks, so no run
 * ids) is told through `takeGenerating()`: BaseChatModel.generate calls this method before its first await.
 */
const HOOKED = Symbol.for("fast-langgraph.profiler.generateCached");
let installing: Promise<void> | undefined;

interface CachedOutput {
  missingPromptIndices?: number[];
  startedRunManagers?: Array<{ runId?: string } | undefined>;
}
type GenerateCached = (this: unknown, args: unknown) => Promise<CachedOutput>;

function hook(exports: Record<string, unknown>): void {
  const proto = (exports.BaseChatModel as { prototype?: Record<string | symbol, unknown> } | undefined)?.prototype;
  if (!proto || proto[HOOKED] || typeof proto._generateCached !== "function") return;
  const original = proto._generateCached as GenerateCached;
  proto._generateCached = async function generateCached(this: unknown, args: unknown) {
    // The profiler's generate hook (hooks/chat-model.ts) is in its synchronous part: its model call, if any.
    const hooked = takeGenerating();
    const output = await original.call(this, args);
    if (hooked) {
      const outcome = output?.missingPromptIndices?.includes(0) ? "miss" : "hit";
      for (const record of hooked) record.cache ??= outcome;
    }
    if (recordingModelCalls()) {
      const missing = new Set(output?.missingPromptIndices ?? []);
      const managers = output?.startedRunManagers ?? [];
      for (let i = 0; i < managers.length; i++) noteCacheLookup(managers[i]?.runId, missing.has(i) ? "miss" : "hit");
    }
    return output;
  };
  proto[HOOKED] = true;
}

const SPECIFIER = "@langchain/core/language_models/chat_models";

/** Hooks the CommonJS build now and the ES module build once loaded; resolves when both are done. */
export function installCacheLookupHook(): Promise<void> {
  if (installing) return installing;
  try {
    hook(require(SPECIFIER));
  } catch {
    // @langchain/core not installed as CommonJS here: nothing to hook
  }
  // A real dynamic import: TypeScript must not turn it into require() in the CommonJS build.
  const load = new Function("specifier", "return import(specifier)") as (s: string) => Promise<Record<string, unknown>>;
  installing = load(SPECIFIER).then(hook, () => undefined);
  return installing;
}
