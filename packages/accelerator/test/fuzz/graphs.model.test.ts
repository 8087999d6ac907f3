import { MemorySaver } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import fc from "fast-check";

import { RustSqliteSaver, patchLangGraph, unpatchLangGraph } from "../../src";
import { normalize } from "../support/normalize";
import { temporaryDatabase } from "../support/temporary-database";
import { fuzzSettings, runsOf } from "./support/fuzz-settings";
import { type GraphSpec, NODE_KINDS, type NodeKind, graphSpecArbitrary, runSpec } from "./support/random-graphs";

/**
 * Graph-level differential fuzzer (issue 11, "the whole kind"): random small graphs (messages
 * channel, parallel branches, Send, interrupts resumed with Command, a subgraph, nodes that mutate
 * state in place before returning) run on a reference and on the variant; outputs, stream events and
 * getStateHistory must be equal after test/support/normalize.ts (ids and timestamps renamed in order
 * of appearance). Patched variants run like test/patch/differential.test.ts: the reference first,
 * unpatched, then the same spec with patchLangGraph() active, then unpatched again, and what was
 * written while patched must read back the same through LangGraph's own code.
 *
 * KNOWN_FAULTS: node kinds a variant fails on today (issue 11 case): generated specs for that variant
 * leave them out. Remove an entry once its fix lands.
 */
const KNOWN_FAULTS: Array<{ variant: string; kind: NodeKind; issueCase: string }> = [];

const settings = fuzzSettings({ seed: 20261102, maxCommands: 0 });

interface GraphVariant {
  name: string;
  runs: number;
  reference(): BaseCheckpointSaver;
  /** Patched variants: the same class, made while patched. */
  patched?: boolean;
  /**
   * The saver does I/O, so LangGraph calls its put later than the reference's (it calls a step's put
   * only once the previous one resolved, with the live state): a checkpoint taken before a node ran
   * can already hold that node's in-place change. With such nodes, checkpoints a node was about to
   * run from are left out of the comparison (see test/exactness/in-place-mutation.test.ts).
   */
  io?: boolean;
  variant(): BaseCheckpointSaver;
  close?(saver: BaseCheckpointSaver): void;
}

const closeSaver = (s: BaseCheckpointSaver) => {
  if (s instanceof RustSqliteSaver) s.close();
  else if (s instanceof SqliteSaver) s.db.close();
};

const VARIANTS: GraphVariant[] = [
  { name: "patched MemorySaver", runs: 25, patched: true, reference: () => new MemorySaver(), variant: () => new MemorySaver() },
  {
    name: "patched SqliteSaver, file",
    runs: 20,
    patched: true,
    reference: () => SqliteSaver.fromConnString(temporaryDatabase("graph-fuzz-ref")),
    variant: () => SqliteSaver.fromConnString(temporaryDatabase("graph-fuzz-patched")),
    close: closeSaver,
    io: true,
  },
  {
    name: "RustSqliteSaver compact, file",
    runs: 20,
    reference: () => SqliteSaver.fromConnString(temporaryDatabase("graph-fuzz-ref")),
    variant: () => new RustSqliteSaver(temporaryDatabase("graph-fuzz-rust")),
    close: closeSaver,
    io: true,
  },
  {
    name: "RustSqliteSaver official, file",
    runs: 20,
    reference: () => SqliteSaver.fromConnString(temporaryDatabase("graph-fuzz-ref")),
    variant: () => new RustSqliteSaver(temporaryDatabase("graph-fuzz-rust"), { layout: "official" }),
    close: closeSaver,
    io: true,
  },
];

async function everyTuple(saver: BaseCheckpointSaver) {
  const out = [];
  for await (const t of saver.list({})) out.push(t);
  return normalize(out);
}

const IN_PLACE = new Set<string>(["pushInPlace", "editContentInPlace", "editInPlaceSilently", "editToolArgsInPlace", "editKwargsInPlace"]);

/** Runs a spec, turning a thrown error into part of the transcript (both sides must fail alike). */
async function transcript(spec: GraphSpec, saver: BaseCheckpointSaver, io = false): Promise<unknown> {
  try {
    const t = await runSpec(spec, saver);
    if (io && spec.stages.flat().some((k) => IN_PLACE.has(k))) {
      t.history = (t.history as Array<{ next: string[] }>).filter((snapshot) => snapshot.next.length === 0);
    }
    return normalize(t);
  } catch (error) {
    return { error: String((error as Error).message) };
  }
}

function firstDiff(a: unknown, b: unknown, path = "$"): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a && b && typeof a === "object" && typeof b === "object") {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path}: ${JSON.stringify(a)?.slice(0, 400)} vs ${JSON.stringify(b)?.slice(0, 400)}`;
}

for (const v of VARIANTS) {
  // FUZZ_IGNORE_KNOWN_FAULTS=1: every node kind, to see what still fails (e.g. while fixing).
  const excluded = new Set(process.env.FUZZ_IGNORE_KNOWN_FAULTS ? [] : KNOWN_FAULTS.filter((f) => f.variant === v.name).map((f) => f.kind));
  const kinds = NODE_KINDS.filter((k) => !excluded.has(k));
  const numRuns = runsOf(settings, v.runs);
  describe(`graph fuzzer: ${v.name}`, () => {
    afterEach(() => void unpatchLangGraph());

    it(`${numRuns} random graphs, seed ${settings.seed}`, async () => {
      console.log(
        `[fuzz] graphs on ${v.name}: seed ${settings.seed}, ${numRuns} runs` +
          (excluded.size ? `; KNOWN_FAULTS skip node kinds: ${[...excluded].join(", ")}` : ""),
      );
      let graphs = 0;
      await fc.assert(
        fc.asyncProperty(graphSpecArbitrary(kinds), async (spec) => {
          graphs += 1;
          const reference = v.reference();
          let saver: BaseCheckpointSaver | undefined;
          try {
            const expected = await transcript(spec, reference, v.io);
            let actual: unknown;
            let storedWhilePatched: unknown;
            if (v.patched) {
              await patchLangGraph();
              try {
                saver = v.variant();
                actual = await transcript(spec, saver, v.io);
                storedWhilePatched = await everyTuple(saver);
              } finally {
                unpatchLangGraph();
              }
            } else {
              saver = v.variant();
              actual = await transcript(spec, saver, v.io);
            }
            const d = firstDiff(actual, expected);
            if (d) throw new Error(`${v.name} differs from its reference on ${JSON.stringify(spec)}: ${d} (variant vs reference)`);
            if (v.patched) {
              const back = await everyTuple(saver);
              const d2 = firstDiff(back, storedWhilePatched);
              if (d2)
                throw new Error(
                  `${v.name}: what was written while patched reads back differently unpatched on ${JSON.stringify(spec)}: ${d2}`,
                );
            }
          } finally {
            v.close?.(reference);
            if (saver) v.close?.(saver);
          }
        }),
        { seed: settings.seed, numRuns },
      );
      console.log(`[fuzz] graphs on ${v.name}: ${graphs} graphs run, all transcripts equal`);
    });
  });
}
