import { callsOfRun, noteCacheLookup } from "../model-notes";
import { currentModelCall } from "./hooks/model-call";

/**
 * LangChain's model cache (a chat model's `cache` option: InMemoryCache, RustLLMCache, any BaseCache)
 * tells callbacks about hits (`cached: true`) but not about misses, which look like uncached calls. Every
 * call with a cache goes through `BaseChatModel.prototype._generateCached`, whose result names the prompts
 * that missed (`missingPromptIndices`) and the run of each prompt (`startedRunManagers`). This wraps that
 * method, in the CommonJS and the ES module build of the @langchain/core this package resolves (its peer), to note
 * each lookup's outcome for the profilers recording that run. The wrapper returns the method's own result
 * untouched, and reads it only while a profiler has a model call open. Installed once, by the first
 * profiler; it stays (it costs a map lookup per prompt of a cached call). The hooks' records (no run ids
 * without callbacks) are those of the hooked model call this runs in (hooks/model-call.ts), per prompt;
 * the prompts that missed are the ones `_generateUncached` then sends to the model.
 */
const HOOKED = Symbol.for("fast-langgraph.profiler.generateCached");
let installing: Promise<void> | undefined;

interface CachedOutput {
  missingPromptIndices?: number[];
  startedRunManagers?: Array<{ runId?: string } | undefined>;
}
type GenerateCached = (this: object, args: unknown) => Promise<CachedOutput>;

function hook(exports: Record<string, unknown>): void {
  const proto = (exports.BaseChatModel as { prototype?: Record<string | symbol, unknown> } | undefined)?.prototype;
  if (!proto || proto[HOOKED] || typeof proto._generateCached !== "function") return;
  const original = proto._generateCached as GenerateCached;
  proto._generateCached = async function generateCached(this: object, args: unknown) {
    const output = await original.call(this, args);
    const hooked = currentModelCall();
    const own = hooked?.model === this ? hooked : undefined;
    const managers = output?.startedRunManagers ?? [];
    const byRun = managers.map((m) => callsOfRun(m?.runId));
    if (own === undefined && byRun.every((c) => c === undefined)) return output;
    const missing = output?.missingPromptIndices ?? [];
    const outcome = (i: number) => (missing.includes(i) ? "miss" : "hit");
    for (let i = 0; i < byRun.length; i++) noteCacheLookup(byRun[i], outcome(i));
    if (own) {
      for (let i = 0; i < own.prompts.length; i++) noteCacheLookup(own.prompts[i], outcome(i));
      own.uncached = missing.map((i) => own.prompts[i]).filter((r) => r !== undefined);
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
