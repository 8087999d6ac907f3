// Decoding a checkpoint's messages channel: JsonPlusSerializer.loadsTyped("json", bytes) as upstream
// runs it, against the same method after patchLangGraph({ serializer }) (the synchronous decoder),
// with JSON.parse of the same bytes as the floor no decoder can go below; then RustSqliteSaver.getTuple of
// such a thread, decoding with upstream's code and with the decoder. Realistic chat histories
// of 100 / 1,000 / 5,000 messages (workloads/zipf-chat.mjs). Outputs checked equal (re-serialized
// bytes and JSON) before timing.
import v8 from "node:v8";
import vm from "node:vm";

import path from "node:path";

import { JsonPlusSerializer, emptyCheckpoint } from "@langchain/langgraph-checkpoint";
import { RustSqliteSaver, patchLangGraph, unpatchLangGraph } from "@fast-langgraph/accelerator";

import { QUICK, assertEqualOutputs, formatTable, interleavedRounds, recordResult } from "./lib/harness.mjs";
import { scratchDir } from "./lib/disk.mjs";
import { zipfChat } from "./workloads/zipf-chat.mjs";

// A full collection before every timed call, so that no case pays for the garbage another left behind.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");

const SIZES = QUICK ? [100, 1000] : [100, 1000, 5000];
const ROUNDS = QUICK ? 5 : 25;
const upstream = JsonPlusSerializer.prototype.loadsTyped;
const serde = new JsonPlusSerializer();

const report = await patchLangGraph({ memorySaver: false, sqliteSaver: false, postgresSaver: false, stateMerger: false, caches: false });
if (!report.patched.some((p) => p.part === "serializer")) throw new Error(`serializer part not patched: ${JSON.stringify(report.skipped)}`);
const ours = JsonPlusSerializer.prototype.loadsTyped;

const rows = [];
const figures = {};
for (const size of SIZES) {
  const [, bytes] = await serde.dumpsTyped({ messages: zipfChat(size) });
  const a = await upstream.call(serde, "json", bytes);
  const b = await ours.call(serde, "json", bytes);
  const [, da] = await serde.dumpsTyped(a);
  const [, db] = await serde.dumpsTyped(b);
  if (!Buffer.from(da).equals(Buffer.from(db))) throw new Error(`${size} messages: re-serialized bytes differ`);
  assertEqualOutputs(`${size} messages`, a, b);
  if (b.messages[1].constructor !== a.messages[1].constructor) throw new Error(`${size} messages: classes differ`);
  const text = new TextDecoder().decode(bytes);
  // What any exact read pays however it gets the fields: each message's constructor, called with the fields
  // load() passes it (its lc_kwargs), fresh copies made before the timed call.
  const classes = a.messages.map((m) => m.constructor);
  let fields = [];
  const results = await interleavedRounds(
    {
      upstream: { before: gc, run: () => upstream.call(serde, "json", bytes) },
      ours: { before: gc, run: () => ours.call(serde, "json", bytes) },
      "JSON.parse": { before: gc, run: async () => JSON.parse(text) },
      constructors: {
        before: () => {
          fields = a.messages.map((m) => structuredClone(m.lc_kwargs));
          gc();
        },
        run: async () => fields.map((f, i) => new classes[i](f)),
      },
    },
    { rounds: ROUNDS, warmup: 2 },
  );
  figures[size] = { bytes: bytes.length, ...results };
  rows.push({
    messages: size,
    KB: Math.round(bytes.length / 1024),
    "upstream ms": results.upstream.median.toFixed(2),
    "ours ms": results.ours.median.toFixed(2),
    "JSON.parse ms": results["JSON.parse"].median.toFixed(2),
    "constructors alone ms": results.constructors.median.toFixed(2),
    speedup: `${(results.upstream.median / results.ours.median).toFixed(1)}x`,
    "ours / JSON.parse": `${(results.ours.median / results["JSON.parse"].median).toFixed(1)}x`,
  });
}
unpatchLangGraph();
console.log(formatTable(rows));

// The same in a saver: RustSqliteSaver.getTuple of a thread whose messages channel holds `size` messages,
// with the default serde (the decoder) and with a JsonPlusSerializer subclass whose _loads only calls
// super (so the saver keeps upstream's code): everything else is the same. Then the next turn's read
// (the thread grown by 4 messages): upstream's code, the decoder alone (decodedListBytes: 0), and the
// decoder with decoded lists (only the 4 new messages parsed; every message revived from remembered parses).
class UpstreamDecoding extends JsonPlusSerializer {
  _loads(data) {
    return super._loads(data);
  }
}
const dir = scratchDir("serializer");
const tupleRows = [];
for (const size of SIZES) {
  const file = path.join(dir, `thread-${size}.sqlite`);
  const writer = new RustSqliteSaver(file);
  const checkpoint = { ...emptyCheckpoint(), channel_values: { messages: zipfChat(size) }, channel_versions: { messages: 1 } };
  const config = await writer.put(
    { configurable: { thread_id: "t", checkpoint_ns: "" } },
    checkpoint,
    { source: "loop", step: 1, parents: {} },
    { messages: 1 },
  );
  // The next turn: the thread grown by four messages, stored as an increment of the list above.
  const grownCheckpoint = {
    ...checkpoint,
    id: emptyCheckpoint().id,
    channel_values: { messages: [...checkpoint.channel_values.messages, ...zipfChat(size + 4).slice(size)] },
    channel_versions: { messages: 2 },
  };
  const grown = await writer.put(config, grownCheckpoint, { source: "loop", step: 2, parents: {} }, { messages: 2 });
  writer.close();
  const readers = {
    upstream: new RustSqliteSaver(file, { serde: new UpstreamDecoding() }),
    ours: new RustSqliteSaver(file, { decodedListBytes: 0 }),
    lists: new RustSqliteSaver(file, { decodedListBytes: 32 * 2 ** 20 }),
  };
  const [a, b, c] = [await readers.upstream.getTuple(config), await readers.ours.getTuple(config), await readers.lists.getTuple(config)];
  assertEqualOutputs(`getTuple, ${size} messages`, a, b);
  assertEqualOutputs(`getTuple, ${size} messages, decoded lists`, a, c);
  assertEqualOutputs(`getTuple, ${size} + 4 messages`, await readers.upstream.getTuple(grown), await readers.lists.getTuple(grown));
  // Each timed read of the grown thread follows two reads of the turn before (its decoded list remembered
  // with its parse, which decoded lists make at a list's second read), as in a thread's steady state.
  const primed = async () => {
    readers.lists.decodedLists = new readers.lists.decodedLists.constructor();
    await readers.lists.getTuple(config);
    await readers.lists.getTuple(config);
    gc();
  };
  const results = await interleavedRounds(
    {
      upstream: { before: gc, run: () => readers.upstream.getTuple(config) },
      ours: { before: gc, run: () => readers.ours.getTuple(config) },
      grownUpstream: { before: gc, run: () => readers.upstream.getTuple(grown) },
      grownDecoder: { before: gc, run: () => readers.ours.getTuple(grown) },
      grownLists: { before: primed, run: () => readers.lists.getTuple(grown) },
    },
    { rounds: ROUNDS, warmup: 2 },
  );
  for (const r of Object.values(readers)) r.close();
  figures[`getTuple-${size}`] = results;
  tupleRows.push({
    messages: size,
    "getTuple, upstream decoding ms": results.upstream.median.toFixed(2),
    "getTuple, decoder ms": results.ours.median.toFixed(2),
    speedup: `${(results.upstream.median / results.ours.median).toFixed(1)}x`,
    "next turn (+4), upstream ms": results.grownUpstream.median.toFixed(2),
    "+4, decoder ms": results.grownDecoder.median.toFixed(2),
    "+4, decoded lists ms": results.grownLists.median.toFixed(2),
  });
}
console.log(formatTable(tupleRows));
const file = recordResult("serializer", {
  method: `JsonPlusSerializer.loadsTyped("json", bytes) of { messages } (zipf-chat: human / AI tool call / tool result / AI answer), upstream vs patchLangGraph({ serializer }); medians of ${ROUNDS} interleaved rounds after 2 warm-ups, a full GC before each timed call; outputs checked equal first`,
  figures,
  summary: SIZES.map((size) => ({
    case: `decode ${size} messages`,
    component: "JsonPlusSerializer.loadsTyped",
    baseline: "upstream",
    ours: "serializer part",
    baselineValue: figures[size].upstream.median,
    oursValue: figures[size].ours.median,
    unit: "ms",
  })).concat(
    SIZES.map((size) => ({
      case: `getTuple of a ${size}-message thread`,
      component: "RustSqliteSaver.getTuple",
      baseline: "upstream decoding",
      ours: "decoder",
      baselineValue: figures[`getTuple-${size}`].upstream.median,
      oursValue: figures[`getTuple-${size}`].ours.median,
      unit: "ms",
    })),
    SIZES.map((size) => ({
      case: `getTuple of a ${size}-message thread grown by 4 since the last read`,
      component: "RustSqliteSaver.getTuple",
      baseline: "upstream decoding",
      ours: "decoded lists",
      baselineValue: figures[`getTuple-${size}`].grownUpstream.median,
      oursValue: figures[`getTuple-${size}`].grownLists.median,
      unit: "ms",
    })),
  ),
});
console.log(`wrote ${file}`);
