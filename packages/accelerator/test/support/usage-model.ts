import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";

/**
 * A chat model that reports token usage as providers do: on the message of `generate` (with token
 * details and response metadata) and on the last chunk of a stream. `calls` counts the calls that
 * reached it; each answer names its call, so a replay is told from a fresh answer.
 */
export class UsageReportingChatModel extends BaseChatModel {
  calls = 0;

  constructor() {
    super({});
  }

  _llmType(): string {
    return "usage-fake";
  }

  private usage(messages: BaseMessage[]) {
    const input = messages.map((m) => String(m.content)).join(" ").length;
    return { input_tokens: input, output_tokens: 5, total_tokens: input + 5, input_token_details: { cache_read: 2 } };
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    this.calls += 1;
    const text = `answer ${this.calls}`;
    const message = new AIMessage({
      content: text,
      usage_metadata: this.usage(messages),
      response_metadata: { model_name: "usage-fake-1" },
    });
    return { generations: [{ text, message, generationInfo: { finish_reason: "stop" } }], llmOutput: { tokenUsage: { totalTokens: 1 } } };
  }

  async *_streamResponseChunks(messages: BaseMessage[]): AsyncGenerator<ChatGenerationChunk> {
    this.calls += 1;
    const words = ["answer", ` ${this.calls}`];
    for (const [i, text] of words.entries()) {
      const last = i === words.length - 1;
      yield new ChatGenerationChunk({
        text,
        message: new AIMessageChunk({ content: text, ...(last ? { usage_metadata: this.usage(messages) } : {}) }),
      });
    }
  }
}
