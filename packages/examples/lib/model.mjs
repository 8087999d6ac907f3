// The chat model the examples use: a real OpenAI model when OPENAI_API_KEY is set (OPENAI_MODEL picks
// which, default gpt-4o-mini), otherwise a scripted offline model that calls tools the way a real
// one would, so every example runs without a network.
import { AIMessage, ToolMessage } from "@langchain/core/messages";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";

/** Calls the first bound tool whose name appears in `plan(lastHumanText)`, then answers from the results. */
class ScriptedToolCallingModel extends BaseChatModel {
  constructor(plan) {
    super({});
    this.plan = plan;
    this.tools = [];
  }

  _llmType() {
    return "scripted-tool-calling";
  }

  bindTools(tools) {
    const bound = new ScriptedToolCallingModel(this.plan);
    bound.tools = tools;
    return bound;
  }

  async _generate(messages) {
    const last = messages.at(-1);
    let message;
    if (last instanceof ToolMessage || last?._getType?.() === "tool") {
      const results = [];
      for (let i = messages.length - 1; i >= 0 && messages[i]._getType() === "tool"; i--) results.unshift(messages[i].content);
      message = new AIMessage(`Here is what I found: ${results.join("; ")}.`);
    } else {
      const text = typeof last?.content === "string" ? last.content : JSON.stringify(last?.content);
      const calls = this.plan(text).filter((c) => this.tools.some((t) => t.name === c.name));
      message = calls.length
        ? new AIMessage({
            content: "",
            tool_calls: calls.map((c, i) => ({ id: `call_${messages.length}_${i}`, name: c.name, args: c.args })),
          })
        : new AIMessage(`You said: ${text}`);
    }
    return { generations: [{ text: typeof message.content === "string" ? message.content : "", message }] };
  }
}

export async function chatModel(plan) {
  if (process.env.OPENAI_API_KEY) {
    const { ChatOpenAI } = await import("@langchain/openai");
    return new ChatOpenAI({ model: process.env.OPENAI_MODEL ?? "gpt-4o-mini", temperature: 0 });
  }
  return new ScriptedToolCallingModel(plan);
}

export const usingRealModel = () => Boolean(process.env.OPENAI_API_KEY);
