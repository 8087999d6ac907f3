import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import type { ToolCall } from "@langchain/core/messages/tool";

import { resilienceNow } from "../../src";

/** An error shaped like the OpenAI / Anthropic SDKs' APIError: `status`, `headers`, `error` body. */
export function httpError(status: number, headers: Record<string, string> | Headers = {}, body?: object): Error {
  return Object.assign(new Error(`${status} status code (fake provider)`), { name: "APIError", status, headers, error: body });
}

/** A LangChain.js-style request timeout (what @langchain/openai turns APIConnectionTimeoutError into). */
export function timeoutError(): Error {
  return Object.assign(new Error("Request timed out."), { name: "TimeoutError" });
}

/** One provider call: answer (optionally with tool calls), fail, fail after some chunks, or hang until aborted. */
export type Step =
  | { reply: string; toolCalls?: ToolCall[]; tokens?: number }
  | { error: Error }
  | { failAfterChunks: number; error: Error; reply: string }
  | { hang: true };

/**
 * A chat model that follows a schedule of outcomes, shared by every copy bindTools makes, and records when
 * each call reached it (on the process-wide resilience clock) and how many ran at once. When the schedule
 * runs out it answers `ok <n>`. Streams send the reply word by word.
 */
export class ScheduledChatModel extends BaseChatModel {
  schedule: Step[];
  calls: number[] = [];
  inFlight = 0;
  peakInFlight = 0;
  /** Resolves each call after this many ms (a stand-in for network time). */
  latencyMs: number;

  constructor(schedule: Step[] = [], latencyMs = 0) {
    super({});
    this.schedule = schedule;
    this.latencyMs = latencyMs;
  }

  _llmType(): string {
    return "scheduled-fake";
  }

  bindTools(_tools: unknown[]) {
    return this.withConfig({});
  }

  private async next(signal?: AbortSignal): Promise<Step> {
    this.calls.push(resilienceNow());
    const step = this.schedule.shift() ?? { reply: `ok ${this.calls.length}` };
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      if ("hang" in step) {
        await new Promise((_, reject) => {
          if (!signal) return; // never settles: only an attempt timeout can end it
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        });
      }
      if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
      if ("error" in step && !("failAfterChunks" in step)) throw step.error;
      return step;
    } finally {
      this.inFlight--;
    }
  }

  async _generate(_messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    const step = (await this.next(options.signal)) as { reply: string; toolCalls?: ToolCall[]; tokens?: number };
    const message = new AIMessage({
      content: step.reply,
      tool_calls: step.toolCalls ?? [],
      usage_metadata: step.tokens ? { input_tokens: step.tokens, output_tokens: 0, total_tokens: step.tokens } : undefined,
    });
    return { generations: [{ text: step.reply, message }] };
  }

  async *_streamResponseChunks(_messages: BaseMessage[], options: this["ParsedCallOptions"]): AsyncGenerator<ChatGenerationChunk> {
    const step = (await this.next(options.signal)) as { reply: string; failAfterChunks?: number; error?: Error };
    const words = step.reply.split(" ");
    for (let i = 0; i < words.length; i++) {
      if (step.failAfterChunks === i) throw step.error;
      const text = i === 0 ? words[i] : ` ${words[i]}`;
      yield new ChatGenerationChunk({ text, message: new AIMessageChunk(text) });
    }
  }
}
