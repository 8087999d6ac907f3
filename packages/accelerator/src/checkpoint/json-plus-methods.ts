import { createHash } from "node:crypto";

/**
 * SHA-256 of the source text, without whitespace, of upstream's own JsonPlusSerializer methods the
 * decoder stands in for, in the verified @langchain/langgraph-checkpoint versions (1.2.2: the same in its
 * CommonJS and ES module builds, and as esbuild and webpack reprint them in a bundle). A prototype whose
 * method has other text was changed by someone (an application's migration or decryption hook, another
 * library) or minified: that copy keeps upstream's code, and the method runs.
 */
const UPSTREAM_METHODS: Record<string, ReadonlySet<string>> = {
  loadsTyped: new Set(["243d0557660497c570066dde927c7b2e427511a3f34082272a6b7cd173ba3a45"]),
  _loads: new Set(["5850e5159826d4fd932736268ccd609869f82fdc7465856f08aa602cd3c79af5"]),
};

/**
 * A method's text as compared: without whitespace, and with the module's own `_reviver` under its
 * name, as bundlers rename it (esbuild's `_reviver2` when both builds are inlined, webpack's
 * `serde_jsonplus_reviver` in a concatenated module: a prefix ending in the module's name). Only
 * method-definition text can match, so a function assigned in its place (`proto._loads = async function
 * (data) {...}`) never does, nor a method calling a function of another name (`migrate_reviver`).
 */
function normalized(text: string): string {
  return text.replace(/\b(?:[\w$]*jsonplus)?_reviver\d*\(/g, "_reviver(").replace(/\s+/g, "");
}

/** Why `proto`'s methods are not upstream's own, or undefined when they are. */
export function foreignSerializerMethod(proto: object): string | undefined {
  for (const [name, known] of Object.entries(UPSTREAM_METHODS)) {
    const method = (proto as Record<string, unknown>)[name];
    const text = typeof method === "function" ? normalized(Function.prototype.toString.call(method)) : "";
    if (!known.has(createHash("sha256").update(text).digest("hex"))) {
      return `upstream decodes: JsonPlusSerializer.prototype.${name} is not the package's own (replaced by the application or another library), so it runs`;
    }
  }
  return undefined;
}
