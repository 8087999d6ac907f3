// Writes ESM entry points that re-export the CommonJS build, so `import` and `require`
// share one copy of every class and of the patch registry.
const fs = require("node:fs");
const path = require("node:path");

const entries = { index: "../cjs/index.js" };
const esmDir = path.join(__dirname, "..", "dist", "esm");
fs.mkdirSync(esmDir, { recursive: true });

// The register entry waits for the ES module builds of LangGraph to be patched before the app starts.
fs.writeFileSync(
  path.join(esmDir, "register.mjs"),
  ['import cjs from "../cjs/register.js";', "await cjs.ready;", "export const ready = cjs.ready;", ""].join("\n"),
);

for (const [name, cjsPath] of Object.entries(entries)) {
  const names = Object.keys(require(path.join(esmDir, cjsPath))).filter((n) => n !== "default" && n !== "__esModule");
  const lines = [
    `import cjs from ${JSON.stringify(cjsPath)};`,
    ...names.map((n) => `export const ${n} = cjs.${n};`),
    "export default cjs;",
    "",
  ];
  fs.writeFileSync(path.join(esmDir, `${name}.mjs`), lines.join("\n"));
}
