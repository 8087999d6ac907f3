// Two builds of the accelerator side by side in one process: what a change costs or gains.
//   node benchmarks/compare-builds.mjs <other checkout> [--quick] [--chat] [--rounds N] [--only TEXT]
// <other checkout> is another clone or worktree of this repository, built (`pnpm build`), whose
// node_modules is a symlink to this checkout's (else each build patches and decodes with its own copy of
// LangGraph and @langchain/core, and the figures compare the copies, not the builds). Both builds'
// RustSqliteSaver (file and :memory:) and patched MemorySaver run the 3-node messages loop and
// LangGraph's react_agent_100x workload in interleaved rounds after a warm-up; outputs are checked
// equal first; medians are printed. With --chat, the chat-turns workload instead (workloads/chat-turns.mjs,
// 100 turns: ms for the whole thread) on both builds' patched MemorySaver, RustSqliteSaver (file) and
// RustPostgresSaver in both layouts (on FLG_BENCH_PG_URL, or the server scripts/test-postgres.sh starts).
// Not part of `pnpm bench` (it needs the second checkout).
import { createRequire } from "node:module";
import path from "node:path";

import { MemorySaver } from "@langchain/langgraph";

import { QUICK, assertEqualOutputs, formatTable, interleavedRounds, numberArg } from "./lib/harness.mjs";
import { scratchDir } from "./lib/disk.mjs";
import { benchPostgresUrl, withPg } from "./lib/postgres.mjs";
import { runChatTurns } from "./workloads/chat-turns.mjs";
import { runWorkload, workloads } from "./workloads/langgraph-bench.mjs";
import { runMessagesLoop } from "./workloads/messages-loop.mjs";

const otherRoot = process.argv[2]?.startsWith("--") ? undefined : process.argv[2];
if (!otherRoot) {
  console.error("usage: node benchmarks/compare-builds.mjs <other checkout> [--quick]");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const builds = {
  this: require(path.resolve(path.dirname(new URL(import.meta.url).pathname), "../packages/accelerator/dist/cjs/index.js")),
  other: require(path.resolve(otherRoot, "packages/accelerator/dist/cjs/index.js")),
};
const STEPS = QUICK ? 100 : 1000;
const ROUNDS = numberArg("--rounds", QUICK ? 1 : 5);
const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
const dir = scratchDir("compare-builds");
let n = 0;

const savers = (build) => ({
  "RustSqliteSaver file": () => {
    const saver = new build.RustSqliteSaver(path.join(dir, `${++n}.sqlite`));
    return { saver, close: () => saver.close() };
  },
  "RustSqliteSaver :memory:": () => {
    const saver = new build.RustSqliteSaver(":memory:");
    return { saver, close: () => saver.close() };
  },
});

async function patchedMemorySaver(build, run) {
  await build.patchLangGraph();
  try {
    return await run(new MemorySaver());
  } finally {
    build.unpatchLangGraph();
  }
}

const CHAT = process.argv.includes("--chat");
const CHAT_TURNS = QUICK ? 20 : 100;
const url = CHAT ? benchPostgresUrl() : undefined;

/** A fresh saver of `make`'s for one chat thread; PostgreSQL savers get a schema of their own, dropped afterwards. */
async function chatThread(make) {
  const { saver, close } = await make();
  try {
    return await runChatTurns({ turns: CHAT_TURNS, checkpointer: saver });
  } finally {
    await close();
  }
}

const chatSavers = (build) => ({
  "RustSqliteSaver file": () => savers(build)["RustSqliteSaver file"](),
  "RustPostgresSaver official": () => postgresSaver(build, "official"),
  "RustPostgresSaver compact": () => postgresSaver(build, "compact"),
});

async function postgresSaver(build, layout) {
  const schema = `flg_compare_${process.pid}_${++n}`;
  const saver = new build.RustPostgresSaver(url, { schema, layout });
  await saver.setup();
  return { saver, close: () => saver.end().then(() => withPg(url, (c) => c.query(`DROP SCHEMA "${schema}" CASCADE`))) };
}

const cases = {};
for (const [label, build] of Object.entries(builds)) {
  if (CHAT) {
    for (const [name, make] of Object.entries(chatSavers(build)))
      cases[`chat ${CHAT_TURNS} turns, ${name} (${label})`] = () => chatThread(make);
    cases[`chat ${CHAT_TURNS} turns, patched MemorySaver (${label})`] = () =>
      patchedMemorySaver(build, (cp) => runChatTurns({ turns: CHAT_TURNS, checkpointer: cp }));
    continue;
  }
  for (const [name, make] of Object.entries(savers(build))) {
    cases[`messages loop ${STEPS}, ${name} (${label})`] = async () => {
      const { saver, close } = make();
      try {
        return await runMessagesLoop({ steps: STEPS, checkpointer: saver });
      } finally {
        close();
      }
    };
  }
  cases[`messages loop ${STEPS}, patched MemorySaver (${label})`] = () =>
    patchedMemorySaver(build, (cp) => runMessagesLoop({ steps: STEPS, checkpointer: cp }));
  cases[`react_agent_100x, patched MemorySaver (${label})`] = () =>
    patchedMemorySaver(build, (cp) => runWorkload(workloads.react_agent_100x.build(cp), workloads.react_agent_100x.input()));
}

if (ONLY !== undefined) for (const name of Object.keys(cases)) if (!name.includes(ONLY)) delete cases[name];
const names = Object.keys(cases);
for (const name of names.filter((x) => x.endsWith("(this)"))) {
  assertEqualOutputs(name, await cases[name](), await cases[name.replace("(this)", "(other)")]());
}
const results = await interleavedRounds(cases, { rounds: ROUNDS, warmup: 1 });
const rows = [];
for (const name of names.filter((x) => x.endsWith("(this)"))) {
  const mine = results[name].median;
  const theirs = results[name.replace("(this)", "(other)")].median;
  rows.push({
    case: name.replace(" (this)", ""),
    "this build (ms)": mine.toFixed(1),
    "other build (ms)": theirs.toFixed(1),
    "this / other": (mine / theirs).toFixed(2),
  });
}
console.log(formatTable(rows));
