import { AIMessage, type BaseMessage, HumanMessage, RemoveMessage } from "@langchain/core/messages";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";

import { RustPostgresSaver } from "../../src";
import { dropSchema, freshSchema, postgresUrl, withPg } from "../support/postgres";

// The official layout stores a list from the bytes of its leading elements that still match plus the rest
// serialized now (value-bytes-cache.ts). A thread of many invokes reloads its messages every turn (each one
// rebuilt from the bytes), and nodes change old messages in place, replace them by id and remove them: every
// blob must still be the bytes PostgresSaver stores for the same run.

const TURNS = 8;

function graph(checkpointer: BaseCheckpointSaver) {
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", (state) => {
      const n = state.messages.length;
      const turn = state.messages.filter((m) => m.getType() === "human").length;
      const old = state.messages[Math.floor(n / 3)] as BaseMessage;
      // In place, as the docs advise against: an old message's content and kwargs, and a nested object.
      if (turn % 3 === 1) old.content = `${String(old.content)} (edited "in place" \\ ${turn} ü)`;
      if (turn % 3 === 2) old.additional_kwargs.note = { turn, quote: 'a "b" c', nested: [1, { x: null }] };
      const update: BaseMessage[] = [new AIMessage({ id: `answer-${turn}`, content: `answer ${turn}: ${"prose ".repeat(40)}` })];
      if (turn === 4) update.push(new RemoveMessage({ id: state.messages[1].id as string }));
      if (turn === 6) update.push(new AIMessage({ id: "answer-2", content: "answer 2, replaced by id" }));
      return { messages: update };
    })
    .addNode("tail", (state) => {
      // The last message, edited in place after its own put.
      const last = state.messages[state.messages.length - 1];
      last.response_metadata = { ...last.response_metadata, seen: true };
      return {};
    })
    .addEdge(START, "agent")
    .addEdge("agent", "tail")
    .addEdge("tail", END)
    .compile({ checkpointer });
}

async function run(checkpointer: BaseCheckpointSaver) {
  const g = graph(checkpointer);
  const config = { configurable: { thread_id: "turns" } };
  for (let turn = 0; turn < TURNS; turn++) {
    await g.invoke({ messages: [new HumanMessage({ id: `human-${turn}`, content: `question ${turn} "quoted" \\ é` })] }, config);
  }
}

/** The messages channel's blobs in the order of the checkpoints that hold them. */
async function blobsInOrder(schema: string): Promise<string[]> {
  return withPg(async (c) => {
    const { rows } = await c.query(
      `SELECT b.blob FROM "${schema}".checkpoints cp
       JOIN "${schema}".checkpoint_blobs b ON b.thread_id = cp.thread_id AND b.checkpoint_ns = cp.checkpoint_ns
        AND b.channel = 'messages' AND b.version = cp.checkpoint -> 'channel_versions' ->> 'messages'
       ORDER BY cp.checkpoint_id`,
    );
    return rows.map((r) => (r.blob as Buffer).toString("utf8"));
  });
}

const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

test("a thread of many invokes with messages edited in place, replaced and removed: every blob is PostgresSaver's", async () => {
  const theirSchema = freshSchema("turns_official");
  const ourSchema = freshSchema("turns_ours");
  schemas.push(theirSchema, ourSchema);
  const theirs = PostgresSaver.fromConnString(postgresUrl(), { schema: theirSchema });
  await theirs.setup();
  const ours = new RustPostgresSaver(postgresUrl(), { schema: ourSchema });
  await ours.setup();
  try {
    await run(theirs);
    await run(ours);
    const expected = await blobsInOrder(theirSchema);
    const actual = await blobsInOrder(ourSchema);
    expect(expected.length).toBeGreaterThan(TURNS * 3);
    expect(actual).toEqual(expected);
    expect(ours.cacheStats().valueBytes?.entries).toBeGreaterThan(0);
  } finally {
    await theirs.end();
    await ours.end();
  }
});
