import { autoPatch } from "./patch/auto-patch";
import "./patch/profile-hooks";

export { NativeBindingUnavailableError, type NativeStatus, native, nativeStatus } from "./native";
export { RustSqliteSaver, type RustSqliteSaverOptions } from "./savers/rust-sqlite-saver";
export { RustPostgresSaver, type RustPostgresSaverOptions } from "./savers/rust-postgres-saver";
export type { PostgresConnection } from "./savers/postgres-connection";
export type { SaverCacheOptions, SaverCacheStats } from "./savers/native-checkpoint-saver";
export type { ChannelMemoryStats } from "./checkpoint/channel-memory";
export type { MemorySaverStatus } from "./patch/memory-saver";
export type { ValueBytesCacheStats } from "./checkpoint/value-bytes-cache";
export { prunePostgresSaver, schedulePostgresSaverRetention, vacuumPostgresSaver } from "./retention/postgres-saver";
export type { PruneOptions, PruneReport, RetentionOptions } from "./savers/retention";
export {
  getPatchStatus,
  patchLangGraph,
  unpatchLangGraph,
  type LangGraphModules,
  type PatchOptions,
  type PatchReport,
  type PatchStatus,
  type UnpatchReport,
} from "./patch/patch-langgraph";

// FAST_LANGGRAPH_AUTO_PATCH=1: importing the package is enough (e.g. NODE_OPTIONS="--require @fast-langgraph/accelerator").
if (process.env.FAST_LANGGRAPH_AUTO_PATCH === "1") void autoPatch();
// FAST_LANGGRAPH_PROFILE=1 alone: only the profiler is attached, nothing is accelerated.
else if (process.env.FAST_LANGGRAPH_PROFILE === "1") void autoPatch({ onlyProfile: true });
export { RustLLMCache, llmCacheKey, type RustLLMCacheOptions, type CacheStats } from "./cache/rust-llm-cache";
export { RustNodeCache } from "./cache/rust-node-cache";
export { withLLMCache } from "./cache/with-llm-cache";
export type { RustCacheOptions, CachePostgresOptions } from "./cache/options";
export * from "./resilience";
export { getProfiler } from "./profiler/global";
export { getSerializerStats, type SerializerStats } from "./checkpoint/json-plus-copies";
export {
  createProfiler,
  probeCheckpointer,
  Profiler,
  type ProfilerOptions,
  type ProfileJSON,
  type ProfileSummary,
  type Advice,
  type AdviceThresholds,
} from "./profiler";
