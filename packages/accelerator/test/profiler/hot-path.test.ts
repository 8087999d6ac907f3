import { FakeListChatModel } from "@langchain/core/utils/testing";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import { createProfiler } from "../../src/profiler";
import { estimateJsonBytes } from "../../src/profiler/state-size";

// The cheaper recording paths of the profiler's hot path: state sizes of the copies a saver returns,
// and the per-message prompt digests that replaced node:crypto's sha1.

describe("estimateJsonBytes on a saver's copies of a thread's messages", () => {
  const thread = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) =>
      i % 2
        ? new AIMessage({ content: `answer ${i} ${"word ".repeat(30 + (i % 5) * 10)}`, id: `${tag}-a${i}` })
        : new HumanMessage({ content: `question ${i} ${"q ".repeat(10 + i)}`, id: `${tag}-h${i}` }),
    );

  test("a deserialized copy gets the original's estimate, and both are within 15% of the JSON text", async () => {
    const serde = new JsonPlusSerializer();
    const original = thread(40, "copy");
    const [type, bytes] = await serde.dumpsTyped(original);
    const copy = (await serde.loadsTyped(type, bytes)) as AIMessage[];
    expect(copy[1]).not.toBe(original[1]);
    expect(copy[1].content).toBe(original[1].content);
    const exact = JSON.stringify(original).length;
    const first = estimateJsonBytes(original);
    expect(Math.abs(first - exact) / exact).toBeLessThan(0.15);
    expect(estimateJsonBytes(copy)).toBe(first);
  });

  test("a message edited under the same id is measured again", () => {
    const before = new AIMessage({ content: "short", id: "edited-1" });
    const after = new AIMessage({ content: "a much longer answer ".repeat(50), id: "edited-1" });
    const calls = new AIMessage({
      content: "short",
      id: "edited-1",
      tool_calls: [{ id: "c1", name: "search", args: { q: "x".repeat(400) } }],
    });
    const small = estimateJsonBytes(before);
    expect(estimateJsonBytes(after)).toBeGreaterThan(small + 900);
    expect(estimateJsonBytes(calls)).toBeGreaterThan(small + 400);
  });
});

describe("repeated prompts with the JS digests", () => {
  test("300 distinct prompts count no repeat; sending them again counts 300, and copies of the messages count too", async () => {
    const model = new FakeListChatModel({ responses: ["ok"] });
    const prompts = Array.from({ length: 300 }, (_, i) => [
      new HumanMessage(`system prompt shared by every call ${"x".repeat(3000)}`),
      // Long, differing only near the start: inside the first KiB that is hashed.
      new HumanMessage(`${i} ${"y".repeat(5000)}`),
    ]);
    const profiler = createProfiler({ otel: false });
    for (const p of prompts) await model.invoke(p, { callbacks: [profiler.handler] });
    expect(profiler.summary().models[0]).toMatchObject({ count: 300, repeatedPrompts: 0 });
    for (const p of prompts)
      await model.invoke(
        p.map((m) => new HumanMessage(String(m.content))),
        { callbacks: [profiler.handler] },
      );
    expect(profiler.summary().models[0]).toMatchObject({ count: 600, repeatedPrompts: 300 });
  });

  test("a saver's copies of messages with ids repeat the prompt; an edit under the same id does not", async () => {
    const model = new FakeListChatModel({ responses: ["ok"] });
    const serde = new JsonPlusSerializer();
    const history = [
      new HumanMessage({ content: "what is the weather in Paris?", id: "h-1" }),
      new AIMessage({ content: "Sunny, 21 degrees.", id: "a-1" }),
      new HumanMessage({ content: "and tomorrow?", id: "h-2" }),
    ];
    const profiler = createProfiler({ otel: false });
    await model.invoke(history, { callbacks: [profiler.handler] });
    const [type, bytes] = await serde.dumpsTyped(history);
    const copy = (await serde.loadsTyped(type, bytes)) as typeof history;
    expect(copy[0]).not.toBe(history[0]);
    await model.invoke(copy, { callbacks: [profiler.handler] });
    expect(profiler.summary().models[0]).toMatchObject({ count: 2, repeatedPrompts: 1 });
    const edited = [...copy.slice(0, 2), new HumanMessage({ content: "and the day after tomorrow?", id: "h-2" })];
    await model.invoke(edited, { callbacks: [profiler.handler] });
    expect(profiler.summary().models[0]).toMatchObject({ count: 3, repeatedPrompts: 1 });
  });
});
