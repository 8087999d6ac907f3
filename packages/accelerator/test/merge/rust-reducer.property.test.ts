import { AIMessage, HumanMessage, RemoveMessage, type BaseMessage } from "@langchain/core/messages";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import { REMOVE_ALL_MESSAGES, messagesStateReducer } from "@langchain/langgraph";
import fc from "fast-check";

import { native } from "../../src";

const serde = new JsonPlusSerializer();
const encode = async (value: unknown) => Buffer.from((await serde.dumpsTyped(value))[1]);
const decode = async (bytes: Buffer) => serde.loadsTyped("json", bytes) as Promise<BaseMessage[]>;

const ids = ["a", "b", "c", "d", "e", "f"];
const op = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("add" as const),
      id: fc.option(fc.constantFrom(...ids), { nil: undefined }),
      text: fc.string({ maxLength: 8 }),
      human: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), id: fc.constantFrom(...ids) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("removeAll" as const) }) },
);
type Op = { kind: "add"; id?: string; text: string; human: boolean } | { kind: "remove"; id: string } | { kind: "removeAll" };

function toMessage(o: Op): BaseMessage {
  if (o.kind === "remove") return new RemoveMessage({ id: o.id });
  if (o.kind === "removeAll") return new RemoveMessage({ id: REMOVE_ALL_MESSAGES });
  const fields = { content: o.text, ...(o.id ? { id: o.id } : {}) };
  return o.human ? new HumanMessage(fields) : new AIMessage(fields);
}

/** Ids the reducer generated (uuid v4) differ by construction; everything else must match. */
const shape = (ms: BaseMessage[]) =>
  ms.map((m) => ({ type: m.getType(), content: m.content, id: ids.includes(m.id as string) ? m.id : "<generated>" }));

describe("the Rust messages reducer on serialized messages", () => {
  it("gives messagesStateReducer's result for random appends, replacements, removals and remove-all", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { maxLength: 5 }), { minLength: 1, maxLength: 6 }), async (writes) => {
        // Errors are compared by message: the native one comes from another realm under Jest.
        let expected: unknown;
        try {
          let state: BaseMessage[] = [];
          for (const write of writes) state = messagesStateReducer(state, write.map(toMessage));
          expected = shape(state);
        } catch (error) {
          expected = { error: (error as Error).message };
        }
        const updates = await Promise.all(writes.map((w) => encode(w.map(toMessage))));
        let actual: unknown;
        try {
          actual = shape(await decode(native.mergeSerializedMessages(await encode([]), updates)));
        } catch (error) {
          actual = { error: (error as Error).message };
        }
        expect(actual).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps every untouched message byte for byte and runs off the JavaScript thread too", async () => {
    const base = [new HumanMessage({ content: "q", id: "a" }), new AIMessage({ content: "r", id: "b" })];
    const baseBytes = await encode(base);
    const update = await encode([new AIMessage({ content: "r2", id: "b" }), new AIMessage({ content: "s", id: "c" })]);
    const sync = native.mergeSerializedMessages(baseBytes, [update]);
    const async_ = await native.mergeSerializedMessagesAsync(baseBytes, [update]);
    expect(async_.equals(sync)).toBe(true);
    expect(sync.toString().startsWith(`[${(await encode(base[0])).toString()},`)).toBe(true);
    expect((await decode(sync)).map((m) => m.content)).toEqual(["q", "r2", "s"]);
  });
});
