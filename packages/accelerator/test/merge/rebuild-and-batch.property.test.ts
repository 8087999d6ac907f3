import { AIMessage, HumanMessage, RemoveMessage, type BaseMessage } from "@langchain/core/messages";
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { REMOVE_ALL_MESSAGES, messagesStateReducer } from "@langchain/langgraph";
import { BinaryOperatorAggregate } from "@langchain/langgraph/channels";
import Database from "better-sqlite3";
import fc from "fast-check";

import { RustSqliteSaver } from "../../src";
import { batchedMessagesUpdate } from "../../src/patch/binary-operator-aggregate";
import { temporaryDatabase } from "../support/temporary-database";

const ids = ["a", "b", "c", "d", "e", "f", "g"];
type Op = { kind: "add"; id: string; text: string } | { kind: "remove"; id: string } | { kind: "removeAll" };
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("add" as const), id: fc.constantFrom(...ids), text: fc.string({ maxLength: 6 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), id: fc.constantFrom(...ids) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("removeAll" as const) }) },
);
const toMessage = (o: Op): BaseMessage =>
  o.kind === "remove"
    ? new RemoveMessage({ id: o.id })
    : o.kind === "removeAll"
      ? new RemoveMessage({ id: REMOVE_ALL_MESSAGES })
      : o.text.length % 2
        ? new HumanMessage({ content: o.text, id: o.id })
        : new AIMessage({ content: o.text, id: o.id });
const shape = (ms: BaseMessage[]) => ms.map((m) => [m.getType(), m.content, m.id]);

/** Applies writes with the reducer, skipping the ones LangGraph would reject (unknown removals). */
function liveStates(writes: Op[][]): BaseMessage[][] {
  const states: BaseMessage[][] = [];
  let state: BaseMessage[] = [];
  for (const write of writes) {
    try {
      state = messagesStateReducer(state, write.map(toMessage));
    } catch {
      continue;
    }
    states.push(state);
  }
  return states;
}

describe("the saver's rebuild of a messages channel from its increments", () => {
  it("reads back every state the reducer produced, from appends, replacements, removals and remove-all", async () => {
    let mergeIncrements = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 10 }), async (writes) => {
        const file = temporaryDatabase("rebuild");
        const saver = new RustSqliteSaver(file);
        const states = liveStates(writes);
        let config = { configurable: { thread_id: "t", checkpoint_ns: "" } } as { configurable: Record<string, string> };
        const stored: Array<[string, BaseMessage[]]> = [];
        for (const [step, state] of states.entries()) {
          const checkpoint = {
            ...emptyCheckpoint(),
            id: uuid6(step),
            channel_values: { messages: state },
            channel_versions: { messages: step + 1 },
          };
          config = (await saver.put(config, checkpoint, { source: "loop", step, parents: {} }, { messages: step + 1 })) as typeof config;
          stored.push([checkpoint.id, state]);
        }
        saver.close();
        const reader = new RustSqliteSaver(file);
        for (const [id, state] of stored) {
          const tuple = await reader.getTuple({ configurable: { thread_id: "t", checkpoint_ns: "", checkpoint_id: id } });
          expect(shape(tuple?.checkpoint.channel_values.messages as BaseMessage[])).toEqual(shape(state));
        }
        reader.close();
        const db = new Database(file, { readonly: true });
        mergeIncrements += (db.prepare("SELECT COUNT(*) AS n FROM flg_blobs WHERE increment = 'merge'").get() as { n: number }).n;
        db.close();
      }),
      { numRuns: 150 },
    );
    expect(mergeIncrements).toBeGreaterThan(0);
  });
});

describe("the batched live update of a messages channel", () => {
  it("leaves the channel exactly as LangGraph's one-merge-per-write update does", () => {
    const batched = batchedMessagesUpdate(BinaryOperatorAggregate.prototype.update as never, new Set([messagesStateReducer]));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 5 }), fc.array(fc.array(op, { maxLength: 3 }), { maxLength: 4 }), (initial, writes) => {
        const run = (update: (this: unknown, values: unknown[]) => boolean) => {
          const channel = new BinaryOperatorAggregate<BaseMessage[], BaseMessage[]>(messagesStateReducer as never, () => []);
          try {
            channel.update([initial.filter((o) => o.kind === "add").map(toMessage)]);
            const changed = update.call(
              channel,
              writes.map((w) => w.map(toMessage)),
            );
            return { changed, value: shape(channel.get()) };
          } catch (error) {
            return { error: (error as Error).message };
          }
        };
        expect(run(batched as never)).toEqual(run(BinaryOperatorAggregate.prototype.update as never));
      }),
      { numRuns: 500 },
    );
  });
});
