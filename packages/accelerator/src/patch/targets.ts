import { acceleratedSerializerMethods, serializerSkipReason } from "./json-plus-serializer";
import { acceleratedLLMCacheMethods } from "./llm-cache";
import { acceleratedNodeCacheMethods } from "./node-cache";
import { memorySaverMethods } from "./memory-saver-methods";
import { acceleratedPostgresSaverMethods } from "./postgres-saver";
import { acceleratedSqliteSaverMethods } from "./sqlite-saver";
import { batchedMessagesUpdate } from "./binary-operator-aggregate";
import type { PackageCopy } from "./package-copies";
import { profiledChatModelMethods } from "../profiler/hooks/chat-model";
import { profiledPregelMethods } from "../profiler/hooks/pregel";
import { profiledCallbackManagerMethods, profiledLLMRunMethods } from "../profiler/hooks/run-manager";
import { profiledToolMethods } from "../profiler/hooks/structured-tool";

/** The parts patchLangGraph can accelerate; each can be switched off by an option of the same name. */
export type PatchPart = "memorySaver" | "sqliteSaver" | "postgresSaver" | "stateMerger" | "caches" | "serializer" | "profile";

/** Parts that patchLangGraph installs only when asked (`{ profile: true }` or FAST_LANGGRAPH_PROFILE=1). */
export const OPT_IN_PARTS: ReadonlySet<PatchPart> = new Set<PatchPart>(["profile"]);

type AnyMethod = (...args: never[]) => unknown;
export type Methods = Record<string, AnyMethod>;

/** A class whose prototype methods are replaced, in every loaded copy of the package that exports it. */
export interface PatchTarget {
  part: PatchPart;
  /** Export name of the class. */
  name: string;
  pkg: string;
  subpath: string;
  /** Method names replaced. */
  methodNames: string[];
  /** The replacements, given the originals of this copy. */
  methods(originals: Methods, copy: PackageCopy): Methods;
  /** Why this copy is left as it is (reported in `skipped`), or undefined to patch it. */
  skip?(copy: PackageCopy): string | undefined;
  /** What holds for graphs and instances that existed before patching. */
  note: string;
}

/** `messagesStateReducer` functions of every loaded copy of @langchain/langgraph. */
export const messageReducers = new Set<unknown>();

const SAVER_METHODS = ["getTuple", "list", "put", "putWrites", "deleteThread", "getDeltaChannelHistory"];

export const TARGETS: PatchTarget[] = [
  {
    part: "memorySaver",
    name: "MemorySaver",
    pkg: "@langchain/langgraph-checkpoint",
    subpath: ".",
    methodNames: SAVER_METHODS,
    methods: (originals) => memorySaverMethods(originals),
    note: "every MemorySaver, including ones created and used before patching: it runs its own methods until it has taken 16 puts and stored 256 KiB of checkpoints (FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER, FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER_BYTES), then its threads move into a Rust in-memory store",
  },
  {
    part: "sqliteSaver",
    name: "SqliteSaver",
    pkg: "@langchain/langgraph-checkpoint-sqlite",
    subpath: ".",
    methodNames: SAVER_METHODS,
    methods: (originals) =>
      acceleratedSqliteSaverMethods(originals as Parameters<typeof acceleratedSqliteSaverMethods>[0]) as unknown as Methods,
    note: "every file-backed SqliteSaver, including existing ones, from its next call; writes stay in the official format; in-memory ones are left as they are",
  },
  {
    part: "postgresSaver",
    name: "PostgresSaver",
    pkg: "@langchain/langgraph-checkpoint-postgres",
    subpath: ".",
    methodNames: [...SAVER_METHODS, "getNextVersion", "end"],
    methods: (originals) =>
      acceleratedPostgresSaverMethods(originals as Parameters<typeof acceleratedPostgresSaverMethods>[0]) as unknown as Methods,
    note: "every PostgresSaver, including existing ones, from its next call: PostgresSaver's tables and rows in the same schema, written incrementally off the JS thread; instances connecting with TLS or a password callback keep their own code",
  },
  {
    part: "stateMerger",
    name: "BinaryOperatorAggregate",
    pkg: "@langchain/langgraph",
    subpath: "./channels",
    methodNames: ["update"],
    methods: (originals) => ({ update: batchedMessagesUpdate(originals.update as never, messageReducers) as unknown as AnyMethod }),
    note: "every messages channel, including those of graphs compiled before patching, from its next superstep",
  },
  {
    part: "caches",
    name: "InMemoryCache",
    pkg: "@langchain/langgraph-checkpoint",
    subpath: ".",
    methodNames: ["get", "set", "clear"],
    methods: (originals, copy) =>
      acceleratedNodeCacheMethods(
        originals as unknown as Parameters<typeof acceleratedNodeCacheMethods>[0],
        copy.exports.InMemoryCache,
      ) as unknown as Methods,
    note: "LangGraph's node cache (compile({ cache })), including existing instances, from their next call; entries they held before stay behind",
  },
  {
    part: "caches",
    name: "InMemoryCache",
    pkg: "@langchain/core",
    subpath: "./caches",
    methodNames: ["lookup", "update"],
    methods: (originals, copy) =>
      acceleratedLLMCacheMethods(
        originals,
        (copy.exports as { defaultHashKeyEncoder?: unknown }).defaultHashKeyEncoder,
      ) as unknown as Methods,
    note: "models with cache: true or an InMemoryCache, from their next call; bounded instead of growing forever",
  },
  {
    part: "serializer",
    name: "JsonPlusSerializer",
    pkg: "@langchain/langgraph-checkpoint",
    subpath: ".",
    methodNames: ["loadsTyped"],
    methods: (originals, copy) => acceleratedSerializerMethods(originals, copy) as unknown as Methods,
    skip: serializerSkipReason,
    note: 'every JsonPlusSerializer, including existing ones, from its next loadsTyped("json", ...): a synchronous decoder gives what upstream gives, and hands anything it does not reproduce exactly to upstream\'s code; subclasses overriding loadsTyped, _loads or _reviver keep their own',
  },
  {
    part: "profile",
    name: "Pregel",
    pkg: "@langchain/langgraph",
    subpath: "./pregel",
    methodNames: ["stream", "_runLoop"],
    methods: (originals) =>
      profiledPregelMethods(originals as unknown as Parameters<typeof profiledPregelMethods>[0]) as unknown as Methods,
    note: "every graph run (invoke, stream, streamEvents; subgraphs too), including graphs compiled before patching: the process-wide profiler (getProfiler()) records the run and its node tasks, with no LangChain callback handler, and probes the graph's checkpointer",
  },
  {
    part: "profile",
    name: "BaseChatModel",
    pkg: "@langchain/core",
    subpath: "./language_models/chat_models",
    methodNames: ["generate", "_streamIterator"],
    methods: (originals, copy) =>
      profiledChatModelMethods(
        originals as unknown as Parameters<typeof profiledChatModelMethods>[0],
        (copy.exports.BaseChatModel as { prototype: { _streamResponseChunks?: unknown } }).prototype._streamResponseChunks,
      ) as unknown as Methods,
    note: "every chat model's invoke, batch, generate and stream (subclasses that override these methods keep their own, unrecorded): latency, time to first chunk, tokens, cache hit or miss",
  },
  {
    part: "profile",
    name: "CallbackManager",
    pkg: "@langchain/core",
    subpath: "./callbacks/manager",
    methodNames: ["handleChatModelStart"],
    methods: (originals) =>
      profiledCallbackManagerMethods(originals as unknown as Parameters<typeof profiledCallbackManagerMethods>[0]) as unknown as Methods,
    note: "inside a recorded chat model call with callbacks: which run managers are that call's (for its streamed tokens)",
  },
  {
    part: "profile",
    name: "CallbackManagerForLLMRun",
    pkg: "@langchain/core",
    subpath: "./callbacks/manager",
    methodNames: ["handleLLMNewToken"],
    methods: (originals) =>
      profiledLLMRunMethods(originals as unknown as Parameters<typeof profiledLLMRunMethods>[0]) as unknown as Methods,
    note: 'the tokens a chat model streams inside invoke (LangGraph\'s "messages" stream mode): time to first token and token count of the recorded call',
  },
  {
    part: "profile",
    name: "StructuredTool",
    pkg: "@langchain/core",
    subpath: "./tools",
    methodNames: ["invoke"],
    methods: (originals) => profiledToolMethods(originals as unknown as Parameters<typeof profiledToolMethods>[0]) as unknown as Methods,
    note: "every tool's invoke (Tool, DynamicTool, DynamicStructuredTool, tool()), as LangGraph's ToolNode calls it",
  },
];
