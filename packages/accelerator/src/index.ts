export { native } from "./native";
export { RustSqliteSaver, type RustSqliteSaverOptions } from "./saver/rust-sqlite-saver";
export type { PruneOptions, PruneReport, RetentionOptions } from "./saver/retention";
