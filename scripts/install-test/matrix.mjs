// Copied into the version-matrix project by scripts/install-test.mjs. A graph with parallel branches, interrupts
// and a messages channel runs unpatched on MemorySaver, then patched on MemorySaver and on RustSqliteSaver: the
// invoke results, the final state and the whole state history must be equal. Prints one JSON line.
// EXPECT_UNSUPPORTED="<package> <version>": the installed version is outside the supported ranges, so
// patchLangGraph must patch nothing and give one reason naming that version and the supported range.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as acc from "@fast-langgraph/accelerator";

const installed = (pkg) => JSON.parse(fs.readFileSync(path.join("node_modules", pkg, "package.json"), "utf8")).version;
const versions = Object.fromEntries(
  ["@langchain/langgraph", "@langchain/langgraph-checkpoint", "@langchain/core"].map((p) => [p.slice("@langchain/".length), installed(p)]),
);

if (process.env.EXPECT_UNSUPPORTED) {
  const [pkg, version] = process.env.EXPECT_UNSUPPORTED.split(" ");
  const report = await acc.patchLangGraph();
  const reasons = [...new Set(report.skipped.map((s) => s.reason))];
  const ok =
    report.patched.length === 0 &&
    !acc.getPatchStatus().active &&
    reasons.length === 1 &&
    reasons[0].includes(`${pkg} ${version} is installed`) &&
    reasons[0].includes("supported: >=") &&
    !reasons[0].includes("not installed");
  console.log(JSON.stringify({ versions, unsupported: `${pkg} ${version}`, ok, reason: reasons[0] }));
  process.exit(ok ? 0 : 1);
}

const lg = await import("@langchain/langgraph");
const { StateGraph, Annotation, MessagesAnnotation, MemorySaver, START, END, interrupt, Command } = lg;

const State = Annotation.Root({
  ...MessagesAnnotation.spec,
  log: Annotation({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

function build(checkpointer) {
  return new StateGraph(State)
    .addNode("plan", (s) => ({ messages: [{ role: "ai", content: `plan: ${s.messages.at(-1).content}`, id: `plan-${s.messages.length}` }], log: ["plan"] }))
    .addNode("left", (s) => ({ messages: [{ role: "ai", content: "left", id: `left-${s.messages.length}` }], log: ["left"] }))
    .addNode("right", (s) => ({ messages: [{ role: "ai", content: "right", id: `right-${s.messages.length}` }], log: ["right"] }))
    .addNode("review", (s) => {
      const answer = interrupt({ question: "approve?", seen: s.log.length });
      return { messages: [{ role: "human", content: `answer: ${answer}`, id: `answer-${s.messages.length}` }], log: ["review"] };
    })
    .addEdge(START, "plan")
    .addEdge("plan", "left")
    .addEdge("plan", "right")
    .addEdge(["left", "right"], "review")
    .addEdge("review", END)
    .compile({ checkpointer });
}

const kind = (m) => (typeof m.getType === "function" ? m.getType() : m._getType());
// Messages as (type, id, content); interrupt ids (a hash of the run's checkpoint and task ids) left out.
const norm = (v) =>
  JSON.parse(
    JSON.stringify(v, (k, x) => {
      if (x && typeof x === "object" && typeof x._getType === "function") return { type: kind(x), id: x.id, content: x.content };
      if (k === "id" && typeof x === "string" && /^[0-9a-f]{32}$/.test(x)) return undefined;
      return x;
    }),
  );

function firstDifference(a, b, at = "$") {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a && b && typeof a === "object" && typeof b === "object")
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[k], b[k], `${at}.${k}`);
      if (d) return d;
    }
  return `${at}: ${JSON.stringify(a)?.slice(0, 300)} vs ${JSON.stringify(b)?.slice(0, 300)}`;
}

async function run(checkpointer) {
  const graph = build(checkpointer);
  const config = { configurable: { thread_id: "matrix" } };
  const results = [];
  for (const [question, answer] of [
    ["q1", "yes"],
    ["q2", "no"],
  ]) {
    results.push(norm(await graph.invoke({ messages: [{ role: "user", content: question, id: `user-${question}` }] }, config)));
    results.push(norm(await graph.invoke(new Command({ resume: answer }), config)));
  }
  const history = [];
  for await (const s of graph.getStateHistory(config))
    history.push({
      next: s.next,
      step: s.metadata?.step,
      source: s.metadata?.source,
      values: norm(s.values),
      tasks: s.tasks.map((t) => ({ name: t.name, interrupts: (t.interrupts ?? []).map((i) => i.value) })),
    });
  return { results, state: norm((await graph.getState(config)).values), history };
}

const unpatched = await run(new MemorySaver());
// The profiler's hooks (no callbacks) on this version: the same results, and one record per node attempt
// (plan, left and right once per question; review interrupted, then resumed, per question).
const profiler = await acc.createProfiler({ otel: false }).attach();
const profiled = await run(new MemorySaver());
profiler.detach();
const profilerNodes = Object.fromEntries(
  profiler
    .summary()
    .nodes.map((n) => [n.node, n.count])
    .sort(([a], [b]) => a.localeCompare(b)),
);
const report = await acc.patchLangGraph();
const status = acc.getPatchStatus();
const patched = await run(new MemorySaver());
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "flg-matrix-")), "checkpoints.db");
const sqlite = await run(new acc.RustSqliteSaver(file));
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const interrupted = unpatched.results[0].__interrupt__?.length === 1;
const out = {
  versions,
  patchedCopies: report.patched.map((p) => `${p.target}(${p.format})`).length,
  active: status.active,
  checkpoints: unpatched.history.length,
  interrupted,
  patchedEqualsUnpatched: same(unpatched, patched),
  rustSqliteSaverEqualsUnpatched: same(unpatched, sqlite),
  profiledEqualsUnpatched: same(unpatched, profiled),
  profilerNodes,
};
const profilerOk = out.profiledEqualsUnpatched && same(profilerNodes, { left: 2, plan: 2, review: 4, right: 2 });
console.log(JSON.stringify(out));
if (!out.active || !interrupted || !out.patchedEqualsUnpatched || !out.rustSqliteSaverEqualsUnpatched || !profilerOk) {
  for (const [name, got] of [
    ["profiled MemorySaver", profiled],
    ["patched MemorySaver", patched],
    ["RustSqliteSaver", sqlite],
  ])
    if (!same(unpatched, got)) console.error(`unpatched vs ${name}: ${firstDifference(unpatched, got)}`);
  process.exit(1);
}
