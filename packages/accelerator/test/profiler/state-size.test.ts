import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { estimateJsonBytes } from "../../src/profiler/state-size";

describe("estimateJsonBytes", () => {
  test("is within 15% of the JSON text's length for messages, plain values and long sampled arrays", () => {
    const plain = { a: "x".repeat(500), b: [1, 2, 3], c: { d: true, e: null } };
    const messages = Array.from({ length: 300 }, (_, i) =>
      i % 2
        ? new AIMessage({ content: `answer ${i} ${"word ".repeat(20 + (i % 7) * 10)}`, id: `a${i}` })
        : new HumanMessage(`question ${i}`),
    );
    for (const value of [plain, messages.slice(0, 10), messages]) {
      const exact = JSON.stringify(value).length;
      const estimate = estimateJsonBytes(value);
      expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.15);
    }
    // Bounded: a budget caps the walk (the figure is then a lower bound).
    // (an object of 50 keys: long arrays are sampled, objects are walked whole)
    const wide = { fields: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, { k: `v${i}`.repeat(20) }])) };
    expect(estimateJsonBytes(wide, 10)).toBeLessThan(estimateJsonBytes(wide) / 3);
  });
});
