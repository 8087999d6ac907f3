// A ReAct agent (LangGraph's createReactAgent) with two tools, whose conversation lives in a
// RustSqliteSaver file: run it twice and the second process continues the first one's thread.
//   node react-agent.mjs [--reset] ["your question"]
import { tool } from "@langchain/core/tools";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { RustSqliteSaver } from "@fast-langgraph/accelerator";
import { z } from "zod";

import { chatModel, usingRealModel } from "./lib/model.mjs";
import { dataFile, removeDatabase } from "./lib/paths.mjs";

const file = dataFile("react-agent.db");
if (process.argv.includes("--reset")) removeDatabase(file);
const question = process.argv.slice(2).find((a) => !a.startsWith("--"));

const weather = tool(async ({ city }) => `${city}: 18°C, light rain, wind 12 km/h`, {
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

const checkpointer = new RustSqliteSaver(file);
const agent = createReactAgent({ llm, tools: [weather, convert], checkpointSaver: checkpointer });
const config = { configurable: { thread_id: "travel-desk" } };

const before = (await agent.getState(config)).values.messages?.length ?? 0;
const ask = question ?? (before === 0 ? "What is the weather in Lisbon?" : "And what is 18 C in Fahrenheit?");
console.log(before === 0 ? "New thread." : `Continuing the thread from an earlier run (${before} messages stored).`);
console.log(`> ${ask}${usingRealModel() ? "" : "   (offline scripted model; set OPENAI_API_KEY for a real one)"}`);
const result = await agent.invoke({ messages: [{ role: "user", content: ask }] }, config);
for (const m of result.messages.slice(before + 1)) {
  const text = m.tool_calls?.length ? `calls ${m.tool_calls.map((c) => `${c.name}(${JSON.stringify(c.args)})`).join(", ")}` : m.content;
  console.log(`  ${m._getType()}: ${text}`);
}
let checkpoints = 0;
for await (const _ of checkpointer.list(config)) checkpoints += 1;
console.log(`Thread "travel-desk" now holds ${result.messages.length} messages in ${checkpoints} checkpoints (${file}).`);
checkpointer.close();
