import {
  AIMessage,
  AIMessageChunk,
  type BaseMessage,
  ChatMessage,
  ChatMessageChunk,
  FunctionMessage,
  FunctionMessageChunk,
  HumanMessage,
  HumanMessageChunk,
  SystemMessage,
  SystemMessageChunk,
  ToolMessage,
  ToolMessageChunk,
} from "@langchain/core/messages";
import { ChatGenerationChunk, type Generation, GenerationChunk } from "@langchain/core/outputs";

/**
 * Generations as bytes and back. Messages keep their class and every field (tool calls, usage
 * metadata, ids, response metadata), chunks stay chunks, and every decode builds fresh objects:
 * LangChain mutates what a cache hands out.
 */
const MESSAGE_CLASSES: Record<string, new (fields: never) => BaseMessage> = {
  AIMessage,
  AIMessageChunk,
  HumanMessage,
  HumanMessageChunk,
  SystemMessage,
  SystemMessageChunk,
  ToolMessage,
  ToolMessageChunk,
  ChatMessage,
  ChatMessageChunk,
  FunctionMessage,
  FunctionMessageChunk,
} as never;

interface StoredGeneration {
  /** Omitted when it is the message's text content (most chat generations): read from there. */
  text?: string;
  generationInfo?: Record<string, unknown>;
  message?: { class: string; fields: Record<string, unknown> };
  chunk?: boolean;
}

function storedMessage(message: BaseMessage): StoredGeneration["message"] {
  const record = message.toJSON() as { id?: string[]; kwargs?: Record<string, unknown> };
  const cls = record.id?.[record.id.length - 1] ?? "";
  if (!(cls in MESSAGE_CLASSES)) throw new Error(`cannot cache a message of class ${cls || typeof message}`);
  return { class: cls, fields: record.kwargs ?? {} };
}

export function encodeGenerations(generations: Generation[]): string {
  const stored: StoredGeneration[] = generations.map((g) => {
    const message = (g as { message?: BaseMessage }).message;
    return {
      ...(message !== undefined && message.content === g.text ? {} : { text: g.text }),
      ...(g.generationInfo !== undefined ? { generationInfo: g.generationInfo } : {}),
      ...(message !== undefined ? { message: storedMessage(message) } : {}),
      ...(typeof (g as { concat?: unknown }).concat === "function" ? { chunk: true } : {}),
    };
  });
  return JSON.stringify(stored);
}

function revive(stored: StoredGeneration): Generation {
  if (stored.message === undefined) {
    const fields = { text: stored.text ?? "", generationInfo: stored.generationInfo };
    return stored.chunk
      ? new GenerationChunk(fields)
      : { ...fields, ...(stored.generationInfo === undefined ? { generationInfo: undefined } : {}) };
  }
  const message = new MESSAGE_CLASSES[stored.message.class](stored.message.fields as never);
  const text = stored.text ?? (stored.message.fields.content as string);
  if (stored.chunk) return new ChatGenerationChunk({ text, message: message as AIMessageChunk, generationInfo: stored.generationInfo });
  const generation: Record<string, unknown> = { text, message };
  if (stored.generationInfo !== undefined) generation.generationInfo = stored.generationInfo;
  return generation as unknown as Generation;
}

export function decodeGenerations(text: string): Generation[] {
  return (JSON.parse(text) as StoredGeneration[]).map(revive);
}
