// LLM cache tiers: lookup latency (hit and miss) of RustLLMCache's PostgreSQL tier against its memory
// tier and its SQLite tier, and against LangChain's InMemoryCache. LangChain.js has no PostgreSQL
// cache of its own (@langchain/community's caches are ioredis, Upstash Redis, Vercel KV, Cloudflare
// KV and Momento), so there is none to compare with.
//
// Each measurement runs in a fresh process, so that a persistent tier's hit is a real read of that
// tier (the first lookup of a key in a process, as on another replica), not a memory-tier hit.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { InMemoryCache } from "@langchain/core/caches";
import { AIMessage } from "@langchain/core/messages";
import { RustLLMCache } from "@fast-langgraph/accelerator";

import { QUICK, formatTable, interleavedRuns, median, recordResult } from "./lib/harness.mjs";
import { benchPostgresUrl, withPg } from "./lib/postgres.mjs";

const LLM_KEY = "_model:base_chat_model,_type:openai,model_name:gpt-4o-mini,temperature:0";
const KEYS = QUICK ? 200 : 1000;
const prompt = (i) => `Human: question ${i}: ${"please summarise the attached customer conversation. ".repeat(40)}`;
const generation = (i) => [
  {
    text: `answer ${i}: the customer wants a refund for order 1042; next step is approval.`,
    message: new AIMessage({
      content: `answer ${i}: the customer wants a refund for order 1042; next step is approval.`,
      usage_metadata: { input_tokens: 120, output_tokens: 60, total_tokens: 180 },
    }),
  },
];

function open(variant, where) {
  if (variant === "InMemoryCache") return new InMemoryCache(new Map());
  if (variant === "memory tier") return new RustLLMCache({ maxEntries: KEYS * 2 });
  if (variant === "SQLite tier") return new RustLLMCache({ path: where.file, maxEntries: KEYS * 2 });
  return new RustLLMCache({ maxEntries: KEYS * 2, postgres: { connectionString: where.url, schema: where.schema, table: "bench_cache" } });
}

if (process.argv.includes("--child")) {
  const [variant, mode, where] = process.argv.slice(process.argv.indexOf("--child") + 1);
  const w = JSON.parse(where);
  const cache = open(variant, w);
  if (mode === "fill" || mode.startsWith("store")) {
    // store:<tag>: KEYS new entries, timed until they are in the tier (flush resolved).
    const tag = mode.startsWith("store") ? mode.slice(6) : "";
    await cache.ready?.();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < KEYS; i++) await cache.update(`${tag}${prompt(i)}`, LLM_KEY, generation(i));
    const callsUs = Number(process.hrtime.bigint() - t0) / 1e3 / KEYS;
    await cache.flush?.();
    const us = Number(process.hrtime.bigint() - t0) / 1e3 / KEYS;
    console.log(JSON.stringify({ us, callsUs, digest: "", dropped: cache.stats().dropped }));
    process.exit(0);
  }
  if (variant === "InMemoryCache" || variant === "memory tier") {
    for (let i = 0; i < KEYS; i++) await cache.update(prompt(i), LLM_KEY, generation(i));
  }
  await cache.ready?.();
  // One warm-up lookup of a key outside the measured set (connections, statements).
  await cache.lookup("warm-up", LLM_KEY);
  const digest = crypto.createHash("sha256");
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < KEYS; i++) {
    const hit = await cache.lookup(mode === "hit" ? prompt(i) : `absent ${i}`, LLM_KEY);
    digest.update(hit ? `${hit[0].text}|${hit[0].message.constructor.name}` : "miss");
  }
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / KEYS;
  console.log(JSON.stringify({ us, digest: digest.digest("hex"), hits: cache.stats?.().hits ?? null }));
  process.exit(0);
}

const here = fileURLToPath(import.meta.url);
const child = (variant, mode, where) =>
  JSON.parse(
    execFileSync(process.execPath, [here, "--child", variant, mode, JSON.stringify(where)], { encoding: "utf8" })
      .trim()
      .split("\n")
      .pop(),
  );

const url = benchPostgresUrl();
const schema = `bench_llm_cache_${process.pid}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flg-bench-cache-"));
const where = { url, schema, file: path.join(dir, "cache.sqlite") };
await withPg(url, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
child("SQLite tier", "fill", where);
child("PostgreSQL tier", "fill", where);

const VARIANTS = ["InMemoryCache", "memory tier", "SQLite tier", "PostgreSQL tier"];
const ROUNDS = QUICK ? 3 : 7;
const figures = {};
const rows = [];
try {
  for (const mode of ["hit", "miss"]) {
    const runs = await interleavedRuns(VARIANTS, ROUNDS, `lookup ${mode}`, async (v) => child(v, mode, where));
    process.stdout.write("\n");
    const digests = new Set(VARIANTS.map((v) => runs[v][0].digest));
    if (digests.size !== 1) throw new Error(`lookup ${mode}: the tiers answered differently, refusing to time unequal work`);
    figures[mode] = Object.fromEntries(
      VARIANTS.map((v) => [v, { medianUs: median(runs[v].map((r) => r.us)), rounds: runs[v].map((r) => r.us) }]),
    );
    rows.push({
      lookup: mode,
      ...Object.fromEntries(VARIANTS.map((v) => [`${v} µs`, figures[mode][v].medianUs.toFixed(1)])),
    });
  }
} catch (e) {
  await withPg(url, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  throw e;
}
const STORES = ["SQLite tier", "PostgreSQL tier"];
let round = 0;
try {
  const runs = await interleavedRuns(STORES, ROUNDS, "store", async (v) => child(v, `store:r${round++}-`, where));
  process.stdout.write("\n");
  figures.store = Object.fromEntries(
    STORES.map((v) => [
      v,
      {
        medianUs: median(runs[v].map((r) => r.us)),
        callsMedianUs: median(runs[v].map((r) => r.callsUs)),
        dropped: runs[v].map((r) => r.dropped),
      },
    ]),
  );
} finally {
  await withPg(url, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(formatTable(rows));
console.log(
  formatTable(
    STORES.map((v) => ({
      store: v,
      "update() µs (JS thread)": figures.store[v].callsMedianUs.toFixed(1),
      "until flushed µs/entry": figures.store[v].medianUs.toFixed(1),
      dropped: figures.store[v].dropped.join(","),
    })),
  ),
);
recordResult("llm-cache-pg", {
  method:
    `${KEYS} distinct 2 KB prompts with ~80 B answers (an AIMessage with usage metadata); per round and tier a fresh process looks up each key once ` +
    "(hit) or looks up absent keys (miss), after one warm-up lookup; µs per lookup, median of interleaved rounds. InMemoryCache and the memory tier " +
    "are filled in that process; the SQLite and PostgreSQL tiers by another process beforehand, so their hits read the tier. Answers checked equal " +
    "across tiers (a digest of every lookup's result). PostgreSQL on loopback (scripts/test-postgres.sh). LangChain.js has no PostgreSQL cache to compare with. " +
    `Store: per round and tier a fresh process stores ${KEYS} new entries; time of the update() calls and until flush() resolved, per entry.`,
  figures: { keys: KEYS, latencyMicroseconds: figures },
  summary: [],
});
