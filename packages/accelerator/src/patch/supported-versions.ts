import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/**
 * The versions patchLangGraph accelerates: the peerDependencies ranges of this package, as
 * `[floor, below]` (floor inclusive, `below` exclusive). The floors are where the APIs we rely on
 * appear (@langchain/langgraph-checkpoint exports JsonPlusSerializer at its root from 1.2.2, which
 * needs @langchain/core 1.1.48); scripts/install-test.mjs runs the versions the README lists.
 */
export const SUPPORTED_VERSIONS: Record<string, [string, string]> = {
  "@langchain/langgraph": ["1.1.0", "2"],
  "@langchain/langgraph-checkpoint": ["1.2.2", "2"],
  "@langchain/core": ["1.1.48", "2"],
};

function parts(version: string): number[] {
  return version
    .split(/[-+]/)[0]
    .split(".")
    .map((n) => Number.parseInt(n, 10) || 0);
}

function compare(a: string, b: string): number {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

export function rangeText(pkg: string): string {
  const [floor, below] = SUPPORTED_VERSIONS[pkg];
  return `>=${floor} <${below}`;
}

export function isSupported(pkg: string, version: string): boolean {
  const range = SUPPORTED_VERSIONS[pkg];
  return !range || (compare(version, range[0]) >= 0 && compare(version, range[1]) < 0);
}

/** Every distinct installed copy of `pkg` reachable from `bases`: its version and directory. */
export function installedVersions(pkg: string, bases: string[]): Array<{ version: string; dir: string }> {
  const found = new Map<string, string>();
  for (const base of bases) {
    try {
      const file = createRequire(base).resolve(`${pkg}/package.json`);
      found.set(path.dirname(file), JSON.parse(fs.readFileSync(file, "utf8")).version);
    } catch {
      // not reachable from this base
    }
  }
  return [...found].map(([dir, version]) => ({ version, dir }));
}

/**
 * One sentence naming every installed copy of the packages we depend on that is outside the supported
 * ranges, with the supported ranges; undefined when all installed copies are supported.
 */
export function unsupportedVersions(bases: string[]): string | undefined {
  const bad: string[] = [];
  for (const pkg of Object.keys(SUPPORTED_VERSIONS))
    for (const { version, dir } of installedVersions(pkg, bases))
      if (!isSupported(pkg, version)) bad.push(`${pkg} ${version} is installed (${dir}); supported: ${rangeText(pkg)}`);
  return bad.length > 0 ? `unsupported versions, LangGraph is left unpatched: ${bad.join("; ")}` : undefined;
}
