// One support-agent thread on PostgreSQL, turn by turn: on LangGraph's PostgresSaver, on the same
// PostgresSaver after patchLangGraph(), and on RustPostgresSaver in both layouts, each in a schema of
// its own; then PostgresSaver reads the thread RustPostgresSaver wrote in the default layout.
// DATABASE_URL picks the server; without it, the repository's private loopback server is started.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { RustPostgresSaver, patchLangGraph, unpatchLangGraph } from "@fast-langgraph/accelerator";
import pg from "pg";

import { supportAgent, userTurn } from "./lib/support-agent.mjs";

const TURNS = Number(process.env.TURNS ?? 150);
const here = path.dirname(fileURLToPath(import.meta.url));
const url =
  process.env.DATABASE_URL ?? execFileSync(path.join(here, "../../scripts/test-postgres.sh"), ["start"], { encoding: "utf8" }).trim();
const config = { configurable: { thread_id: "customer-42" } };
const prefix = `fast_langgraph_example_${process.pid}`;

async function sql(text, params) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

async function schemaBytes(schema) {
  const rows = await sql(
    "SELECT coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))), 0)::bigint AS bytes FROM pg_tables WHERE schemaname = $1",
    [schema],
  );
  return Number(rows[0].bytes);
}

async function run(label, schema, make, after = async () => {}) {
  const checkpointer = await make(schema);
  await checkpointer.setup();
  const graph = supportAgent(checkpointer);
  const started = performance.now();
  let state;
  for (let i = 0; i < TURNS; i++) state = await graph.invoke({ messages: [userTurn(i)] }, config);
  const ms = performance.now() - started;
  await checkpointer.end();
  await after();
  return { label, schema, ms, messages: state.messages.length, bytes: await schemaBytes(schema) };
}

console.log(`Running ${TURNS} customer turns on one thread with each saver (PostgreSQL at ${new URL(url).host})...`);
const results = [];
results.push(
  await run("PostgresSaver (@langchain/langgraph-checkpoint-postgres)", `${prefix}_official`, (schema) =>
    PostgresSaver.fromConnString(url, { schema }),
  ),
);
await patchLangGraph({ memorySaver: false, sqliteSaver: false, stateMerger: false, caches: false });
results.push(
  await run(
    "PostgresSaver after patchLangGraph()",
    `${prefix}_patched`,
    (schema) => PostgresSaver.fromConnString(url, { schema }),
    async () => void unpatchLangGraph(),
  ),
);
results.push(await run("RustPostgresSaver (default layout)", `${prefix}_rust`, (schema) => new RustPostgresSaver(url, { schema })));
results.push(
  await run(
    "RustPostgresSaver (compact layout)",
    `${prefix}_compact`,
    (schema) => new RustPostgresSaver(url, { schema, layout: "compact" }),
  ),
);

const mb = (b) => `${(b / 1e6).toFixed(2)} MB`;
for (const r of results)
  console.log(`  ${r.label.padEnd(58)} ${(r.ms / 1000).toFixed(2)} s  ${mb(r.bytes).padStart(9)}  ${r.messages} messages`);
const [base] = results;
for (const r of results.slice(1)) {
  console.log(`${r.label}: ${(base.ms / r.ms).toFixed(1)}x faster, ${(r.bytes / base.bytes).toFixed(2)}x PostgresSaver's bytes`);
}

// PostgresSaver reads what RustPostgresSaver wrote in the default layout, and continues the thread.
const official = PostgresSaver.fromConnString(url, { schema: `${prefix}_rust` });
const resumed = await supportAgent(official).invoke({ messages: [userTurn(TURNS)] }, config);
await official.end();
console.log(`PostgresSaver read the RustPostgresSaver thread and continued it to ${resumed.messages.length} messages.`);

if (!process.env.KEEP) for (const r of results) await sql(`DROP SCHEMA IF EXISTS "${r.schema}" CASCADE`);
else console.log(`Schemas kept: ${results.map((r) => r.schema).join(", ")}`);
