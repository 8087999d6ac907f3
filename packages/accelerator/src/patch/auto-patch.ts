import { type PatchOptions, type PatchReport, patchLangGraph } from "./patch-langgraph";
import type { PatchPart } from "./targets";

/** Options from the environment: FAST_LANGGRAPH_PATCH_DISABLE="sqliteSaver,stateMerger" switches parts off. */
export function patchOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): PatchOptions {
  const off = (env.FAST_LANGGRAPH_PATCH_DISABLE ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return Object.fromEntries(off.map((part) => [part as PatchPart, false]));
}

/** Patches with options from the environment; FAST_LANGGRAPH_VERBOSE=1 prints the report to stderr. */
export function autoPatch(): Promise<PatchReport> {
  return patchLangGraph(patchOptionsFromEnv()).then((report) => {
    if (process.env.FAST_LANGGRAPH_VERBOSE === "1") {
      for (const p of report.patched) process.stderr.write(`fast-langgraph: patched ${p.target} (${p.format}) ${p.file}\n`);
      for (const s of report.skipped) process.stderr.write(`fast-langgraph: skipped ${s.target}: ${s.reason}\n`);
    }
    return report;
  });
}
