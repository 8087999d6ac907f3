import type { ModelCallRecord } from "../records";
import type { HookRecorder } from "./recorder";

/**
 * The recorders the installed hooks report to: the process-wide profiler's while patchLangGraph({
 * profile: true }) is in force, and every profiler between `attach()` and `detach()`. The hooks read
 * this array on every call and do nothing else while it is empty.
 */
export const recorders: HookRecorder[] = [];

export function activate(recorder: HookRecorder): void {
  if (!recorders.includes(recorder)) recorders.push(recorder);
}

export function deactivate(recorder: HookRecorder): void {
  const i = recorders.indexOf(recorder);
  if (i >= 0) recorders.splice(i, 1);
}

/**
 * The model calls whose `generate` is running its synchronous part right now: BaseChatModel.generate
 * calls `_generateCached` before its first await, so the cache-lookup hook (cache-lookup.ts) takes them
 * from here to note a hit or a miss. Cleared when `generate` returns its promise.
 */
let generating: ModelCallRecord[] | undefined;

export function setGenerating(records: ModelCallRecord[] | undefined): ModelCallRecord[] | undefined {
  const previous = generating;
  generating = records;
  return previous;
}

export function takeGenerating(): ModelCallRecord[] | undefined {
  const records = generating;
  generating = undefined;
  return records;
}

/** Installs the hooks on every loaded copy of LangGraph and @langchain/core (given by src/patch/profile-hooks.ts). */
export interface HookInstaller {
  install(): Promise<void>;
  /** Removes the hooks, unless patchLangGraph({ profile: true }) installed them. */
  uninstall(): void;
}

let installer: HookInstaller | undefined;

export function setHookInstaller(given: HookInstaller): void {
  installer = given;
}

export function hookInstaller(): HookInstaller | undefined {
  return installer;
}
