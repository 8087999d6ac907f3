import { MemorySaver } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { RustPostgresSaver, RustSqliteSaver, patchLangGraph, unpatchLangGraph } from "../../src";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";
import { temporaryDatabase } from "../support/temporary-database";

/**
 * Every saver variant, each with the official saver whose behaviour it must match exactly: patched
 * MemorySaver -> MemorySaver; patched SqliteSaver and RustSqliteSaver (both layouts) -> SqliteSaver;
 * patched PostgresSaver and RustPostgresSaver (both layouts) -> PostgresSaver.
 */
export type Patch = "memorySaver" | "sqliteSaver" | "postgresSaver";
const ALL_OFF = { memorySaver: false, sqliteSaver: false, postgresSaver: false, stateMerger: false, caches: false };

export interface Opened {
  saver: BaseCheckpointSaver;
  close(): Promise<void>;
}

const schemas: string[] = [];
/** Drops every schema the PostgreSQL variants created (call from afterAll). */
export async function dropSchemas(): Promise<void> {
  for (const schema of schemas.splice(0)) await dropSchema(schema);
}

async function postgres(make: (schema: string) => PostgresSaver | RustPostgresSaver): Promise<Opened> {
  const schema = freshSchema("writes");
  schemas.push(schema);
  const saver = make(schema);
  await saver.setup();
  return { saver, close: () => saver.end() };
}

export const references: Record<string, () => Promise<Opened>> = {
  MemorySaver: async () => ({ saver: new MemorySaver(), close: async () => {} }),
  SqliteSaver: async () => {
    const saver = SqliteSaver.fromConnString(temporaryDatabase("writes-ref"));
    return {
      saver,
      close: async () => {
        saver.db.close();
      },
    };
  },
  PostgresSaver: () => postgres((schema) => PostgresSaver.fromConnString(postgresUrl(), { schema })),
};

const sqlite = (path: string, layout: "compact" | "official") => async (): Promise<Opened> => {
  const saver = new RustSqliteSaver(path === "file" ? temporaryDatabase("writes") : path, { layout });
  return { saver, close: async () => saver.close() };
};

/** Each variant, the reference whose rule it follows, and the class patchLangGraph must patch for it. */
export const variants: Array<[string, string, () => Promise<Opened>, Patch | undefined]> = [
  ["patched MemorySaver", "MemorySaver", references.MemorySaver, "memorySaver"],
  ["patched SqliteSaver", "SqliteSaver", references.SqliteSaver, "sqliteSaver"],
  ["RustSqliteSaver official layout", "SqliteSaver", sqlite("file", "official"), undefined],
  ["RustSqliteSaver compact, file", "SqliteSaver", sqlite("file", "compact"), undefined],
  ["RustSqliteSaver compact, :memory:", "SqliteSaver", sqlite(":memory:", "compact"), undefined],
  ["patched PostgresSaver", "PostgresSaver", references.PostgresSaver, "postgresSaver"],
  [
    "RustPostgresSaver official layout",
    "PostgresSaver",
    () => postgres((schema) => new RustPostgresSaver(postgresUrl(), { schema })),
    undefined,
  ],
  [
    "RustPostgresSaver compact layout",
    "PostgresSaver",
    () => postgres((schema) => new RustPostgresSaver(postgresUrl(), { schema, layout: "compact" })),
    undefined,
  ],
];

export async function withVariant<T>(open: () => Promise<Opened>, patch: Patch | undefined, run: (s: BaseCheckpointSaver) => Promise<T>) {
  const { saver, close } = await open();
  if (patch) patchLangGraph({ ...ALL_OFF, [patch]: true });
  try {
    return await run(saver);
  } finally {
    if (patch) unpatchLangGraph();
    await close();
  }
}
