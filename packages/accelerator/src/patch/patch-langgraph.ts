import { type NativeStatus, nativeStatus } from "../native";
import { activateProcessProfiler, detachProfiler } from "../profiler/global";
import { restoreLLMCaches } from "./llm-cache";
import { type MemorySaverStatus, memorySaverStatus, restoreMemorySavers } from "./memory-saver";
import { restoreNodeCaches } from "./node-cache";
import { type LangGraphModules, checkModules, givenCopies, unsupportedGivenVersions } from "./given-modules";
import { type PackageCopy, loadCommonJsCopies, loadEsmCopies, resolutionBases } from "./package-copies";
import { forgetPatchedSerializers } from "../checkpoint/json-plus-copies";
import { serializersReady } from "./json-plus-serializer";
import { postgresFallbacks, restorePostgresSavers } from "./postgres-saver";
import { restoreSqliteSavers } from "./sqlite-saver";
import { unsupportedVersions } from "./supported-versions";
import { type Methods, OPT_IN_PARTS, type PatchPart, type PatchTarget, TARGETS, messageReducers } from "./targets";

export type PatchOptions = Partial<Record<PatchPart, boolean>> & {
  /**
   * Module namespaces the application imported itself, keyed by specifier (see LangGraphModules):
   * how a bundle's inlined copies of LangGraph get patched, e.g.
   * `{ "@langchain/langgraph": langgraph, "@langchain/langgraph-checkpoint": checkpoint }`. Patched
   * in addition to the copies resolved in node_modules; getPatchStatus() lists them with
   * `format: "given"` and `file: 'modules["<key>"]'`. A key it does not know throws a TypeError.
   */
  modules?: LangGraphModules;
};

export type { LangGraphModules } from "./given-modules";

export interface PatchedCopy {
  part: PatchPart;
  target: string;
  /** "given": a namespace from the `modules` option (its `file` is `modules["<key>"]`). */
  format: "cjs" | "esm" | "given";
  file: string;
  note: string;
}

export interface SkippedPart {
  part: PatchPart;
  target: string;
  reason: string;
}

export interface PatchReport {
  /** Copies patched by this call. */
  patched: PatchedCopy[];
  /** Copies that an earlier call had patched already (patching is idempotent). */
  alreadyPatched: PatchedCopy[];
  skipped: SkippedPart[];
}

export interface PatchStatus {
  active: boolean;
  /** Whether the Rust binding loaded here; without it nothing is patched and LangGraph runs unchanged. */
  native: NativeStatus;
  patched: PatchedCopy[];
  skipped: SkippedPart[];
  /**
   * The accelerated MemorySavers: how many are alive and the bytes their threads take in Rust (a
   * MemorySaver has no bound, as unpatched; `deleteThread` and retention free them).
   */
  memorySavers: MemorySaverStatus;
}

export interface UnpatchReport {
  restored: PatchedCopy[];
  /** MemorySaver instances whose threads moved back into their own maps. */
  memorySavers: number;
  /** Rust connections closed for SqliteSavers (their files need no conversion). */
  sqliteConnections: number;
  /** Rust connection pools ended for PostgresSavers (their rows are PostgresSaver's own). */
  postgresPools: number;
}

interface Applied {
  copy: PatchedCopy;
  proto: Record<string, unknown>;
  originals: Array<{ name: string; own: boolean; value: unknown }>;
}

const applied = new Map<object, Applied>();
let lastSkipped: SkippedPart[] = [];

/** Replaces `target`'s methods on one copy's class (idempotent per prototype); what it did goes into `report`. */
export function patchCopy(target: PatchTarget, copy: PackageCopy, report: PatchReport): void {
  const cls = copy.exports[target.name];
  const proto = typeof cls === "function" ? (cls.prototype as Record<string, unknown> | undefined) : undefined;
  if (!proto) {
    report.skipped.push({
      part: target.part,
      target: target.name,
      reason: `${copy.file} exports no ${target.name} (unsupported version?)`,
    });
    return;
  }
  const entry: PatchedCopy = { part: target.part, target: target.name, format: copy.format, file: copy.file, note: target.note };
  const skip = applied.has(proto) ? undefined : target.skip?.(copy);
  if (skip) {
    report.skipped.push({ part: target.part, target: target.name, reason: `${copy.file}: ${skip}` });
    return;
  }
  if (applied.has(proto)) {
    report.alreadyPatched.push(entry);
    return;
  }
  const originals = target.methodNames.map((name) => ({
    name,
    own: Object.hasOwn(proto, name),
    value: proto[name],
  }));
  const replacements = target.methods(Object.fromEntries(originals.map((o) => [o.name, o.value])) as Methods, copy);
  for (const [name, method] of Object.entries(replacements)) {
    Object.defineProperty(proto, name, { value: method, writable: true, configurable: true, enumerable: false });
  }
  applied.set(proto, { copy: entry, proto, originals });
  report.patched.push(entry);
}

function collectReducers(copies: PackageCopy[]): void {
  for (const copy of copies)
    if (typeof copy.exports.messagesStateReducer === "function") messageReducers.add(copy.exports.messagesStateReducer);
}

/**
 * With `{ profile: true }` (opt-in; FAST_LANGGRAPH_PROFILE=1 from the environment), also attaches the
 * process-wide profiler (getProfiler()) to every graph run.
 *
 * Accelerates the LangGraph.js classes already written into the user's graphs: MemorySaver on a Rust
 * in-memory store, file-backed SqliteSaver on the Rust SQLite engine (official format), PostgresSaver on
 * the Rust PostgreSQL engine (its own tables and rows), messages
 * channels merged once per superstep, and LangGraph's and LangChain's InMemoryCache on bounded Rust caches. Patches every copy loaded in the process: the CommonJS builds
 * before this returns its promise, the ES module builds before the promise resolves. Idempotent.
 * A bundle's inlined copies are not in node_modules: pass them as `{ modules }` (see PatchOptions).
 * Throws a TypeError, before patching anything, when `modules` holds a key or value it cannot use.
 */
export async function patchLangGraph(options: PatchOptions = {}): Promise<PatchReport> {
  const modules = options.modules === undefined ? undefined : checkModules(options.modules, TARGETS);
  const report: PatchReport = { patched: [], alreadyPatched: [], skipped: [] };
  lastSkipped = report.skipped;
  const enabled = TARGETS.filter((t) => {
    // Opt-in parts (the profiler) run only when asked for; not asking is not a skip.
    if (OPT_IN_PARTS.has(t.part)) return options[t.part] === true;
    if (options[t.part] !== false) return true;
    report.skipped.push({ part: t.part, target: t.name, reason: `switched off by the option ${t.part}: false` });
    return false;
  });
  const binding = nativeStatus();
  if (!binding.available) {
    for (const t of enabled)
      report.skipped.push({
        part: t.part,
        target: t.name,
        reason: `the native binding is not available on ${binding.platform} (package ${binding.package}): ${binding.reason}; LangGraph is left unpatched`,
      });
    return report;
  }
  const versions = unsupportedVersions(resolutionBases()) ?? (modules && unsupportedGivenVersions(modules));
  if (versions) {
    for (const t of enabled) report.skipped.push({ part: t.part, target: t.name, reason: versions });
    return report;
  }
  if (enabled.some((t) => t.part === "profile")) activateProcessProfiler();
  const found = new Map<PatchTarget, number>();
  if (enabled.some((t) => t.part === "stateMerger")) {
    collectReducers(loadCommonJsCopies("@langchain/langgraph"));
    if (modules?.["@langchain/langgraph"]) collectReducers([{ format: "given", file: "", exports: modules["@langchain/langgraph"] }]);
  }
  for (const target of enabled) {
    const copies = [...loadCommonJsCopies(target.pkg, target.subpath), ...(modules ? givenCopies(target, modules) : [])];
    found.set(target, copies.length);
    for (const copy of copies) patchCopy(target, copy, report);
  }
  if (enabled.some((t) => t.part === "stateMerger")) collectReducers((await loadEsmCopies("@langchain/langgraph")).copies);
  for (const target of enabled) {
    const { copies, errors } = await loadEsmCopies(target.pkg, target.subpath);
    found.set(target, (found.get(target) ?? 0) + copies.length);
    for (const copy of copies) patchCopy(target, copy, report);
    for (const error of errors)
      report.skipped.push({ part: target.part, target: target.name, reason: `ES module build not loadable here: ${error}` });
    if (found.get(target) === 0) {
      report.skipped.push({
        part: target.part,
        target: target.name,
        reason: `${target.pkg} is not installed (looked from ${process.cwd()} and from the accelerator${modules ? ", and in the modules given" : ""}); a bundle's copy is patched when given in patchLangGraph({ modules })`,
      });
    }
  }
  await serializersReady();
  return report;
}

/** Restores the original methods of the copies patched for `part`; returns them. */
export function restorePart(part: PatchPart): PatchedCopy[] {
  const restored: PatchedCopy[] = [];
  for (const [key, { copy, proto, originals }] of applied) {
    if (copy.part !== part) continue;
    for (const { name, own, value } of originals) {
      if (own) Object.defineProperty(proto, name, { value, writable: true, configurable: true, enumerable: false });
      else delete proto[name];
    }
    applied.delete(key);
    restored.push(copy);
  }
  return restored;
}

/** What is patched now, and what the last patchLangGraph() skipped and why. */
export function getPatchStatus(): PatchStatus {
  const patched = [...applied.values()].map((a) => a.copy);
  const instances = postgresFallbacks.map(
    (f): SkippedPart => ({
      part: "postgresSaver",
      target: `a PostgresSaver (schema "${f.schema}")`,
      reason: `keeps its own code: ${f.reason}`,
    }),
  );
  return {
    active: patched.length > 0,
    native: nativeStatus(),
    patched,
    skipped: [...lastSkipped, ...instances],
    memorySavers: memorySaverStatus(),
  };
}

/**
 * Restores every original method, moves the threads of accelerated MemorySavers back into their own
 * maps, and closes the Rust connections of SqliteSavers (their files are already in the official format).
 */
export function unpatchLangGraph(): UnpatchReport {
  const restored: PatchedCopy[] = [];
  for (const { copy, proto, originals } of applied.values()) {
    for (const { name, own, value } of originals) {
      if (own) Object.defineProperty(proto, name, { value, writable: true, configurable: true, enumerable: false });
      else delete proto[name];
    }
    restored.push(copy);
  }
  applied.clear();
  forgetPatchedSerializers();
  lastSkipped = [];
  restoreNodeCaches();
  restoreLLMCaches();
  detachProfiler();
  return {
    restored,
    memorySavers: restoreMemorySavers(),
    sqliteConnections: restoreSqliteSavers(),
    postgresPools: restorePostgresSavers(),
  };
}
