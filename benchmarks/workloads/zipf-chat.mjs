// A realistic chat history for decoding benchmarks: words drawn from a seeded 6,000-word vocabulary
// with a Zipf-like frequency (rank^-1.07, as measured for English text), so the bytes compress and
// parse like real prose; turns of a human question (~300 B), the agent's tool call, the tool's
// result (~800 B) and the agent's answer (~600 B).
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";

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

const SYLLABLES = "ka lo mi ne ra to su vi de an or el in us ta ri po me la sa co ve ni du ge ba fo he ju".split(" ");
const VOCABULARY_SIZE = 6000;

function vocabulary() {
  const rand = seeded(7);
  const words = new Set();
  while (words.size < VOCABULARY_SIZE) {
    const n = 1 + Math.floor(rand() * 3.2);
    let w = "";
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    words.add(w);
  }
  return [...words];
}

const WORDS = vocabulary();
const CUMULATIVE = (() => {
  const weights = WORDS.map((_, rank) => 1 / (rank + 1) ** 1.07);
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  return weights.map((w) => (sum += w / total));
})();

function word(rand) {
  const x = rand();
  let lo = 0;
  let hi = CUMULATIVE.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (CUMULATIVE[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return WORDS[lo];
}

/** About `bytes` of sentence-like text drawn from the Zipf vocabulary with the PRNG `rand`. */
export function zipfText(rand, bytes) {
  let out = "";
  let sentence = 0;
  while (out.length < bytes) {
    let w = word(rand);
    if (sentence === 0) w = w[0].toUpperCase() + w.slice(1);
    out += w;
    sentence++;
    if (sentence > 6 && rand() < 0.15) {
      out += rand() < 0.8 ? ". " : "? ";
      sentence = 0;
    } else out += rand() < 0.08 ? ", " : " ";
  }
  return out.trimEnd();
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
