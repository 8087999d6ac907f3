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
