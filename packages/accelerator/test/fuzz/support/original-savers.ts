import { MemorySaver } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { getPatchStatus } from "../../../src";

/**
 * LangGraph's savers running their ORIGINAL code while patchLangGraph() is active, so a patched
 * instance and its reference can live side by side in one process and get the same calls.
 *
 * The prototype methods patchLangGraph() replaces are captured when this module loads (it refuses
 * to load while patched), and each subclass below defines every one of them as an own method that
 * calls the captured original. Own methods shadow the patched parent prototype, so every call on a
 * reference instance, including the ones the class makes on `this` internally (BaseCheckpointSaver.get
 * -> this.getTuple), runs LangGraph's own code. Nothing else about the classes is touched.
 */
if (getPatchStatus().active) throw new Error("original-savers must be loaded before patchLangGraph() runs");

const PATCHED = ["getTuple", "list", "put", "putWrites", "deleteThread", "getDeltaChannelHistory", "getNextVersion", "end"];

type Ctor = abstract new (...args: never[]) => object;

function originalsOf(cls: Ctor): Record<string, (...args: unknown[]) => unknown> {
  const proto = cls.prototype as Record<string, unknown>;
  const out: Record<string, (...args: unknown[]) => unknown> = {};
  for (const name of PATCHED) {
    // Walk up the chain as a call would, so inherited methods (getNextVersion) are captured too.
    let p: Record<string, unknown> | null = proto;
    while (p && !Object.hasOwn(p, name)) p = Object.getPrototypeOf(p);
    if (p && typeof p[name] === "function") out[name] = p[name] as (...args: unknown[]) => unknown;
  }
  return out;
}

function installOriginals(sub: Ctor, originals: Record<string, (...args: unknown[]) => unknown>): void {
  for (const [name, fn] of Object.entries(originals)) {
    Object.defineProperty(sub.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}

const memoryOriginals = originalsOf(MemorySaver);
const sqliteOriginals = originalsOf(SqliteSaver);
const postgresOriginals = originalsOf(PostgresSaver);

/** MemorySaver with its own, unpatched code. */
export class OriginalMemorySaver extends MemorySaver {}
installOriginals(OriginalMemorySaver, memoryOriginals);

/** SqliteSaver with its own, unpatched code. */
export class OriginalSqliteSaver extends SqliteSaver {}
installOriginals(OriginalSqliteSaver, sqliteOriginals);

/** PostgresSaver with its own, unpatched code. */
export class OriginalPostgresSaver extends PostgresSaver {}
installOriginals(OriginalPostgresSaver, postgresOriginals);

/** True when `saver` will run LangGraph's own methods for every patched name (a check the tests make). */
export function runsOriginalCode(saver: object): boolean {
  const table =
    saver instanceof OriginalMemorySaver
      ? memoryOriginals
      : saver instanceof OriginalSqliteSaver
        ? sqliteOriginals
        : saver instanceof OriginalPostgresSaver
          ? postgresOriginals
          : undefined;
  if (!table) return false;
  return Object.entries(table).every(([name, fn]) => (saver as Record<string, unknown>)[name] === fn);
}
