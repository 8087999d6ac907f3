// Writes the ES module entry points: runtime wrappers that re-export the CommonJS build, so `import` and
// `require` share one copy of every class and of the patch registry, and ES module declarations (.d.mts)
// so that TypeScript's node16/nodenext ESM resolution sees LangChain's ES module types, not its CommonJS ones.
const fs = require("node:fs");
const path = require("node:path");

const dist = path.join(__dirname, "..", "dist");
const cjsDir = path.join(dist, "cjs");
const esmDir = path.join(dist, "esm");
fs.rmSync(esmDir, { recursive: true, force: true });
fs.mkdirSync(esmDir, { recursive: true });

// Node gives a CommonJS module's `module.exports` as the default export; Vite's and vitest's transform, for a
// build that sets `__esModule`, give `exports.default` (undefined here) and the named exports on the namespace.
// Taking the namespace whenever the default export is not the module itself works under both, and under
// esbuild and webpack, which follow Node.
const interop = (file, probe) => [
  `import * as ns from ${JSON.stringify(file)};`,
  `const cjs = ns.default && typeof ns.default.${probe} !== "undefined" ? ns.default : ns;`,
];

const entries = { index: { file: "../cjs/index.js", probe: "patchLangGraph" } };
for (const [name, { file, probe }] of Object.entries(entries)) {
  const names = Object.keys(require(path.join(esmDir, file))).filter((n) => n !== "default" && n !== "__esModule");
  const lines = [...interop(file, probe), ...names.map((n) => `export const ${n} = cjs.${n};`), "export default cjs;", ""];
  fs.writeFileSync(path.join(esmDir, `${name}.mjs`), lines.join("\n"));
}

// The register entry waits for the ES module builds of LangGraph to be patched before the app starts.
fs.writeFileSync(
  path.join(esmDir, "register.mjs"),
  [...interop("../cjs/register.js", "ready"), "await cjs.ready;", "export const ready = cjs.ready;", ""].join("\n"),
);

// dist/cjs/**/*.d.ts -> dist/esm/**/*.d.mts, relative specifiers pointing at the .mjs twins.
function relativeTarget(fromDir, specifier) {
  const base = path.resolve(fromDir, specifier.replace(/\.js$/, ""));
  if (fs.existsSync(`${base}.d.ts`)) return `${specifier.replace(/\.js$/, "")}.mjs`;
  if (fs.existsSync(path.join(base, "index.d.ts"))) return `${specifier.replace(/\/$/, "")}/index.mjs`;
  throw new Error(`write-esm-wrappers: cannot map ${specifier} from ${fromDir}`);
}

function convertDeclarations(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, entry.name);
    if (entry.isDirectory()) convertDeclarations(from);
    if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
    const text = fs
      .readFileSync(from, "utf8")
      .replace(
        /((?:from|import)\s*\(?\s*)(["'])(\.{1,2}(?:\/[^"']*)?)\2/g,
        (_, lead, q, spec) => `${lead}${q}${relativeTarget(dir, spec)}${q}`,
      )
      .replace(/^\/\/# sourceMappingURL=.*$/m, "");
    const to = path.join(esmDir, path.relative(cjsDir, from)).replace(/\.d\.ts$/, ".d.mts");
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(to, text);
  }
}
convertDeclarations(cjsDir);
