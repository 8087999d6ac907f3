import { registerEncodingWrapper } from "../checkpoint/serde-wrappers";
import { setSerdeWrapperListener } from "../profiler/checkpointer-probe";
import { recorders, setHookInstaller } from "../profiler/hooks/active";
import { loadCommonJsCopies, loadEsmCopies } from "./package-copies";
import { type PatchReport, patchCopy, restorePart } from "./patch-langgraph";
import { TARGETS } from "./targets";

/**
 * How `profiler.attach()` installs the profiler's hooks (the "profile" part of TARGETS) without
 * patching anything else: on every copy of @langchain/langgraph and @langchain/core that patchLangGraph
 * would find (CommonJS builds, then ES module builds), through the patch's own bookkeeping, so that
 * getPatchStatus() lists them and unpatchLangGraph() removes them. Copies already patched stay as they
 * are. `uninstall()` removes the hooks once no recorder is active (no attached profiler, and no
 * patchLangGraph({ profile: true }) in force).
 */
setHookInstaller({
  async install() {
    const report: PatchReport = { patched: [], alreadyPatched: [], skipped: [] };
    const targets = TARGETS.filter((t) => t.part === "profile");
    for (const target of targets) for (const copy of loadCommonJsCopies(target.pkg, target.subpath)) patchCopy(target, copy, report);
    for (const target of targets)
      for (const copy of (await loadEsmCopies(target.pkg, target.subpath)).copies) patchCopy(target, copy, report);
  },
  uninstall() {
    if (recorders.length === 0) restorePart("profile");
  },
});

setSerdeWrapperListener(registerEncodingWrapper);
