import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { SUPPORTED_VERSIONS, isSupported, rangeText, unsupportedVersions } from "../../src/patch/supported-versions";

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));

describe("supported versions", () => {
  it("are exactly the peerDependencies ranges (optional peers aside)", () => {
    const required = Object.keys(manifest.peerDependencies).filter((p) => !manifest.peerDependenciesMeta?.[p]?.optional);
    expect(required.sort()).toEqual(Object.keys(SUPPORTED_VERSIONS).sort());
    for (const pkg of Object.keys(SUPPORTED_VERSIONS)) expect(manifest.peerDependencies[pkg]).toBe(rangeText(pkg));
  });

  it("include the floors and exclude what is below them or the next major", () => {
    expect(isSupported("@langchain/langgraph-checkpoint", "1.2.2")).toBe(true);
    expect(isSupported("@langchain/langgraph-checkpoint", "1.2.1")).toBe(false);
    expect(isSupported("@langchain/langgraph-checkpoint", "1.10.0")).toBe(true);
    expect(isSupported("@langchain/langgraph", "0.4.10")).toBe(false);
    expect(isSupported("@langchain/langgraph", "2.0.0")).toBe(false);
    expect(isSupported("@langchain/core", "1.1.47")).toBe(false);
  });

  it("name the installed copy, its version and the supported range; the devDependencies here pass", () => {
    const app = fs.mkdtempSync(path.join(os.tmpdir(), "flg-versions-"));
    const pkgDir = path.join(app, "node_modules", "@langchain", "langgraph");
    fs.mkdirSync(pkgDir, { recursive: true });
    fs.writeFileSync(path.join(pkgDir, "package.json"), JSON.stringify({ name: "@langchain/langgraph", version: "0.4.10" }));
    const reason = unsupportedVersions([path.join(app, "noop.js")]);
    expect(reason).toContain(`@langchain/langgraph 0.4.10 is installed (${pkgDir}); supported: >=1.1.0 <2`);
    expect(reason).not.toContain("not installed");
    expect(unsupportedVersions([__filename])).toBeUndefined();
  });
});
