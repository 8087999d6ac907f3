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

/**
 * The same for the methods that encode (1.2.2, CommonJS and ES module builds): a JSON array they write is
 * its elements' encodings joined by commas, which is what lets a grown list's bytes be spliced from the
 * previous ones (value-bytes-cache.ts). `stringify` is compared without the module object a build
 * reaches it through.
 */
const UPSTREAM_ENCODING_METHODS: Record<string, ReadonlySet<string>> = {
  dumpsTyped: new Set(["36773646be730cab33a1d90970b735bf5609bc3c96f6c618e1fde8e9e1ba5d6f"]),
  _dumps: new Set(["ec8e93c8e5ebcca08c91ce54706d18be055040e26a4ed9c853612de36e994b61"]),
};

/** Whether `proto`'s encoding methods are upstream's own. */
export function upstreamEncodingMethods(proto: object): boolean {
  return Object.entries(UPSTREAM_ENCODING_METHODS).every(([name, known]) => {
    const method = (proto as Record<string, unknown>)[name];
    const text =
      typeof method === "function"
        ? Function.prototype.toString
            .call(method)
            .replace(/\b[\w$]+\.stringify\(/g, "stringify(")
            .replace(/\s+/g, "")
        : "";
    return known.has(createHash("sha256").update(text).digest("hex"));
  });
}
