// Profiles a ReAct agent (LangGraph's createReactAgent, two tools) over a few turns on LangGraph's own
// SqliteSaver: prints the profiler's report and advice and writes the HTML report; then does the same
// after patchLangGraph({ profile: true }) (acceleration plus the process-wide profiler, no callbacks
// passed) and prints the difference.
//   TURNS=12 node profile-agent.mjs
import { tool } from "@langchain/core/tools";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { createProfiler, getProfiler, patchLangGraph } from "@fast-langgraph/accelerator";
import { z } from "zod";

import { chatModel, usingRealModel } from "./lib/model.mjs";
import { dataFile, removeDatabase } from "./lib/paths.mjs";

const turns = Number(process.env.TURNS ?? 12);
const weather = tool(async ({ city }) => `${city}: 18°C, light rain, wind 12 km/h. ${"Forecast details. ".repeat(40)}`, {
  name: "weather",
  description: "Current weather for a city",
  schema: z.object({ city: z.string() }),
});
const convert = tool(async ({ celsius }) => `${celsius}°C is ${(celsius * 9) / 5 + 32}°F`, {
  name: "celsius_to_fahrenheit",
  description: "Convert a temperature",
  schema: z.object({ celsius: z.number() }),
});
const llm = await chatModel((text) => {
  const deg = /(\d+)\s*°?\s*C\b/.exec(text)?.[1];
  if (deg) return [{ name: "celsius_to_fahrenheit", args: { celsius: Number(deg) } }];
  const city = /weather in ([A-Z][a-z]+)/.exec(text)?.[1];
  return city ? [{ name: "weather", args: { city } }] : [];
});
const cities = ["Lisbon", "Oslo", "Porto", "Turin", "Ghent", "Bern"];

/** `profiler` given: attached by hand (probe + callbacks); else the process-wide one patchLangGraph({ profile: true }) attached. */
async function profiledConversation(label, dbName, explicit) {
  const file = dataFile(dbName);
  removeDatabase(file);
  const checkpointer = SqliteSaver.fromConnString(file);
  const agent = createReactAgent({ llm, tools: [weather, convert], checkpointSaver: checkpointer });
  const profiler = explicit ?? getProfiler();
  if (explicit) profiler.probe(agent);
  const plain = { configurable: { thread_id: "travel-desk" } };
  const config = explicit ? profiler.withCallbacks(plain) : plain;
  for (let i = 0; i < turns; i++) {
    const ask = i % 2 === 0 ? `What is the weather in ${cities[(i / 2) % cities.length]}?` : "And what is 18 C in Fahrenheit?";
    await agent.invoke({ messages: [{ role: "user", content: ask }] }, config);
  }
  const summary = profiler.summary();
  console.log(`\n=== ${label} ===`);
  console.log(profiler.report());
  const html = profiler.writeHtml(dataFile(`${dbName.replace(/\.db$/, "")}.html`), { title: `ReAct agent on ${label}` });
  console.log(`HTML report: ${html}`);
  return summary;
}

console.log(
  `A ReAct agent, ${turns} turns on one thread${usingRealModel() ? "" : " (offline scripted model; set OPENAI_API_KEY for a real one)"}.`,
);
const before = await profiledConversation("SqliteSaver", "profile-agent-before.db", createProfiler());
const report = await patchLangGraph({ profile: true });
console.log(`\npatchLangGraph({ profile: true }) patched: ${[...new Set(report.patched.map((p) => p.target))].join(", ")}`);
const after = await profiledConversation("SqliteSaver after patchLangGraph()", "profile-agent-after.db");

const opMs = (s) => s.checkpoints.reduce((sum, c) => sum + c.totalMs, 0);
const line = (label, s) =>
  `${label.padEnd(36)} ${(s.totals.runMs / turns).toFixed(2).padStart(7)} ms per turn; checkpointer in flight ${(s.totals.checkpointShare * 100).toFixed(1).padStart(5)}% of run time; checkpointer calls ${opMs(s).toFixed(1).padStart(8)} ms in total`;
console.log("\n=== Difference ===");
console.log(line("SqliteSaver", before));
console.log(line("SqliteSaver after patchLangGraph()", after));
const speedup = before.totals.runMs / Math.max(after.totals.runMs, 1e-6);
console.log(
  `Run time: ${(speedup >= 1 ? speedup : 1 / speedup).toFixed(2)}x ${speedup >= 1 ? "faster" : "slower"} after patchLangGraph() (${turns} turns; one run, not a benchmark).`,
);
