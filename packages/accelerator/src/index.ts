export { native } from "./native";
export { RustSqliteSaver, type RustSqliteSaverOptions } from "./saver/rust-sqlite-saver";
