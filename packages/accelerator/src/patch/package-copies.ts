import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

/**
 * One loaded build of a package entry point: its module format, file and exports. A "given" copy is a
 * module namespace the application passed in `patchLangGraph({ modules })` (e.g. a bundle's own copy);
 * its `file` is `modules["<specifier>"]` and `modules` is the whole option.
 */
export interface PackageCopy {
  format: "cjs" | "esm" | "given";
  file: string;
  exports: Record<string, unknown>;
  modules?: Record<string, Record<string, unknown> | undefined>;
}

/** Where to resolve packages from: the application first, then this package itself. */
export function resolutionBases(): string[] {
  // Inside an ES module bundle (esbuild's format "esm") neither `require` nor `__filename` need exist.
  const main = typeof require === "function" ? require.main?.filename : undefined;
  const here = typeof __filename === "string" ? __filename : undefined;
  const bases = [path.join(process.cwd(), "noop.js"), main, here];
  return [...new Set(bases.filter((b): b is string => typeof b === "string"))];
}

function packageJsonOf(pkg: string, base: string): { dir: string; json: { exports?: Record<string, unknown> } } | undefined {
  try {
    const file = createRequire(base).resolve(`${pkg}/package.json`);
    return { dir: path.dirname(file), json: JSON.parse(fs.readFileSync(file, "utf8")) };
  } catch {
    return undefined;
  }
}

/** The file an exports-map entry points at for `condition` ("import" or "require"). */
function entryFile(exportsMap: Record<string, unknown> | undefined, subpath: string, condition: "import" | "require"): string | undefined {
  let entry = exportsMap?.[subpath];
  for (let depth = 0; depth < 4 && entry && typeof entry === "object"; depth++) {
    const conditions = entry as Record<string, unknown>;
    entry = conditions[condition] ?? conditions.node ?? conditions.default;
  }
  return typeof entry === "string" ? entry : undefined;
}

/** Every distinct CommonJS build of `pkg/subpath` reachable from the application or from here. */
export function loadCommonJsCopies(pkg: string, subpath = "."): PackageCopy[] {
  const copies = new Map<string, PackageCopy>();
  const specifier = subpath === "." ? pkg : `${pkg}/${subpath.slice(2)}`;
  for (const base of resolutionBases()) {
    try {
      const req = createRequire(base);
      const file = req.resolve(specifier);
      if (!copies.has(file)) copies.set(file, { format: "cjs", file, exports: req(file) });
    } catch {
      // not installed where this base looks
    }
  }
  return [...copies.values()];
}

/** Every distinct ES module build of `pkg/subpath`; loading is asynchronous. */
export async function loadEsmCopies(pkg: string, subpath = "."): Promise<{ copies: PackageCopy[]; errors: string[] }> {
  const files = new Set<string>();
  for (const base of resolutionBases()) {
    const found = packageJsonOf(pkg, base);
    const relative = found && entryFile(found.json.exports, subpath, "import");
    if (found && relative) files.add(path.join(found.dir, relative));
  }
  const copies: PackageCopy[] = [];
  const errors: string[] = [];
  for (const file of files) {
    try {
      // A real dynamic import: TypeScript must not turn it into require() in the CommonJS build.
      const load = new Function("url", "return import(url)") as (url: string) => Promise<Record<string, unknown>>;
      copies.push({ format: "esm", file, exports: await load(pathToFileURL(file).href) });
    } catch (error) {
      errors.push(`${file}: ${(error as Error).message}`);
    }
  }
  return { copies, errors };
}
