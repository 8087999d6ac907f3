import type { PackageCopy } from "./package-copies";
import { SUPPORTED_VERSIONS, isSupported, rangeText } from "./supported-versions";

/** What identifies a patch target's class: its package, subpath ("." or "./x") and export name. */
interface TargetClass {
  pkg: string;
  subpath: string;
  name: string;
}

/**
 * Module namespace objects an application imported itself, keyed by the specifier it imported them
 * with: `patchLangGraph({ modules: { "@langchain/langgraph": langgraph, ... } })`. A bundle (esbuild,
 * webpack, Rollup) inlines LangGraph's classes, so the copies in node_modules that patchLangGraph()
 * resolves are not the ones the bundle runs; the bundle's own copies are reached only through these.
 *
 * Accepted keys (every value is the object `import * as x from "<key>"` gives, or `require("<key>")`):
 * - `@langchain/langgraph`: BinaryOperatorAggregate and messagesStateReducer (messages channels), and
 *   the MemorySaver it re-exports;
 * - `@langchain/langgraph-checkpoint`: MemorySaver, InMemoryCache (node cache), JsonPlusSerializer;
 * - `@langchain/langgraph/channels`, `@langchain/langgraph/pregel` (the profiler's Pregel),
 *   `@langchain/langgraph-checkpoint-sqlite`, `@langchain/langgraph-checkpoint-postgres`,
 *   `@langchain/core/caches` (the model cache);
 * - `@langchain/core/messages`: the message classes the serializer's decoder constructs (without it,
 *   a given JsonPlusSerializer keeps upstream's decoding);
 * - `<package>/package.json` of `@langchain/langgraph`, `@langchain/langgraph-checkpoint` or
 *   `@langchain/core` (`import pkg from "@langchain/core/package.json" with { type: "json" }`): the
 *   bundled versions, checked against the supported ranges; the decoder needs those of the checkpoint
 *   package and of core.
 */
export type LangGraphModules = Record<string, Record<string, unknown> | undefined>;

/** Keys that hold a class patchLangGraph may patch, beside the targets' own specifiers. */
const ALSO_EXPORTED_BY: Record<string, string[]> = {
  // @langchain/langgraph re-exports these from its ./channels and from @langchain/langgraph-checkpoint.
  "@langchain/langgraph/channels:BinaryOperatorAggregate": ["@langchain/langgraph"],
  "@langchain/langgraph-checkpoint:MemorySaver": ["@langchain/langgraph"],
};

const EXTRA_KEYS = ["@langchain/core/messages", ...Object.keys(SUPPORTED_VERSIONS).map((p) => `${p}/package.json`)];

/** The import specifier of a target's module: `pkg` or `pkg/subpath`. */
export function specifierOf(target: Omit<TargetClass, "name">): string {
  return target.subpath === "." ? target.pkg : `${target.pkg}/${target.subpath.slice(2)}`;
}

/** Checks the option's shape; throws a TypeError naming the first bad key. */
export function checkModules(modules: unknown, targets: TargetClass[]): LangGraphModules {
  if (typeof modules !== "object" || modules === null || Array.isArray(modules))
    throw new TypeError(
      `patchLangGraph: modules must be an object of module namespaces keyed by specifier, got ${modules === null ? "null" : typeof modules}`,
    );
  const accepted = new Set([...targets.map(specifierOf), ...Object.values(ALSO_EXPORTED_BY).flat(), ...EXTRA_KEYS]);
  for (const [key, value] of Object.entries(modules)) {
    if (!accepted.has(key))
      throw new TypeError(
        `patchLangGraph: modules["${key}"] is not a module it patches; accepted keys: ${[...accepted].sort().join(", ")}`,
      );
    if (value !== undefined && (typeof value !== "object" || value === null) && typeof value !== "function")
      throw new TypeError(
        `patchLangGraph: modules["${key}"] must be the module's namespace object (import * as x from "${key}"), got ${value === null ? "null" : typeof value}`,
      );
  }
  return modules as LangGraphModules;
}

/**
 * The given copies of `target`: from its own specifier, else from a key that re-exports its class.
 * Their `file` is `modules["<key>"]`, which getPatchStatus() shows.
 */
export function givenCopies(target: TargetClass, modules: LangGraphModules): PackageCopy[] {
  const specifier = specifierOf(target);
  const keys = [specifier, ...(ALSO_EXPORTED_BY[`${specifier}:${target.name}`] ?? [])];
  const copies = new Map<unknown, PackageCopy>();
  for (const key of keys) {
    const exports = modules[key];
    const cls = exports?.[target.name];
    if (!exports || (key !== specifier && typeof cls !== "function")) continue;
    if (!copies.has(cls ?? exports)) copies.set(cls ?? exports, { format: "given", file: `modules["${key}"]`, exports, modules });
  }
  return [...copies.values()];
}

/** The version a given `<pkg>/package.json` states, if one was given. */
export function givenVersion(pkg: string, modules: LangGraphModules | undefined): string | undefined {
  const manifest = modules?.[`${pkg}/package.json`] as { version?: unknown; default?: { version?: unknown } } | undefined;
  const version = manifest?.version ?? manifest?.default?.version;
  return typeof version === "string" ? version : undefined;
}

/** One sentence naming every given version outside the supported ranges, or undefined. */
export function unsupportedGivenVersions(modules: LangGraphModules): string | undefined {
  const bad: string[] = [];
  for (const pkg of Object.keys(SUPPORTED_VERSIONS)) {
    const version = givenVersion(pkg, modules);
    if (version !== undefined && !isSupported(pkg, version))
      bad.push(`${pkg} ${version} is bundled (modules["${pkg}/package.json"]); supported: ${rangeText(pkg)}`);
  }
  return bad.length > 0 ? `unsupported versions, LangGraph is left unpatched: ${bad.join("; ")}` : undefined;
}
