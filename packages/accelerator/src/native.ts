import type * as Binding from "@fast-langgraph/native";

export type NativeBinding = typeof Binding;

/** Whether the Rust binding loaded in this process, and if not, for which platform and why. */
export interface NativeStatus {
  available: boolean;
  /** napi-rs platform name of this process, e.g. "linux-x64-gnu", "darwin-arm64", "win32-x64-msvc". */
  platform: string;
  /** The npm package that ships the prebuilt binary for this platform. */
  package: string;
  /** Why the binding did not load (the loader's errors, innermost first); absent when it loaded. */
  reason?: string;
}

const NATIVE_PACKAGE = "@fast-langgraph/native";
const BUILD_FROM_SOURCE =
  "to build it from source, install Rust (https://rustup.rs), clone https://github.com/fast-langgraph/fast-langgraph-js " +
  "and run `npx -y pnpm@12.4.2 install && npx -y pnpm@12.4.2 build`, then point NAPI_RS_NATIVE_LIBRARY_PATH at the " +
  "built packages/native/fast-langgraph-native.<platform>.node";

/** The libc of a Linux process: glibc when Node reports a glibc runtime version, musl otherwise. */
function linuxLibc(): "gnu" | "musl" {
  const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? "gnu" : "musl";
}

/** napi-rs's platform name for this process (the suffix of the platform package's name). */
export function nativePlatform(): string {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform === "linux") return `${base}-${linuxLibc()}`;
  if (process.platform === "win32") return `${base}-msvc`;
  return base;
}

/** The first line of every error in the loader's cause chain, without napi-rs's generic npm advice. */
function describe(error: unknown): string {
  const messages: string[] = [];
  const seen = new Set<unknown>();
  for (let e = error as { message?: unknown; cause?: unknown } | undefined; e && !seen.has(e); e = e.cause as typeof e) {
    seen.add(e);
    if (typeof e.message === "string") messages.push(e.message.split("\n")[0]);
  }
  const specific = messages.filter((m) => !m.startsWith("Cannot find native binding"));
  return [...new Set(specific.length > 0 ? specific : messages)].reverse().join("; ") || String(error);
}

let loaded: { binding: NativeBinding } | { error: unknown } | undefined;

function load(): { binding: NativeBinding } | { error: unknown } {
  if (!loaded) {
    try {
      // A literal specifier: bundlers see it (webpack's `externals`, esbuild's `external` keep it a runtime require).
      loaded = { binding: require("@fast-langgraph/native") as NativeBinding };
    } catch (error) {
      loaded = { error };
    }
  }
  return loaded;
}

/** Loads the binding on first use (never at import), and reports whether it is usable here. */
export function nativeStatus(): NativeStatus {
  const platform = nativePlatform();
  const result = load();
  const status: NativeStatus = { available: "binding" in result, platform, package: `${NATIVE_PACKAGE}-${platform}` };
  if ("error" in result) status.reason = describe(result.error);
  return status;
}

/** Platform packages @fast-langgraph/native lists as optional dependencies (the prebuilt binaries). */
function prebuiltPackages(): string[] {
  try {
    const manifest = require("@fast-langgraph/native/package.json") as { optionalDependencies?: Record<string, string> };
    return Object.keys(manifest.optionalDependencies ?? {});
  } catch {
    return [];
  }
}

function whereToGetIt(status: NativeStatus): string {
  const prebuilt = prebuiltPackages();
  if (prebuilt.length > 0 && !prebuilt.includes(status.package))
    return `No prebuilt binary is published for ${status.platform} (prebuilt: ${prebuilt.map((p) => p.slice(NATIVE_PACKAGE.length + 1)).join(", ")})`;
  return (
    `The prebuilt binary for this platform is the package ${status.package} (an optional dependency of ${NATIVE_PACKAGE}; ` +
    "reinstall without --no-optional / --omit=optional if it is missing)"
  );
}

/** Thrown when a Rust-backed class is constructed where the binding cannot load. `code` is stable. */
export class NativeBindingUnavailableError extends Error {
  readonly code = "FAST_LANGGRAPH_NATIVE_UNAVAILABLE";
  readonly platform: string;
  readonly package: string;

  constructor(what: string, status: NativeStatus) {
    super(
      `${what} needs the fast-langgraph native binding, which is not available on ${status.platform}: ` +
        `${status.reason ?? "it did not load"}. ${whereToGetIt(status)}; ${BUILD_FROM_SOURCE}.`,
    );
    this.name = "NativeBindingUnavailableError";
    this.platform = status.platform;
    this.package = status.package;
  }
}

/** The binding, or a NativeBindingUnavailableError naming `what` needed it. */
export function requireNative(what: string): NativeBinding {
  const result = load();
  if ("binding" in result) return result.binding;
  throw new NativeBindingUnavailableError(what, nativeStatus());
}

/**
 * The raw napi-rs binding, loaded on first property access; on a platform without a binary, that
 * access throws NativeBindingUnavailableError (importing the package never does).
 */
export const native: NativeBinding = new Proxy({} as NativeBinding, {
  get: (_, key) => requireNative(`native.${String(key)}`)[key as keyof NativeBinding],
  has: (_, key) => key in requireNative("native"),
  ownKeys: () => Reflect.ownKeys(requireNative("native")),
  getOwnPropertyDescriptor: (_, key) => {
    const d = Reflect.getOwnPropertyDescriptor(requireNative("native"), key);
    return d ? { ...d, configurable: true } : undefined;
  },
});
