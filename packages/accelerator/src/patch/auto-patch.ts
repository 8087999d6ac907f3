import { type PatchOptions, type PatchReport, patchLangGraph } from "./patch-langgraph";
import { type PatchPart, TARGETS } from "./targets";

/** Every part off except the profiler (FAST_LANGGRAPH_PROFILE=1 without FAST_LANGGRAPH_AUTO_PATCH=1). */
export function profileOnlyOptions(): PatchOptions {
  const options: PatchOptions = Object.fromEntries(TARGETS.map((t) => [t.part, false]));
  options.profile = true;
  return options;
}

/**
 * Options from the environment: FAST_LANGGRAPH_PATCH_DISABLE="sqliteSaver,stateMerger" switches parts off;
 * FAST_LANGGRAPH_PROFILE=1 switches the profiler on.
 */
export function patchOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): PatchOptions {
  const off = (env.FAST_LANGGRAPH_PATCH_DISABLE ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const options: PatchOptions = Object.fromEntries(off.map((part) => [part as PatchPart, false]));
  if (env.FAST_LANGGRAPH_PROFILE === "1" && options.profile !== false) options.profile = true;
  return options;
}

/** Patches with options from the environment; FAST_LANGGRAPH_VERBOSE=1 prints the report to stderr. */
export function autoPatch(mode: { onlyProfile?: boolean } = {}): Promise<PatchReport> {
  const options = mode.onlyProfile ? profileOnlyOptions() : patchOptionsFromEnv();
  return patchLangGraph(options).then((report) => {
    if (process.env.FAST_LANGGRAPH_VERBOSE === "1") {
      for (const p of report.patched) process.stderr.write(`fast-langgraph: patched ${p.target} (${p.format}) ${p.file}\n`);
      for (const s of report.skipped) process.stderr.write(`fast-langgraph: skipped ${s.target}: ${s.reason}\n`);
    }
    return report;
  });
}
