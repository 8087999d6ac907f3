import { InMemoryCache } from "@langchain/core/caches";

import { patchLangGraph, unpatchLangGraph } from "../../src";

// The patched InMemoryCache hashes `prompt_llmKey` once with Node's SHA-256 when the instance uses the
// default encoder; it must tell keys apart exactly as LangChain's JavaScript SHA-256 does, which reads
// surrogate code units in pairs (so "\ud800a" and "\ud800\udc61" share a key there).
const PAIRS: [string, string, string][] = [
  ["\ud800a", "\ud800\udc61", "k"],
  ["a_b", "a", "k"],
  ["plain", "plain ", "k"],
  ["é", "e\u0301", "k"],
];

async function hits(cache: InMemoryCache): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const [stored, asked, llmKey] of PAIRS) {
    await cache.update(stored, llmKey, [{ text: `for ${stored}` }]);
    out.push((await cache.lookup(asked, llmKey)) !== null);
  }
  // Prompt/llmKey splits that join to the same string are one key to LangChain.
  await cache.update("x_y", "z", [{ text: "joined" }]);
  out.push((await cache.lookup("x", "y_z"))?.[0].text === "joined");
  return out;
}

it("patched InMemoryCache with the default encoder hits and misses exactly where the unpatched one does", async () => {
  const unpatched = await hits(new InMemoryCache());
  patchLangGraph({ caches: true });
  try {
    expect(await hits(new InMemoryCache())).toEqual(unpatched);
  } finally {
    unpatchLangGraph();
  }
  expect(unpatched).toEqual([true, false, false, false, true]);
});
