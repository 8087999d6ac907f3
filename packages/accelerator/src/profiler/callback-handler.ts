import { performance } from "node:perf_hooks";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { Serialized } from "@langchain/core/load/serializable";
import type { LLMResult } from "@langchain/core/outputs";
import { closeModelCall, openModelCall } from "../model-notes";
import { type ModelCallRecord, type RunStatus, errorText } from "./records";
import type { ProfileStore } from "./store";

/** Where a run sits: which graph run and which node task it belongs to. */
interface Context {
  kind: "graph" | "task" | "model" | "tool" | "other";
  graphRunId?: string;
  taskId?: string;
  /** The context shared by this one's "other" children (runnables inside a node), made once. */
  other?: Context;
}

const ROOT_OTHER: Context = { kind: "other" };

type Metadata = Record<string, unknown> | undefined;

const CONTROL_FLOW = new Set(["ParentCommand"]);
const INTERRUPTS = new Set(["GraphInterrupt", "NodeInterrupt"]);

export function statusOf(err: unknown): { status: RunStatus; error?: string } {
  const name = (err as { name?: string } | undefined)?.name ?? "";
  if (INTERRUPTS.has(name)) return { status: "interrupted" };
  if (CONTROL_FLOW.has(name)) return { status: "ok" };
  return { status: "error", error: errorText(err) };
}

export function isRateLimit(err: unknown): boolean {
  const e = err as { status?: unknown; response?: { status?: unknown }; message?: unknown } | undefined;
  if (e?.status === 429 || e?.response?.status === 429) return true;
  return /\b429\b|rate.?limit/i.test(String(e?.message ?? ""));
}

function isPregel(serialized: Serialized | undefined): boolean {
  const id = serialized?.id;
  return Array.isArray(id) && id[0] === "langgraph" && id[1] === "pregel";
}

/** Per message object: a 64-bit digest (two 32-bit halves) of its type and content (first and last KiB and length when longer). */
const messageDigests = new WeakMap<object, Digest>();
type Digest = readonly [number, number];
const EDGE = 1024;

/**
 * Two independent 32-bit multiply-xorshift hashes (murmur3's mixing constants and finalizer) of the
 * text's UTF-16 code units, of its first and last KiB and length when longer than 2 KiB: in JS, with no
 * allocation, which was cheaper than a sha1 through node:crypto per message. Not a cryptographic hash; a
 * key for "the same prompt again", where a collision can only merge two prompts in the repeated-prompt count.
 */
function digestText(text: string): Digest {
  let a = 0x811c9dc5 ^ text.length;
  let b = 0x01000193 ^ Math.imul(text.length, 0x9e3779b1);
  const n = text.length;
  const step = (c: number) => {
    a = Math.imul(a ^ c, 0xcc9e2d51);
    a = (a << 15) | (a >>> 17);
    b = Math.imul(b ^ c, 0x1b873593);
    b = (b << 13) | (b >>> 19);
    b = Math.imul(b, 5) + 0xe6546b64;
  };
  if (n > 2 * EDGE) {
    for (let i = 0; i < EDGE; i++) step(text.charCodeAt(i));
    for (let i = n - EDGE; i < n; i++) step(text.charCodeAt(i));
  } else for (let i = 0; i < n; i++) step(text.charCodeAt(i));
  const fin = (h: number) => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
  return [fin(a), fin(b ^ a)];
}

/**
 * Digests by message id, with the type, content length and tool-call count they were made for, for the
 * copies of a thread's messages a saver returns (new objects after every getTuple, with the ids they
 * had): each message is hashed once, not once per turn. A message edited under its id to a text of the
 * same length, with as many tool calls, keeps its first digest. Bounded: cleared at MAX_BY_ID entries.
 */
interface IdDigest {
  type: string;
  length: number;
  toolCalls: number;
  digest: Digest;
}
const digestsById = new Map<string, IdDigest>();
const MAX_BY_ID = 20_000;

function messageDigest(part: unknown): Digest {
  if (typeof part === "string") return digestText(part);
  const m = part as { getType?: () => string; content?: unknown; id?: unknown; tool_calls?: unknown };
  const known = messageDigests.get(m);
  if (known !== undefined) return known;
  const type = typeof m.getType === "function" ? m.getType() : "?";
  const content = m.content;
  const length = typeof content === "string" ? content.length : Array.isArray(content) ? -content.length : -1e9;
  const toolCalls = Array.isArray(m.tool_calls) ? m.tool_calls.length : -1;
  const id = typeof m.id === "string" && m.id !== "" ? m.id : undefined;
  const same = id === undefined ? undefined : digestsById.get(id);
  let digest: Digest;
  if (same !== undefined && same.type === type && same.length === length && same.toolCalls === toolCalls) digest = same.digest;
  else {
    digest = digestText(`${type}:${typeof content === "string" ? content : JSON.stringify(content ?? null)}`);
    if (id !== undefined) {
      if (digestsById.size >= MAX_BY_ID) digestsById.clear();
      digestsById.set(id, { type, length, toolCalls, digest });
    }
  }
  messageDigests.set(m, digest);
  return digest;
}

/**
 * A key for "the same prompt again": the per-message digests (digestText, computed once per message object)
 * folded in order with a 64-bit multiply-xorshift mix, so a call costs one WeakMap lookup and a few
 * integer operations per earlier message rather than hashing the conversation again.
 */
export function promptKey(parts: ReadonlyArray<unknown>): string {
  let a = 0x9e3779b9 ^ parts.length;
  let b = 0x85ebca6b;
  for (const part of parts) {
    const d = messageDigest(part);
    const x = d[0];
    const y = d[1];
    a = Math.imul(a ^ x, 0x85ebca6b) ^ (b >>> 15);
    b = Math.imul(b ^ y, 0xc2b2ae35) ^ (a >>> 13);
    a = Math.imul(a ^ (a >>> 16), 0x27d4eb2f);
    b = Math.imul(b ^ (b >>> 16), 0x165667b1);
  }
  return `${(a >>> 0).toString(16).padStart(8, "0")}${(b >>> 0).toString(16).padStart(8, "0")}`;
}

export function usageOf(output: LLMResult): { input?: number; output?: number } {
  const gen = output.generations?.[0]?.[0] as { message?: { usage_metadata?: { input_tokens?: number; output_tokens?: number } } };
  const usage = gen?.message?.usage_metadata;
  if (usage) return { input: usage.input_tokens, output: usage.output_tokens };
  const legacy = (output.llmOutput as { tokenUsage?: { promptTokens?: number; completionTokens?: number } } | undefined)?.tokenUsage;
  if (legacy) return { input: legacy.promptTokens, output: legacy.completionTokens };
  return {};
}

/**
 * A @langchain/core callback handler that records graph runs, node tasks (from LangGraph's
 * `langgraph_node`/`langgraph_step`/`langgraph_triggers` metadata), model calls and tool calls into a
 * ProfileStore. Each callback only reads the clock and pushes a record; aggregation happens when a
 * report is asked for. `awaitHandlers` is true so that the clock is read when the event happens rather
 * than when @langchain/core's background queue gets to it.
 */
export class ProfilerCallbackHandler extends BaseCallbackHandler {
  name = "fast_langgraph_profiler";
  override awaitHandlers = true;
  private readonly active = new Map<string, Context>();
  private readonly attempts = new Map<string, number>();

  /**
   * `hooked()`: true while the profiler's hooks record into the same store (profiler.attach()); the
   * handler then records nothing, so that no run is recorded twice.
   */
  constructor(
    private readonly store: ProfileStore,
    private readonly hooked: () => boolean = () => false,
  ) {
    super();
  }

  private contextOf(parentRunId: string | undefined): Context | undefined {
    return parentRunId === undefined ? undefined : this.active.get(parentRunId);
  }

  override handleChainStart(
    chain: Serialized,
    _inputs: unknown,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Metadata,
    _runType?: string,
    runName?: string,
  ): void {
    if (this.hooked()) return;
    const now = performance.now();
    const parent = this.contextOf(parentRunId);
    if (isPregel(chain)) {
      this.store.add("graphRuns", {
        id: runId,
        name: runName ?? String(chain.id?.[chain.id.length - 1] ?? "graph"),
        parentTaskId: parent?.taskId,
        threadId: typeof metadata?.thread_id === "string" ? metadata.thread_id : undefined,
        start: now,
        status: "running",
      });
      this.active.set(runId, { kind: "graph", graphRunId: runId, taskId: parent?.taskId });
      return;
    }
    const node = metadata?.langgraph_node;
    if (parent?.kind === "graph" && typeof node === "string") {
      const taskKey = String(metadata?.langgraph_checkpoint_ns ?? metadata?.checkpoint_ns ?? `${node}:${runId}`);
      const attemptKey = `${parent.graphRunId}|${taskKey}`;
      const attempt = (this.attempts.get(attemptKey) ?? 0) + 1;
      this.attempts.set(attemptKey, attempt);
      this.store.add("tasks", {
        id: runId,
        graphRunId: parent.graphRunId as string,
        node,
        step: Number(metadata?.langgraph_step ?? -1),
        triggers: Array.isArray(metadata?.langgraph_triggers) ? (metadata.langgraph_triggers as string[]).map(String) : [],
        taskKey,
        attempt,
        hidden: tags?.includes("langsmith:hidden") ?? false,
        start: now,
        status: "running",
      });
      this.active.set(runId, { kind: "task", graphRunId: parent.graphRunId, taskId: runId });
      return;
    }
    // Any other runnable: only its place matters, the same for every sibling, so one object per parent.
    if (parent === undefined) this.active.set(runId, ROOT_OTHER);
    else if (parent.kind === "other") this.active.set(runId, parent);
    else {
      parent.other ??= { kind: "other", graphRunId: parent.graphRunId, taskId: parent.taskId };
      this.active.set(runId, parent.other);
    }
  }

  private endChain(runId: string, status: RunStatus, error?: string): void {
    const now = performance.now();
    const ctx = this.active.get(runId);
    if (!ctx) return;
    this.active.delete(runId);
    if (ctx.kind === "graph") {
      this.store.finish("graphRuns", runId, now, status, error);
      const prefix = `${runId}|`;
      for (const key of this.attempts.keys()) if (key.startsWith(prefix)) this.attempts.delete(key);
    } else if (ctx.kind === "task") this.store.finish("tasks", runId, now, status, error);
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    this.endChain(runId, "ok");
  }

  override handleChainError(err: unknown, runId: string): void {
    const { status, error } = statusOf(err);
    this.endChain(runId, status, error);
  }

  private startModel(
    runId: string,
    parentRunId: string | undefined,
    name: string,
    prompt: ReadonlyArray<unknown>,
    metadata: Metadata,
  ): void {
    const now = performance.now();
    const parent = this.contextOf(parentRunId);
    this.active.set(runId, { kind: "model", graphRunId: parent?.graphRunId, taskId: parent?.taskId });
    const record: ModelCallRecord = {
      id: runId,
      name,
      model: typeof metadata?.ls_model_name === "string" ? metadata.ls_model_name : undefined,
      provider: typeof metadata?.ls_provider === "string" ? metadata.ls_provider : undefined,
      taskId: parent?.taskId,
      graphRunId: parent?.graphRunId,
      start: now,
      tokens: 0,
      promptKey: promptKey(prompt),
      status: "running",
    };
    this.store.add("modelCalls", record);
    openModelCall(runId, record);
  }

  override handleChatModelStart(
    llm: Serialized,
    messages: unknown[][],
    runId: string,
    parentRunId?: string,
    _extra?: unknown,
    _tags?: string[],
    metadata?: Metadata,
    runName?: string,
  ): void {
    if (this.hooked()) return;
    this.startModel(runId, parentRunId, runName ?? String(llm.id?.[llm.id.length - 1] ?? "model"), messages[0] ?? [], metadata);
  }

  override handleLLMStart(
    llm: Serialized,
    prompts: string[],
    runId: string,
    parentRunId?: string,
    _extra?: unknown,
    _tags?: string[],
    metadata?: Metadata,
    runName?: string,
  ): void {
    // Chat models without handleChatModelStart support fall back to this; never record a run twice.
    if (this.active.has(runId) || this.hooked()) return;
    this.startModel(runId, parentRunId, runName ?? String(llm.id?.[llm.id.length - 1] ?? "llm"), prompts, metadata);
  }

  override handleLLMNewToken(_token: string, _idx: unknown, runId: string): void {
    const rec = this.store.open.modelCalls.get(runId);
    if (!rec) return;
    if (rec.firstTokenAt === undefined) rec.firstTokenAt = performance.now();
    rec.tokens++;
  }

  override handleLLMEnd(output: LLMResult, runId: string, _p?: string, _t?: string[], extra?: { cached?: boolean }): void {
    const rec = this.store.open.modelCalls.get(runId);
    if (rec) {
      const usage = usageOf(output);
      rec.inputTokens = usage.input;
      rec.outputTokens = usage.output;
      if (extra?.cached || (output.llmOutput as { cached?: unknown } | undefined)?.cached === true) rec.cache ??= "hit";
      closeModelCall(runId, rec);
    }
    this.active.delete(runId);
    this.store.finish("modelCalls", runId, performance.now(), "ok");
  }

  override handleLLMError(err: unknown, runId: string): void {
    const rec = this.store.open.modelCalls.get(runId);
    if (rec && isRateLimit(err)) rec.rateLimited = true;
    if (rec) closeModelCall(runId, rec);
    this.active.delete(runId);
    this.store.finish("modelCalls", runId, performance.now(), "error", errorText(err));
  }

  override handleToolStart(
    tool: Serialized,
    _input: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Metadata,
    runName?: string,
  ): void {
    if (this.hooked()) return;
    const parent = this.contextOf(parentRunId);
    this.active.set(runId, { kind: "tool", graphRunId: parent?.graphRunId, taskId: parent?.taskId });
    this.store.add("toolCalls", {
      id: runId,
      name: runName ?? String(tool.id?.[tool.id.length - 1] ?? "tool"),
      taskId: parent?.taskId,
      graphRunId: parent?.graphRunId,
      start: performance.now(),
      status: "running",
    });
  }

  override handleToolEnd(_output: unknown, runId: string): void {
    this.active.delete(runId);
    this.store.finish("toolCalls", runId, performance.now(), "ok");
  }

  override handleToolError(err: unknown, runId: string): void {
    this.active.delete(runId);
    const { status, error } = statusOf(err);
    this.store.finish("toolCalls", runId, performance.now(), status, error);
  }
}
