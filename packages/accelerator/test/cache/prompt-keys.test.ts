import { InMemoryCache } from "@langchain/core/caches";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage, type ChatMessage, HumanMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { tool } from "@langchain/core/tools";
import { z } from "zod";

import { patchLangGraph, unpatchLangGraph, withLLMCache } from "../../src";

// Keys: withLLMCache must tell apart every pair of prompts LangChain's own key tells apart
// (getBufferString: role, name, content, tool calls, function_call), also for fields set after a
// message was built, and every pair of different bound tools; the patched InMemoryCache must key
// exactly as LangChain's InMemoryCache (its keyEncoder over getBufferString and the call options).

/** Answers name every field a provider would send, so a wrong hit is seen in the answer. */
class EchoModel extends BaseChatModel {
  calls = 0;
  constructor() {
    super({});
  }
  _llmType() {
    return "echo-fake";
  }
  bindTools(tools: unknown[], kwargs?: Record<string, unknown>) {
    return this.withConfig({ tools, ...kwargs } as never);
  }
  async _generate(messages: BaseMessage[], callOptions: this["ParsedCallOptions"]): Promise<ChatResult> {
    const options = callOptions as { tools?: { name: string }[] };
    this.calls += 1;
    const text = JSON.stringify(
      messages.map((m) => [m.type, (m as ChatMessage).role, m.name, m.content, (m as AIMessage).tool_calls, m.additional_kwargs]),
    );
    const tools = (options.tools ?? []).map((t) => ({ name: t.name, args: {}, id: `c${this.calls}`, type: "tool_call" as const }));
    return { generations: [{ text, message: new AIMessage({ content: text, tool_calls: tools }) }] };
  }
}

const named = (name: string) => {
  const m = new HumanMessage("who am I?");
  m.name = name;
  return m;
};
const withToolCallArgs = (json: string) => {
  const m = new AIMessage("");
  m.tool_calls = [{ name: "t", args: JSON.parse(json), id: "1", type: "tool_call" }];
  return m;
};
/** Pairs of prompts that LangChain's own key (getBufferString) tells apart and the earlier key (toJSON, which copies only the
 * fields a message was built with, and drops own __proto__ keys) did not. */
const PAIRS: [string, () => BaseMessage, () => BaseMessage][] = [
  ["a name set after the message was built", () => named("alice"), () => named("bob")],
  [
    "tool-call args differing in an own __proto__ key",
    () => withToolCallArgs('{"__proto__": {"x": 1}}'),
    () => withToolCallArgs('{"__proto__": {"x": 2}}'),
  ],
];

afterEach(() => unpatchLangGraph());

describe("withLLMCache keys", () => {
  it.each(PAIRS)("tells apart prompts differing in %s, as LangChain's key does, and answers as the plain model", async (_, one, two) => {
    const plain = new EchoModel();
    const expected = [(await plain.invoke([one()])).content, (await plain.invoke([two()])).content];
    expect(expected[0]).not.toEqual(expected[1]);
    const model = withLLMCache(new EchoModel());
    expect([(await model.invoke([one()])).content, (await model.invoke([two()])).content]).toEqual(expected);
    expect(model.calls).toBe(2);
    expect((await model.invoke([two()])).content).toEqual(expected[1]);
    expect(model.calls).toBe(2);
  });

  it("tells apart different bound tools (a DynamicStructuredTool's JSON is the same for every tool) and hits for the same tool", async () => {
    const weather = tool(async () => "sunny", { name: "get_weather", description: "weather", schema: z.object({ city: z.string() }) });
    const wire = tool(async () => "sent", { name: "send_money", description: "transfer funds", schema: z.object({ to: z.string() }) });
    const wire2 = tool(async () => "sent", { name: "send_money", description: "transfer funds", schema: z.object({ to: z.number() }) });
    const model = withLLMCache(new EchoModel());
    const call = async (t: unknown) => ((await model.bindTools([t]).invoke("do it")) as AIMessage).tool_calls?.[0].name;
    expect(await call(weather)).toBe("get_weather");
    expect(await call(wire)).toBe("send_money");
    expect(model.calls).toBe(2);
    await call(wire2);
    expect(model.calls).toBe(3);
    expect(await call(weather)).toBe("get_weather");
    expect(model.calls).toBe(3);
  });
});

describe("the patched InMemoryCache keys as LangChain's InMemoryCache", () => {
  const patchCaches = () => patchLangGraph({ memorySaver: false, sqliteSaver: false, postgresSaver: false, stateMerger: false });

  it("pairs LangChain's default key encoder joins alike (sha256 of prompt_llmKey) share an entry, as unpatched", async () => {
    const collide = async (cache: InMemoryCache) => {
      await cache.update("a_b", "c", [{ text: "one" }]);
      return (await cache.lookup("a", "b_c"))?.[0].text;
    };
    const unpatched = await collide(new InMemoryCache());
    await patchCaches();
    expect(await collide(new InMemoryCache())).toBe(unpatched);
    expect(unpatched).toBe("one");
  });

  it("uses the instance's keyEncoder: pairs it maps to one key share an entry, as unpatched", async () => {
    const update = async (cache: InMemoryCache) => {
      cache.makeDefaultKeyEncoder((prompt) => prompt.toLowerCase());
      await cache.update("Hello", "llm-a", [{ text: "one" }]);
      return (await cache.lookup("HELLO", "llm-b"))?.[0].text;
    };
    const unpatched = await update(new InMemoryCache());
    await patchCaches();
    expect(await update(new InMemoryCache())).toBe(unpatched);
    expect(unpatched).toBe("one");
  });
});
