// A realistic chat history for decoding benchmarks: text from benchmarks/lib/text.mjs (English words
// with Zipf frequencies, so the bytes compress and parse like real prose); turns of a human question (~300 B), the agent's tool call, the tool's
// result (~800 B) and the agent's answer (~600 B).
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";

import { prose } from "../lib/text.mjs";

/** Mulberry32: a small seeded PRNG; returns floats in [0, 1). */
export function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** About `bytes` of realistic prose (benchmarks/lib/text.mjs), seeded from the PRNG `rand`. */
export function zipfText(rand, bytes) {
  return prose(Math.floor(rand() * 2 ** 31), bytes).trimEnd();
}

/** `count` messages (a multiple of 4) of a tool-using chat, seeded. */
export function zipfChat(count, seed = 1) {
  const rand = seeded(seed);
  const messages = [];
  for (let turn = 0; messages.length < count; turn++) {
    const callId = `call_${turn.toString(36)}_${Math.floor(rand() * 1e9).toString(36)}`;
    messages.push(new HumanMessage({ content: zipfText(rand, 300), id: `h-${turn}` }));
    messages.push(
      new AIMessage({
        content: "",
        id: `ai-${turn}-call`,
        tool_calls: [{ id: callId, name: "search", args: { query: zipfText(rand, 40), limit: 5 }, type: "tool_call" }],
        usage_metadata: { input_tokens: 200 + turn * 40, output_tokens: 20, total_tokens: 220 + turn * 40 },
        response_metadata: { model_name: "fake-model", finish_reason: "tool_calls" },
      }),
    );
    messages.push(new ToolMessage({ content: zipfText(rand, 800), tool_call_id: callId, name: "search", id: `t-${turn}` }));
    messages.push(
      new AIMessage({
        content: zipfText(rand, 600),
        id: `ai-${turn}`,
        usage_metadata: { input_tokens: 1100 + turn * 40, output_tokens: 150, total_tokens: 1250 + turn * 40 },
        response_metadata: { model_name: "fake-model", finish_reason: "stop" },
      }),
    );
  }
  return messages.slice(0, count);
}
