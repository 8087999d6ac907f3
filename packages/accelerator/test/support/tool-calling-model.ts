import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";

/**
 * A deterministic tool-calling chat model for agents in tests. @langchain/core's fakes return text or
 * one fixed message, so they cannot drive a ReAct loop: this one calls the bound tools named in the
 * user's question (in order), then answers from the tool results.
 */
export class ScriptedToolCallingModel extends BaseChatModel {
  tools: Array<{ name: string }> = [];

  _llmType(): string {
    return "scripted-tool-calling";
  }

  bindTools(tools: Array<{ name: string }>) {
    const bound = new ScriptedToolCallingModel({});
    bound.tools = tools;
    return bound as unknown as ReturnType<BaseChatModel["withConfig"]>;
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const last = messages[messages.length - 1];
    let message: AIMessage;
    if (last.getType() === "tool") {
      const results = messages.filter((m) => m.getType() === "tool").map((m) => String(m.content));
      message = new AIMessage(`Answer from ${results.length} tool results: ${results.join(" | ")}`);
    } else {
      const text = String(last.content);
      const calls = this.tools
        .filter((t) => text.includes(t.name))
        .map((t, i) => ({ id: `call_${messages.length}_${i}`, name: t.name, args: { query: text } }));
      message = calls.length ? new AIMessage({ content: "", tool_calls: calls }) : new AIMessage(`No tool needed for: ${text}`);
    }
    return { generations: [{ text: String(message.content), message }] };
  }
}
