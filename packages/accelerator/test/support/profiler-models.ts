import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A chat model for profiler tests: answers `reply:<last message>` after `sleepMs`, reports token usage
 * (one token per word), streams word by word, and fails with an HTTP 429 error on the calls listed
 * in `failOn` (1-based call numbers).
 */
export class ScheduledChatModel extends BaseChatModel {
  calls = 0;
  constructor(
    private readonly sleepMs = 0,
    private readonly failOn: number[] = [],
  ) {
    super({});
  }

  _llmType(): string {
    return "scheduled";
  }

  private answer(messages: BaseMessage[]): string {
    this.calls++;
    if (this.failOn.includes(this.calls)) {
      const err = new Error("429 Too Many Requests: rate limit reached") as Error & { status: number };
      err.status = 429;
      throw err;
    }
    return `reply: ${String(messages[messages.length - 1].content)}`;
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    await sleep(this.sleepMs);
    const text = this.answer(messages);
    const usage = { input_tokens: messages.length * 3, output_tokens: text.split(" ").length, total_tokens: 0 };
    usage.total_tokens = usage.input_tokens + usage.output_tokens;
    return { generations: [{ text, message: new AIMessage({ content: text, usage_metadata: usage }) }] };
  }

  async *_streamResponseChunks(
    messages: BaseMessage[],
    _options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    await sleep(this.sleepMs);
    const text = this.answer(messages);
    for (const word of text.split(/(?= )/)) {
      await sleep(1);
      const chunk = new ChatGenerationChunk({ text: word, message: new AIMessageChunk({ content: word }) });
      yield chunk;
      await runManager?.handleLLMNewToken(word, undefined, undefined, undefined, undefined, { chunk });
    }
  }
}
