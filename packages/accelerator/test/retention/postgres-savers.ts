import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";

import { type PruneOptions, type PruneReport, RustPostgresSaver, patchLangGraph, prunePostgresSaver, unpatchLangGraph } from "../../src";
import { dropSchema, freshSchema, postgresUrl } from "../support/postgres";

/** A saver on a fresh schema with the prune that fits it, and how to close both. */
export interface PrunableSaver {
  saver: BaseCheckpointSaver;
  schema: string;
  prune(options: PruneOptions): Promise<PruneReport>;
  close(): Promise<void>;
}

export type SaverKind = "compact" | "official" | "PostgresSaver" | "patched PostgresSaver";
export const saverKinds: SaverKind[] = ["compact", "official", "PostgresSaver", "patched PostgresSaver"];

/** RustPostgresSaver in either layout, or LangGraph's PostgresSaver (plain or patched) pruned by prunePostgresSaver. */
export async function openSaver(kind: SaverKind, name: string): Promise<PrunableSaver> {
  const schema = freshSchema(name);
  if (kind === "compact" || kind === "official") {
    const saver = new RustPostgresSaver(postgresUrl(), { schema, layout: kind });
    await saver.setup();
    return {
      saver,
      schema,
      prune: (o) => saver.prune(o),
      close: async () => {
        await saver.end();
        await dropSchema(schema);
      },
    };
  }
  if (kind === "patched PostgresSaver") await patchLangGraph({ memorySaver: false, sqliteSaver: false, caches: false });
  const saver = PostgresSaver.fromConnString(postgresUrl(), { schema });
  await saver.setup();
  return {
    saver,
    schema,
    prune: (o) => prunePostgresSaver(saver, o),
    close: async () => {
      await saver.end();
      if (kind === "patched PostgresSaver") unpatchLangGraph();
      await dropSchema(schema);
    },
  };
}
