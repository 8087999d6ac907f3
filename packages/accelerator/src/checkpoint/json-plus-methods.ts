import { createHash } from "node:crypto";

/**
 * SHA-256 of the source text of upstream's own JsonPlusSerializer methods the decoder stands in for, in
 * the verified @langchain/langgraph-checkpoint versions (1.2.2: the same text in its CommonJS and ES
 * module builds). A prototype whose method has other text was changed by someone (an application's
 * migration or decryption hook, another library): that copy keeps upstream's code, and theirs runs.
 */
const UPSTREAM_METHODS: Record<string, ReadonlySet<string>> = {
  loadsTyped: new Set(["2026c1cab7154b8f11e6175c05fbdaaf44e1fb69df3a9d578498c033745fb65d"]),
  _loads: new Set(["617aee6bc5ad709b7607049b060384a4206b8c3011841cbe081385bb159a930b"]),
};

/** Why `proto`'s methods are not upstream's own, or undefined when they are. */
export function foreignSerializerMethod(proto: object): string | undefined {
  for (const [name, known] of Object.entries(UPSTREAM_METHODS)) {
    const method = (proto as Record<string, unknown>)[name];
    const text = typeof method === "function" ? Function.prototype.toString.call(method) : "";
    if (!known.has(createHash("sha256").update(text).digest("hex"))) {
      return `upstream decodes: JsonPlusSerializer.prototype.${name} is not the package's own (replaced by the application or another library), so it runs`;
    }
  }
  return undefined;
}
