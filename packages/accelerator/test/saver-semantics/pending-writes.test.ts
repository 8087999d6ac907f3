import { Annotation, Command, START, StateGraph, interrupt } from "@langchain/langgraph";
import { type BaseCheckpointSaver, type PendingWrite, emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";

import { normalize } from "../support/normalize";
import { dropSchemas, references, variants, withVariant } from "./variants";

afterAll(dropSchemas);

/** Stores one checkpoint, applies each batch with putWrites, and returns the pending writes read back. */
async function pendingWritesAfter(saver: BaseCheckpointSaver, batches: PendingWrite[][]) {
  const config = { configurable: { thread_id: "t", checkpoint_ns: "" } };
  const checkpoint = { ...emptyCheckpoint(), id: uuid6(1) };
  const stored = await saver.put(config, checkpoint, { source: "loop", step: 0, parents: {} }, {});
  for (const batch of batches) await saver.putWrites(stored, batch, "task-1");
  return (await saver.getTuple(stored))?.pendingWrites;
}

const replayedMixed: PendingWrite[][] = [
  [
    ["__interrupt__", [{ value: "first" }]],
    ["answer", "first"],
  ],
  [
    ["__interrupt__", [{ value: "second" }]],
    ["answer", "second"],
  ],
];
const twoResumes: PendingWrite[][] = [
  [
    ["__resume__", "A"],
    ["__resume__", "B"],
  ],
];
const resumesThenMixed: PendingWrite[][] = [
  ...twoResumes,
  [
    ["__resume__", "C"],
    ["answer", "x"],
  ],
  [["__error__", "E"]],
];

describe.each([
  ["a replayed mixed batch (issue 11 case 8)", replayedMixed],
  ["two writes to one special channel in one batch (issue 11 case 7)", twoResumes],
  ["special batches then a mixed one", resumesThenMixed],
])("%s", (_name, batches) => {
  const expected: Record<string, unknown> = {};
  beforeAll(async () => {
    for (const [name, open] of Object.entries(references)) {
      expected[name] = await withVariant(open, undefined, (s) => pendingWritesAfter(s, batches));
    }
  });

  it.each(variants)("%s keeps what %s keeps", async (_variant, reference, open, patch) => {
    const got = await withVariant(open, patch, (s) => pendingWritesAfter(s, batches));
    expect(got).toEqual(expected[reference]);
  });
});

/** A node that asks two questions, resumed twice: the second resume's batch holds two __resume__ writes. */
async function askTwice(checkpointer: BaseCheckpointSaver) {
  const State = Annotation.Root({ answers: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
  const graph = new StateGraph(State)
    .addNode("ask", () => ({ answers: [interrupt("first?") as string, interrupt("second?") as string] }))
    .addEdge(START, "ask")
    .compile({ checkpointer });
  const config = { configurable: { thread_id: "ask" } };
  const outputs = [await graph.invoke({ answers: [] }, config)];
  outputs.push(await graph.invoke(new Command({ resume: "one" }), config));
  outputs.push(await graph.invoke(new Command({ resume: "two" }), config));
  const history = [];
  for await (const s of graph.getStateHistory(config)) history.push(s);
  return normalize({ outputs, history });
}

describe("a node that interrupts twice, resumed twice (issue 11 case 7)", () => {
  let expected: unknown;
  beforeAll(async () => {
    expected = await withVariant(references.PostgresSaver, undefined, askTwice);
  });
  it.each(variants.filter(([, reference]) => reference === "PostgresSaver"))(
    "%s: same run as PostgresSaver",
    async (_v, _r, open, patch) => {
      expect(await withVariant(open, patch, askTwice)).toEqual(expected);
    },
  );
});
