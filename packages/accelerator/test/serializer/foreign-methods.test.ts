import { Annotation, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import { type BaseCheckpointSaver, JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

import { RustSqliteSaver, getPatchStatus, patchLangGraph, unpatchLangGraph } from "../../src";
import { foreignSerializerMethod } from "../../src/checkpoint/json-plus-methods";
import { temporaryDatabase } from "../support/temporary-database";

// An application that changes JsonPlusSerializer.prototype (a migration or decryption hook on `_loads`)
// before patching keeps its hook running: the decoder stands in only for upstream's own methods
// (hostile review, round 3, finding 4: the patched savers skipped the hook).

type Loads = (this: JsonPlusSerializer, data: string) => Promise<unknown>;
const proto = JsonPlusSerializer.prototype as unknown as { _loads: Loads };
const upstreamLoads = proto._loads;
const upstreamLoadsTyped = JsonPlusSerializer.prototype.loadsTyped;
let hookCalls = 0;

function migrate(value: unknown): unknown {
  if (value === "hello") return "HELLO(migrated)";
  if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) (value as Record<string, unknown>)[k] = migrate(v);
  return value;
}

beforeAll(() => {
  proto._loads = async function (this: JsonPlusSerializer, data: string) {
    hookCalls++;
    return migrate(await upstreamLoads.call(this, data));
  };
});
afterAll(() => {
  proto._loads = upstreamLoads;
});
afterEach(() => unpatchLangGraph());

const savers: Record<string, () => BaseCheckpointSaver> = {
  MemorySaver: () => new MemorySaver(),
  SqliteSaver: () => SqliteSaver.fromConnString(temporaryDatabase("hook")),
  RustSqliteSaver: () => new RustSqliteSaver(temporaryDatabase("hook-rust")),
};

async function stateAndCalls(saver: BaseCheckpointSaver) {
  hookCalls = 0;
  const graph = new StateGraph(Annotation.Root({ s: Annotation<string> }))
    .addNode("n", () => ({ s: "hello" }))
    .addEdge(START, "n")
    .compile({ checkpointer: saver });
  const config = { configurable: { thread_id: "t" } };
  await graph.invoke({}, config);
  const state = (await graph.getState(config)).values.s;
  return { state, hookRan: hookCalls > 0 };
}

describe("a JsonPlusSerializer method the application replaced before patching", () => {
  it.each(Object.keys(savers))("%s: the hook runs patched as unpatched", async (name) => {
    const expected = await stateAndCalls(savers[name]());
    expect(expected).toEqual({ state: "HELLO(migrated)", hookRan: true });
    await patchLangGraph();
    expect(await stateAndCalls(savers[name]())).toEqual(expected);
  });

  it("getPatchStatus() says why the serializer part is off", async () => {
    const report = await patchLangGraph();
    expect(report.patched.some((p) => p.part === "serializer")).toBe(false);
    expect(getPatchStatus().skipped).toContainEqual(
      expect.objectContaining({
        part: "serializer",
        reason: expect.stringMatching(/JsonPlusSerializer\.prototype\._loads is not the package's own/),
      }),
    );
  });

  it("tells upstream's own methods from replaced ones, loadsTyped too", () => {
    const pristine = { loadsTyped: upstreamLoadsTyped, _loads: upstreamLoads };
    expect(foreignSerializerMethod(pristine)).toBeUndefined();
    const wrapped = {
      ...pristine,
      loadsTyped: async (type: string, data: unknown) => upstreamLoadsTyped.call(new JsonPlusSerializer(), type, data as never),
    };
    expect(foreignSerializerMethod(wrapped)).toMatch(/prototype\.loadsTyped/);
    expect(foreignSerializerMethod(JsonPlusSerializer.prototype)).toMatch(/prototype\._loads/);
  });

  it("takes upstream's text as bundlers reprint it, and nothing else", () => {
    // Method text as esbuild (`_reviver2`, two-space indents) and webpack (`serde_jsonplus_reviver`) print it.
    const bundled = [
      "({ async _loads(data) {\n    return _reviver2(JSON.parse(data));\n  } })",
      "({ async _loads(data) {\n\t\treturn serde_jsonplus_reviver(JSON.parse(data));\n\t} })",
    ];
    for (const source of bundled) {
      const loads = new Function(`return ${source}`)()._loads;
      expect(foreignSerializerMethod({ loadsTyped: upstreamLoadsTyped, _loads: loads })).toBeUndefined();
    }
    const foreign = [
      "({ _loads: async function (data) { return _reviver(JSON.parse(data)); } })",
      "({ async _loads(data) { return _reviver(migrate(JSON.parse(data))); } })",
      "({ _loads(data) { return _reviver(JSON.parse(data)); } })",
      "({ async _loads(data) { return migrate_reviver(JSON.parse(data)); } })",
    ];
    for (const source of foreign) {
      const loads = new Function(`return ${source}`)()._loads;
      expect(foreignSerializerMethod({ loadsTyped: upstreamLoadsTyped, _loads: loads })).toMatch(/prototype\._loads/);
    }
  });
});
