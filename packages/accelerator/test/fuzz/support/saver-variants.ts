import Database from "better-sqlite3";
import { MemorySaver } from "@langchain/langgraph-checkpoint";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import pg from "pg";

import { RustPostgresSaver, RustSqliteSaver } from "../../../src";
import { dropSchema, freshSchema, postgresUrl } from "../../support/postgres";
import { temporaryDatabase } from "../../support/temporary-database";
import { OriginalMemorySaver, OriginalPostgresSaver, OriginalSqliteSaver, runsOriginalCode } from "./original-savers";
import type { ValueLimits } from "./values";

/** One saver under test, its reference, and what the fuzzer may give both. */
export interface SaverSetup {
  variant: BaseCheckpointSaver;
  /** The official saver whose answers the variant must give. */
  reference: BaseCheckpointSaver;
  /**
   * Own savers only: LangGraph's MemorySaver fed the same calls. Where the official savers disagree
   * among themselves (list order across threads and namespaces, odd `limit`s, a checkpoint_id in a list
   * config, a filter holding undefined) an own saver may give either's answer.
   */
  alternative?: MemorySaver;
  /** The thread id the reference is given for a thread id (see `loneSurrogateKeysMapped`). */
  referenceThread(threadId: string): string;
  /** The inverse of referenceThread, applied to the reference's answers. */
  threadFromReference(threadId: string): string;
  /** Removes one checkpoint and its writes from the reference(s): what a prune of the variant removed. */
  removeFromReferences?(threadId: string, ns: string, checkpointId: string): void;
  prune?(options: object): Promise<unknown>;
  close(): Promise<void>;
}

export interface SaverVariant {
  name: string;
  family: "own-sqlite" | "own-postgres" | "patched";
  /** Which part patchLangGraph() must patch for this variant (patched ones only). */
  patchPart?: "memorySaver" | "sqliteSaver" | "postgresSaver";
  /** Reference, in words, for the report and failure messages. */
  referenceName: string;
  /**
   * "reference": pendingWrites in exactly the reference's order. "writesSortKey": the order
   * BaseCheckpointSaver's contract requires (taskPath, taskId, idx), which LangGraph's MemorySaver
   * gives and SqliteSaver/PostgresSaver do not (they drop taskPath): own compact layouts promise it.
   */
  writesOrder: "reference" | "writesSortKey";
  limits: ValueLimits;
  /** Thread ids with lone surrogates may be used. */
  loneSurrogateKeys: boolean;
  /** Runs per property at FUZZ_RUNS=1. */
  runs: number;
  make(): Promise<SaverSetup>;
}

const identity = (t: string) => t;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * better-sqlite3 (and node-postgres) bind JS strings as UTF-8, so SqliteSaver itself stores
 * "user-\ud83c" and "user-\ud83d" under one key (U+FFFD). An own saver must keep them distinct
 * (issue 11 case 9), so its SqliteSaver reference is given an injective ASCII spelling of such ids.
 */
const mapLone = (t: string) => (LONE_SURROGATE.test(t) ? `\u0001${JSON.stringify(t).slice(1, -1)}` : t);
const unmapLone = (t: string) => (t.startsWith("\u0001") ? (JSON.parse(`"${t.slice(1)}"`) as string) : t);

function deleteFromSqlite(db: Database.Database, threadId: string, ns: string, id: string): void {
  db.prepare("DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?").run(threadId, ns, id);
  db.prepare("DELETE FROM writes WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?").run(threadId, ns, id);
}

function deleteFromMemory(saver: MemorySaver, threadId: string, ns: string, id: string): void {
  delete saver.storage[threadId]?.[ns]?.[id];
  delete saver.writes[JSON.stringify([threadId, ns, id])];
}

const sqliteLimits: ValueLimits = { loneSurrogates: true, nul: true };
// JSONB (checkpoint head, metadata) refuses NUL and lone surrogates; values are bytea and could, but
// the generator shares one text pool between values and metadata, so both stay valid for PostgreSQL.
const postgresLimits: ValueLimits = { loneSurrogates: false, nul: false };

function ownSqlite(name: string, layout: "compact" | "official", where: "file" | ":memory:", runs: number): SaverVariant {
  return {
    name,
    family: "own-sqlite",
    referenceName: `SqliteSaver (${where === "file" ? "a file" : ":memory:"}); MemorySaver where the official savers disagree`,
    writesOrder: layout === "official" ? "reference" : "writesSortKey",
    limits: sqliteLimits,
    loneSurrogateKeys: true,
    runs,
    async make() {
      const variant = new RustSqliteSaver(
        where === "file" ? temporaryDatabase("fuzz-variant") : ":memory:",
        layout === "official" ? { layout } : {},
      );
      const db = new Database(where === "file" ? temporaryDatabase("fuzz-reference") : ":memory:");
      const reference = new OriginalSqliteSaver(db);
      // SqliteSaver creates its tables on its first read or put; before that its deleteThread throws
      // "no such table". Code that fails unpatched is not compared, so both sides start set up.
      await reference.getTuple({ configurable: { thread_id: "setup" } });
      const alternative = new OriginalMemorySaver();
      return {
        variant,
        reference,
        alternative,
        referenceThread: mapLone,
        threadFromReference: unmapLone,
        removeFromReferences(threadId, ns, id) {
          deleteFromSqlite(db, mapLone(threadId), ns, id);
          deleteFromMemory(alternative, threadId, ns, id);
        },
        prune: (options) => variant.prune(options),
        async close() {
          variant.close();
          db.close();
        },
      };
    },
  };
}

function ownPostgres(name: string, layout: "compact" | "official", runs: number): SaverVariant {
  return {
    name,
    family: "own-postgres",
    referenceName: "PostgresSaver (fresh schema); MemorySaver where the official savers disagree",
    writesOrder: layout === "official" ? "reference" : "writesSortKey",
    limits: postgresLimits,
    loneSurrogateKeys: false,
    runs,
    async make() {
      const [s1, s2] = [freshSchema("fuzz_v"), freshSchema("fuzz_r")];
      const variant = new RustPostgresSaver(postgresUrl(), { schema: s1, layout });
      const reference = new OriginalPostgresSaver(new pg.Pool({ connectionString: postgresUrl(), max: 2 }), undefined, { schema: s2 });
      await Promise.all([variant.setup(), reference.setup()]);
      return {
        variant,
        reference,
        alternative: new OriginalMemorySaver(),
        referenceThread: identity,
        threadFromReference: identity,
        async close() {
          await variant.end();
          await reference.end();
          await Promise.all([dropSchema(s1), dropSchema(s2)]);
        },
      };
    },
  };
}

/** Every variant of issue 11's "whole kind", each with the reference it must match. */
export const SAVER_VARIANTS: SaverVariant[] = [
  ownSqlite("RustSqliteSaver compact, file", "compact", "file", 25),
  ownSqlite("RustSqliteSaver compact, :memory:", "compact", ":memory:", 25),
  ownSqlite("RustSqliteSaver official, file", "official", "file", 25),
  ownSqlite("RustSqliteSaver official, :memory:", "official", ":memory:", 25),
  ownPostgres("RustPostgresSaver official", "official", 10),
  ownPostgres("RustPostgresSaver compact", "compact", 10),
  {
    name: "patched MemorySaver",
    family: "patched",
    patchPart: "memorySaver",
    referenceName: "MemorySaver (its original methods)",
    writesOrder: "reference",
    limits: sqliteLimits,
    loneSurrogateKeys: true,
    runs: 30,
    async make() {
      const reference = new OriginalMemorySaver();
      if (!runsOriginalCode(reference)) throw new Error("the reference MemorySaver does not run its original methods");
      return { variant: new MemorySaver(), reference, referenceThread: identity, threadFromReference: identity, close: async () => {} };
    },
  },
  {
    // Issue 11 case 6: user code subclasses MemorySaver and calls super.put with MemorySaver's own
    // three-argument signature; it must keep working once MemorySaver is patched.
    name: "patched MemorySaver subclass, put(config, checkpoint, metadata)",
    family: "patched",
    patchPart: "memorySaver",
    referenceName: "the same subclass of MemorySaver running MemorySaver's original methods",
    writesOrder: "reference",
    limits: sqliteLimits,
    loneSurrogateKeys: true,
    runs: 15,
    async make() {
      class LoggingMemorySaver extends MemorySaver {
        puts = 0;
        // biome-ignore lint/suspicious/noExplicitAny: MemorySaver's declared signature, as a user writes it
        async put(config: any, checkpoint: any, metadata: any) {
          this.puts += 1;
          return super.put(config, checkpoint, metadata);
        }
      }
      class LoggingOriginal extends OriginalMemorySaver {
        puts = 0;
        // biome-ignore lint/suspicious/noExplicitAny: as above
        async put(config: any, checkpoint: any, metadata: any) {
          this.puts += 1;
          return super.put(config, checkpoint, metadata);
        }
      }
      return {
        variant: new LoggingMemorySaver(),
        reference: new LoggingOriginal(),
        referenceThread: identity,
        threadFromReference: identity,
        close: async () => {},
      };
    },
  },
  {
    name: "patched SqliteSaver, file",
    family: "patched",
    patchPart: "sqliteSaver",
    referenceName: "SqliteSaver on another file (its original methods)",
    writesOrder: "reference",
    limits: sqliteLimits,
    // Unpatched SqliteSaver maps both to U+FFFD; patched must do the same (contract 1), so both get the raw ids.
    loneSurrogateKeys: true,
    runs: 25,
    async make() {
      const variant = SqliteSaver.fromConnString(temporaryDatabase("fuzz-patched"));
      const db = new Database(temporaryDatabase("fuzz-patched-reference"));
      const reference = new OriginalSqliteSaver(db);
      if (!runsOriginalCode(reference)) throw new Error("the reference SqliteSaver does not run its original methods");
      // As above: SqliteSaver's deleteThread before its first read or put throws "no such table".
      await Promise.all([
        reference.getTuple({ configurable: { thread_id: "setup" } }),
        variant.getTuple({ configurable: { thread_id: "setup" } }),
      ]);
      return {
        variant,
        reference,
        referenceThread: identity,
        threadFromReference: identity,
        async close() {
          db.close();
        },
      };
    },
  },
  {
    name: "patched PostgresSaver",
    family: "patched",
    patchPart: "postgresSaver",
    referenceName: "PostgresSaver on another schema (its original methods)",
    writesOrder: "reference",
    limits: postgresLimits,
    loneSurrogateKeys: false,
    runs: 10,
    async make() {
      const [s1, s2] = [freshSchema("fuzz_p"), freshSchema("fuzz_pr")];
      const variant = PostgresSaver.fromConnString(postgresUrl(), { schema: s1 });
      const reference = new OriginalPostgresSaver(new pg.Pool({ connectionString: postgresUrl(), max: 2 }), undefined, { schema: s2 });
      if (!runsOriginalCode(reference)) throw new Error("the reference PostgresSaver does not run its original methods");
      await Promise.all([variant.setup(), reference.setup()]);
      return {
        variant,
        reference,
        referenceThread: identity,
        threadFromReference: identity,
        async close() {
          await variant.end();
          await reference.end();
          await Promise.all([dropSchema(s1), dropSchema(s2)]);
        },
      };
    },
  },
];
