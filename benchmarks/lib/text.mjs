// Seeded, realistic English text for every benchmark payload: words drawn from the 4,000 most frequent
// English words (vocabulary-en.txt, in rank order, taken from the wordfreq 3.1.1 package's `top_n_list("en")`,
// letters and apostrophes only) with a Zipf frequency (p(rank r) ∝ 1/r), a fifth of them as one of 2,000 seeded collocations, in sentences of 4-26 words with
// commas, a capital first letter and a full stop, question or exclamation mark. ASCII only, so characters
// = bytes. It compresses like real prose (benchmarks/lib/text-compression.mjs prints the ratios against
// real texts), where the old 19-word cycle compressed far better and flattered compression.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const VOCABULARY = fs
  .readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "vocabulary-en.txt"), "utf8")
  .split("\n")
  .filter(Boolean);

// Cumulative Zipf weights over ranks (exponent 1), for sampling by binary search.
const CDF = new Float64Array(VOCABULARY.length);
{
  let sum = 0;
  for (let r = 0; r < VOCABULARY.length; r++) CDF[r] = sum += 1 / (r + 1);
  for (let r = 0; r < CDF.length; r++) CDF[r] /= sum;
}

/** Share of sentence slots filled by a collocation rather than a single word (tuned so that zlib and lz4 ratios sit near real prose's). */
const PHRASE_SHARE = 0.2;

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function rng(seed) {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function zipfWord(random) {
  const u = random();
  let lo = 0;
  let hi = CDF.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (CDF[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo];
}

// Collocations: real prose repeats word pairs and short phrases ("one of the", "in order to") that a
// compressor finds again; 2,000 phrases of 2-4 Zipf words, fixed by seed 0, themselves drawn by a Zipf rank.
const PHRASES = (() => {
  const random = rng(0);
  return Array.from({ length: 2000 }, () => Array.from({ length: 2 + Math.floor(random() * 3) }, () => zipfWord(random)).join(" "));
})();
const PHRASE_CDF = new Float64Array(PHRASES.length);
{
  let sum = 0;
  for (let r = 0; r < PHRASES.length; r++) PHRASE_CDF[r] = sum += 1 / (r + 1);
  for (let r = 0; r < PHRASE_CDF.length; r++) PHRASE_CDF[r] /= sum;
}

function phrase(random) {
  const u = random();
  let lo = 0;
  let hi = PHRASE_CDF.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (PHRASE_CDF[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return PHRASES[lo];
}

function sentence(random) {
  const length = 4 + Math.floor(random() * 12) + Math.floor(random() * 11); // 4-26 words or phrases
  const words = [];
  for (let i = 0; i < length; i++) {
    let word = random() < PHRASE_SHARE ? phrase(random) : zipfWord(random);
    if (i === 0) word = word[0].toUpperCase() + word.slice(1);
    else if (random() < 0.012) word = String(Math.floor(random() * (random() < 0.5 ? 100 : 10000)));
    words.push(i < length - 1 && random() < 0.07 ? `${word},` : word);
  }
  const end = random();
  return words.join(" ").replace(/\bi\b/g, "I") + (end < 0.86 ? "." : end < 0.96 ? "?" : "!");
}

/**
 * `bytes` bytes (ASCII, so also characters) of prose, the same for the same `seed` and different for
 * different seeds; cut at `bytes` (it may end mid-word, as a truncated message would).
 */
export function prose(seed, bytes = 1024) {
  const random = rng(seed * 2654435761 + 1);
  let out = sentence(random);
  while (out.length < bytes) out += ` ${sentence(random)}`;
  return out.slice(0, bytes);
}
